/*
 * admind list pagination: pageSize defaults and clamping, page tokens
 * round trip and refuse anything this API did not issue.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "admind_page.h"


static void
test_size(void **state)
{
    char           err[128];
    admind_page_t  p;

    (void) state;

    assert_int_equal(admind_page_parse(NULL, NULL, &p, err, sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(p.size, ADMIND_PAGE_DEFAULT);
    assert_int_equal(p.offset, 0);

    assert_int_equal(admind_page_parse("", "", &p, err, sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(p.size, ADMIND_PAGE_DEFAULT);

    assert_int_equal(admind_page_parse("0", NULL, &p, err, sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(p.size, ADMIND_PAGE_DEFAULT);

    assert_int_equal(admind_page_parse("7", NULL, &p, err, sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(p.size, 7);

    assert_int_equal(admind_page_parse("007", NULL, &p, err, sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(p.size, 7);

    /* larger than the maximum is the maximum (AIP-158) */
    assert_int_equal(admind_page_parse("501", NULL, &p, err, sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(p.size, ADMIND_PAGE_MAX);

    assert_int_equal(admind_page_parse("99999999999999999999999", NULL, &p,
                                       err, sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(p.size, ADMIND_PAGE_MAX);

    assert_int_equal(admind_page_parse("-1", NULL, &p, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "pageSize must be a non-negative integer");

    assert_int_equal(admind_page_parse("ten", NULL, &p, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_int_equal(admind_page_parse("1 ", NULL, &p, err, sizeof(err)),
                     ADMIND_ERROR);
}


static void
test_token_round_trip(void **state)
{
    char                 token[ADMIND_PAGE_TOKEN_LEN], err[128];
    size_t               i;
    admind_page_t        p;

    static const unsigned long long  offsets[] = {
        0, 1, 49, 50, 500, 12345, 1000000, ADMIND_PAGE_OFFSET_MAX
    };

    (void) state;

    for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        admind_page_token(offsets[i], token);

        /* URL-safe as it stands */
        assert_int_equal(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "abcdefghijklmnopqrstuvwxyz"
                                       "0123456789-_"),
                         strlen(token));

        assert_int_equal(admind_page_parse("10", token, &p, err,
                                           sizeof(err)),
                         ADMIND_OK);
        assert_int_equal(p.offset, offsets[i]);
        assert_int_equal(p.size, 10);
    }
}


static void
test_token_invalid(void **state)
{
    char            token[ADMIND_PAGE_TOKEN_LEN], err[128];
    size_t          i;
    admind_page_t   p;

    static const char  *bad[] = {
        "x",                    /* one character: no byte */
        "!!!!",                 /* not base64url */
        "b0E=",                 /* padding is not ours */
        "bzE+",                 /* standard base64 alphabet */
        "YWJj",                 /* "abc": no 'o' */
        "bw",                   /* "o" without digits */
        "bzAx",                 /* "o01": leading zero */
        "bzF",                  /* "o1" with nonzero spare bits */
        "bzEwMDAwMDAwMDAwMDE",  /* beyond ADMIND_PAGE_OFFSET_MAX */
        "bzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw",
    };

    (void) state;

    /* "bzF" differs from the token of offset 1 only in unused bits */
    admind_page_token(1, token);
    assert_string_equal(token, "bzE");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(admind_page_parse(NULL, bad[i], &p, err,
                                           sizeof(err)),
                         ADMIND_ERROR);
        assert_string_equal(err, "pageToken is not a token this API "
                            "issued");
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_token_round_trip),
        cmocka_unit_test(test_token_invalid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
