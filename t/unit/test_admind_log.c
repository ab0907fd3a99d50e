/*
 * admind logs: one JSON object per line with ts/level/msg first, escaping,
 * extra fields, level filtering, invalid UTF-8 kept readable.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admind_log.h"


static FILE  *out;


static int
setup(void **state)
{
    (void) state;

    out = tmpfile();
    assert_non_null(out);
    admind_log_set_stream(out);
    admind_log_set_level(ADMIND_LOG_INFO);

    return 0;
}


static int
teardown(void **state)
{
    (void) state;

    admind_log_set_stream(NULL);
    fclose(out);

    return 0;
}


/* the lines written so far, as JSON values in an array */
static json_t *
lines(void)
{
    char          buf[4096];
    json_t       *all, *j;
    json_error_t  e;

    all = json_array();
    rewind(out);

    while (fgets(buf, sizeof(buf), out) != NULL) {
        assert_non_null(strchr(buf, '\n'));
        j = json_loads(buf, 0, &e);
        if (j == NULL) {
            fail_msg("not JSON: %s", buf);
        }
        json_array_append_new(all, j);
    }

    return all;
}


static void
test_shape(void **state)
{
    char         buf[256];
    json_t      *all, *l;
    const char  *ts;

    (void) state;

    admind_log(ADMIND_LOG_INFO, "listening",
               "addr", json_string("127.0.0.1:8081"),
               "threads", json_integer(4), NULL);

    all = lines();
    assert_int_equal(json_array_size(all), 1);

    l = json_array_get(all, 0);
    assert_string_equal(json_string_value(json_object_get(l, "level")),
                        "info");
    assert_string_equal(json_string_value(json_object_get(l, "msg")),
                        "listening");
    assert_string_equal(json_string_value(json_object_get(l, "addr")),
                        "127.0.0.1:8081");
    assert_int_equal(json_integer_value(json_object_get(l, "threads")), 4);

    /* 2025-01-31T12:34:56.789Z */
    ts = json_string_value(json_object_get(l, "ts"));
    assert_non_null(ts);
    assert_int_equal(strlen(ts), 24);
    assert_int_equal(ts[10], 'T');
    assert_int_equal(ts[19], '.');
    assert_int_equal(ts[23], 'Z');

    json_decref(all);

    /* ts, level and msg come first, for people reading raw lines */
    rewind(out);
    assert_non_null(fgets(buf, sizeof(buf), out));
    assert_int_equal(strncmp(buf, "{\"ts\":\"", 7), 0);
    assert_non_null(strstr(buf, "\",\"level\":\"info\",\"msg\":"));
}


static void
test_escaping(void **state)
{
    json_t  *all, *l;

    (void) state;

    admind_log(ADMIND_LOG_WARN, "quote \" newline \n tab \t",
               "path", json_string("/a\"b\\c"),
               "bad", admind_log_str("caf\xe9"),
               "null", admind_log_str(NULL),
               "dropped", NULL, NULL);

    all = lines();
    assert_int_equal(json_array_size(all), 1);

    l = json_array_get(all, 0);
    assert_string_equal(json_string_value(json_object_get(l, "msg")),
                        "quote \" newline \n tab \t");
    assert_string_equal(json_string_value(json_object_get(l, "path")),
                        "/a\"b\\c");
    assert_string_equal(json_string_value(json_object_get(l, "bad")),
                        "caf?");
    assert_true(json_is_null(json_object_get(l, "null")));
    assert_null(json_object_get(l, "dropped"));

    json_decref(all);
}


static void
test_levels(void **state)
{
    json_t              *all;
    admind_log_level_e   level;

    (void) state;

    admind_log_set_level(ADMIND_LOG_WARN);

    /* filtered lines still release their values (checked by valgrind) */
    admind_log(ADMIND_LOG_DEBUG, "no", "x", json_string("y"), NULL);
    admind_log(ADMIND_LOG_INFO, "no", NULL);
    admind_log(ADMIND_LOG_WARN, "yes", NULL);
    admind_log(ADMIND_LOG_ERROR, "yes", NULL);

    all = lines();
    assert_int_equal(json_array_size(all), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(all, 1), "level")), "error");
    json_decref(all);

    assert_true(admind_log_enabled(ADMIND_LOG_ERROR));
    assert_false(admind_log_enabled(ADMIND_LOG_INFO));

    assert_int_equal(admind_log_level_parse("debug", &level), ADMIND_OK);
    assert_int_equal(level, ADMIND_LOG_DEBUG);
    assert_int_equal(admind_log_level_parse("warn", &level), ADMIND_OK);
    assert_int_equal(level, ADMIND_LOG_WARN);
    assert_int_equal(admind_log_level_parse("warning", &level),
                     ADMIND_ERROR);
    assert_string_equal(admind_log_level_name(ADMIND_LOG_ERROR), "error");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
