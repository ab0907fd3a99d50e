/*
 * cmocka tests: W3C traceparent headers are read when valid (version 00
 * exactly, later versions by their 00 prefix) and refused otherwise; the
 * gateway's own hop is written back in the same form.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ql_trace.h"


static int
parse(const char *s, char trace[QL_TRACE_ID_LEN], char flags[2])
{
    return ql_trace_parse((const unsigned char *) s, strlen(s), trace,
                          flags);
}


static void
test_valid(void **state)
{
    char  trace[QL_TRACE_ID_LEN], flags[2];

    (void) state;

    assert_int_equal(parse("00-4bf92f3577b34da6a3ce929d0e0e4736-"
                           "00f067aa0ba902b7-01", trace, flags), 1);
    assert_memory_equal(trace, "4bf92f3577b34da6a3ce929d0e0e4736", 32);
    assert_memory_equal(flags, "01", 2);

    /* a later version: its 00 part, and more after a dash */
    assert_int_equal(parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-"
                           "00f067aa0ba902b7-00-what-comes", trace, flags),
                     1);
}


static void
test_invalid(void **state)
{
    char         trace[QL_TRACE_ID_LEN], flags[2];
    size_t       i;
    const char  *bad[] = {
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i], trace, flags), 0);
    }
}


static void
test_format(void **state)
{
    char  out[QL_TRACEPARENT_LEN], trace[QL_TRACE_ID_LEN], flags[2];

    (void) state;

    ql_trace_format("4bf92f3577b34da6a3ce929d0e0e4736", "1234567890abcdef",
                    "01", out);
    assert_memory_equal(out, "00-4bf92f3577b34da6a3ce929d0e0e4736-"
                        "1234567890abcdef-01", QL_TRACEPARENT_LEN);
    assert_int_equal(ql_trace_parse((const unsigned char *) out,
                                    sizeof(out), trace, flags), 1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
