/*
 * cmocka tests: the vendors' error shapes, and nginx's own error statuses
 * mapped to them (quotalane_error).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "ql_platform.h"


static const char *
body(const char *platform, ql_error_kind_t kind, const char *message)
{
    size_t         len;
    static char    buf[1024];

    len = ql_error_body(ql_platform_by_name((const unsigned char *) platform,
                                            strlen(platform)),
                        kind, message, (unsigned char *) buf,
                        sizeof(buf) - 1);
    assert_true(len > 0);
    buf[len] = '\0';

    return buf;
}


static void
test_status_kinds(void **state)
{
    const char  *message;

    (void) state;

    assert_int_equal(ql_error_kind_by_status(400, &message),
                     QL_ERR_INVALID_REQUEST);
    assert_non_null(strstr(message, "headers are too large"));

    assert_int_equal(ql_error_kind_by_status(413, &message),
                     QL_ERR_REQUEST_TOO_LARGE);
    assert_int_equal(ql_error_status(QL_ERR_REQUEST_TOO_LARGE), 413);

    assert_int_equal(ql_error_kind_by_status(414, &message),
                     QL_ERR_URI_TOO_LONG);
    assert_int_equal(ql_error_status(QL_ERR_URI_TOO_LONG), 414);

    assert_int_equal(ql_error_kind_by_status(429, &message),
                     QL_ERR_RATE_LIMIT);

    assert_int_equal(ql_error_kind_by_status(501, &message),
                     QL_ERR_NOT_IMPLEMENTED);
    assert_int_equal(ql_error_status(QL_ERR_NOT_IMPLEMENTED), 501);
    assert_non_null(strstr(message, "Transfer-Encoding"));

    /* without an own row: the generic kind of the class */
    assert_int_equal(ql_error_kind_by_status(405, &message),
                     QL_ERR_INVALID_REQUEST);
    assert_int_equal(ql_error_kind_by_status(502, &message), QL_ERR_API);
}


static void
test_shapes(void **state)
{
    (void) state;

    assert_string_equal(body("claude", QL_ERR_URI_TOO_LONG, "long \"uri\""),
                        "{\"type\":\"error\",\"error\":{\"type\":"
                        "\"invalid_request_error\",\"message\":"
                        "\"long \\\"uri\\\"\"}}");

    assert_string_equal(body("openai", QL_ERR_NOT_IMPLEMENTED, "no"),
                        "{\"error\":{\"message\":\"no\",\"type\":"
                        "\"invalid_request_error\",\"param\":null,"
                        "\"code\":\"not_implemented\"}}");

    assert_string_equal(body("gemini", QL_ERR_URI_TOO_LONG, "x"),
                        "{\"error\":{\"code\":414,\"message\":\"x\","
                        "\"status\":\"INVALID_ARGUMENT\"}}");

    assert_string_equal(body("gemini", QL_ERR_NOT_IMPLEMENTED, "x"),
                        "{\"error\":{\"code\":501,\"message\":\"x\","
                        "\"status\":\"UNIMPLEMENTED\"}}");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_status_kinds),
        cmocka_unit_test(test_shapes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
