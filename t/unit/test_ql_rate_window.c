/*
 * cmocka tests: the vendor's usage window headers are read into windows,
 * formatted for the account record, and an exhausted window keeps the
 * account out until its reset; anything else is left alone.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ql_rate_window.h"


static int
header(ql_rate_windows_t *ws, const char *name, const char *value)
{
    return ql_rate_windows_header(ws, (const unsigned char *) name,
                                  strlen(name),
                                  (const unsigned char *) value,
                                  strlen(value));
}


static void
test_claude_headers(void **state)
{
    char               buf[QL_RATE_WINDOWS_TEXT_MAX];
    size_t             len;
    ql_rate_windows_t  ws;

    (void) state;
    memset(&ws, 0, sizeof(ws));

    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-status",
                            "allowed_warning"), 1);
    assert_int_equal(header(&ws, "Anthropic-Ratelimit-Unified-5h-Status",
                            "allowed"), 1);
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-5h-reset",
                            "1764806400"), 1);
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-5h-utilization",
                            "0.42"), 1);
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-7d-status",
                            "allowed_warning"), 1);
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-7d-reset",
                            "1765238400"), 1);
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-reset",
                            "1764806400"), 1);

    assert_int_equal(ws.n, 3);
    len = ql_rate_windows_format(&ws, buf, sizeof(buf));
    assert_int_equal(len, strlen(buf));
    assert_string_equal(buf, "unified allowed_warning 1764806400 -;"
                             "5h allowed 1764806400 0.42;"
                             "7d allowed_warning 1765238400 -");
    assert_int_equal(ql_rate_windows_blocked_until(&ws), 0);
}


static void
test_exhausted(void **state)
{
    ql_rate_windows_t  ws;

    (void) state;
    memset(&ws, 0, sizeof(ws));

    header(&ws, "anthropic-ratelimit-unified-5h-status", "rejected");
    header(&ws, "anthropic-ratelimit-unified-5h-reset", "1764806400");
    header(&ws, "anthropic-ratelimit-unified-7d-status", "rejected");
    header(&ws, "anthropic-ratelimit-unified-7d-reset", "1765238400");
    header(&ws, "anthropic-ratelimit-unified-7d_opus-status", "allowed");
    header(&ws, "anthropic-ratelimit-unified-7d_opus-reset", "1769999999");

    /* the latest reset of the exhausted ones */
    assert_int_equal(ql_rate_windows_blocked_until(&ws), 1765238400);
}


static void
test_not_ours(void **state)
{
    char               buf[64];
    ql_rate_windows_t  ws;

    (void) state;
    memset(&ws, 0, sizeof(ws));

    assert_int_equal(header(&ws, "anthropic-ratelimit-requests-limit", "50"),
                     0);
    assert_int_equal(header(&ws, "retry-after", "5"), 0);
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-", "x"), 0);
    assert_int_equal(header(&ws,
                            "anthropic-ratelimit-unified-representative-claim",
                            "five_hour"), 0);

    /* values that could break the record's format, or are not numbers */
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-status",
                            "allowed;x"), 0);
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-status",
                            "a b"), 0);
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-5h-reset",
                            "12x"), 0);
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-5h-reset",
                            "1234567890123"), 0);
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-a;b-status",
                            "allowed"), 0);
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-5h-status",
                            ""), 0);
    assert_int_equal(header(&ws, "anthropic-ratelimit-unified-5h-status",
                            "0123456789012345678901234"), 0);

    assert_int_equal(ws.n, 0);
    assert_int_equal(ql_rate_windows_format(&ws, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
}


static void
test_bounded(void **state)
{
    char               name[64], small[40], buf[QL_RATE_WINDOWS_TEXT_MAX];
    size_t             i;
    ql_rate_windows_t  ws;

    (void) state;
    memset(&ws, 0, sizeof(ws));

    for (i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "anthropic-ratelimit-unified-w%zu-status",
                 i);
        header(&ws, name, "rejected_for_a_long_while");
        header(&ws, name, "allowed_warning_for_ever");
    }

    assert_int_equal(ws.n, QL_RATE_WINDOWS_MAX);
    assert_true(ql_rate_windows_format(&ws, buf, sizeof(buf)) < sizeof(buf));

    /* a short buffer gets whole items only */
    ql_rate_windows_format(&ws, small, sizeof(small));
    assert_string_equal(small, "w0 allowed_warning_for_ever - -");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_claude_headers),
        cmocka_unit_test(test_exhausted),
        cmocka_unit_test(test_not_ours),
        cmocka_unit_test(test_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
