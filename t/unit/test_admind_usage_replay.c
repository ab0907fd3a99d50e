/*
 * admind --replay-usage: which lines of an nginx error log are dumped
 * usage records, and which of those can be replayed.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "admind_usage_replay.h"


#define PREFIX  "2026/12/03 08:13:48 [alert] 20160#20160: "
#define RECORD  "{\"request_id\":\"0123456789abcdef0123456789abcdef\"," \
                "\"ts_ms\":\"1764158400123\",\"model\":\"a \\\"b\\\"\"," \
                "\"output_tokens\":\"3\"}"


static int
line(const char *text, json_t **rec, char *err)
{
    return admind_usage_replay_line(text, strlen(text), rec, err,
                                    ADMIND_ERRLEN);
}


static void
test_record(void **state)
{
    char     err[ADMIND_ERRLEN];
    json_t  *rec;

    (void) state;

    assert_int_equal(line(PREFIX "quotalane: unsent usage " RECORD "\n",
                          &rec, err), ADMIND_OK);
    assert_string_equal(json_string_value(json_object_get(rec,
                                                          "request_id")),
                        "0123456789abcdef0123456789abcdef");
    assert_string_equal(json_string_value(json_object_get(rec, "model")),
                        "a \"b\"");
    assert_int_equal(json_object_size(rec), 4);
    json_decref(rec);

    /* nginx may append context after the message */
    assert_int_equal(line(PREFIX "quotalane: unsent usage " RECORD
                          ", client: 127.0.0.1\n", &rec, err), ADMIND_OK);
    json_decref(rec);
}


static void
test_other_lines(void **state)
{
    char     err[ADMIND_ERRLEN];
    json_t  *rec;

    (void) state;

    assert_int_equal(line(PREFIX "gracefully shutting down\n", &rec, err),
                     ADMIND_DECLINED);
    assert_null(rec);
    assert_int_equal(line("", &rec, err), ADMIND_DECLINED);
}


static void
test_broken(void **state)
{
    char     err[ADMIND_ERRLEN];
    json_t  *rec;

    (void) state;

    /* cut short, e.g. by the error log's line limit */
    assert_int_equal(line(PREFIX "quotalane: unsent usage "
                          "{\"request_id\":\"01\",\"ts_ms\":\"17\n", &rec,
                          err), ADMIND_ERROR);
    assert_null(rec);
    assert_non_null(strstr(err, "not JSON"));

    assert_int_equal(line("quotalane: unsent usage [\"request_id\"]", &rec,
                          err), ADMIND_ERROR);
    assert_string_equal(err, "not a JSON object");

    assert_int_equal(line("quotalane: unsent usage {\"request_id\":\"01\","
                          "\"input_tokens\":3}", &rec, err), ADMIND_ERROR);
    assert_string_equal(err, "field \"input_tokens\" is not a string");

    assert_int_equal(line("quotalane: unsent usage {\"ts_ms\":\"1\"}", &rec,
                          err), ADMIND_ERROR);
    assert_string_equal(err, "no request_id");

    assert_int_equal(line("quotalane: unsent usage {\"request_id\":\"\"}",
                          &rec, err), ADMIND_ERROR);
    assert_string_equal(err, "no request_id");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_other_lines),
        cmocka_unit_test(test_broken),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
