/*
 * ql_utf8_char: every length, and every way a byte sequence fails to be
 * a character JSON and utf8mb4 accept.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ql_utf8.h"


static size_t
ch(const char *s, size_t len)
{
    return ql_utf8_char((const unsigned char *) s, len);
}


static void
test_valid(void **state)
{
    (void) state;

    assert_int_equal(ch("a", 1), 1);
    assert_int_equal(ch("\x7f", 1), 1);
    assert_int_equal(ch("\xc3\xa9x", 3), 2);               /* U+00E9 */
    assert_int_equal(ch("\xe2\x82\xac", 3), 3);            /* U+20AC */
    assert_int_equal(ch("\xef\xbf\xbf", 3), 3);            /* U+FFFF */
    assert_int_equal(ch("\xf0\x9f\x98\x80", 4), 4);        /* U+1F600 */
    assert_int_equal(ch("\xf4\x8f\xbf\xbf", 4), 4);        /* U+10FFFF */
}


static void
test_invalid(void **state)
{
    (void) state;

    assert_int_equal(ch("", 0), 0);
    assert_int_equal(ch("\x80", 1), 0);                    /* continuation */
    assert_int_equal(ch("\xff", 1), 0);
    assert_int_equal(ch("\xc3", 1), 0);                    /* cut short */
    assert_int_equal(ch("\xe2\x82", 2), 0);
    assert_int_equal(ch("\xc3\x41", 2), 0);                /* not a tail */
    assert_int_equal(ch("\xc0\xaf", 2), 0);                /* overlong */
    assert_int_equal(ch("\xe0\x80\xaf", 3), 0);
    assert_int_equal(ch("\xf0\x80\x80\xaf", 4), 0);
    assert_int_equal(ch("\xed\xa0\x80", 3), 0);            /* surrogate */
    assert_int_equal(ch("\xed\xbf\xbf", 3), 0);
    assert_int_equal(ch("\xf4\x90\x80\x80", 4), 0);        /* > U+10FFFF */
    assert_int_equal(ch("\xf8\x88\x80\x80\x80", 5), 0);    /* 5 bytes */
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
