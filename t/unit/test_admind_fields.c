/*
 * admind request field tables: unknown fields, wrong types, missing and
 * null values, immutable and output-only fields, ranges, lengths in
 * characters, enums, string lists, int64 as string or number, and the
 * accessors.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admind_fields.h"


static const char *const  colors[] = { "red", "green", NULL };


static const admind_field_t  fields[] = {
    ADMIND_F_OUTPUT("id", ADMIND_FIELD_ID),
    ADMIND_F_STRING("name", NULL, ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE, 1,
      5),
    ADMIND_F_ID("ownerId", NULL,
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_IMMUTABLE),
    ADMIND_F_STRING("note", NULL, ADMIND_FIELD_NULLABLE, 0, 10),
    ADMIND_F_ENUM("color", NULL, 0, colors),
    ADMIND_F_INT("count", NULL, 0, 0, 100),
    ADMIND_F_BOOL("enabled", NULL, 0),
    ADMIND_F_TIME("until", NULL, ADMIND_FIELD_NULLABLE),
    ADMIND_F_STRINGS("tags", NULL, ADMIND_FIELD_LINE, 1, 3, NULL, 2),
    ADMIND_F_STRINGS("paints", NULL, 0, 0, 0, colors, 3),
    ADMIND_F_MAP("aliases", NULL, ADMIND_FIELD_LINE, 1, 3, 2),
    ADMIND_F_END
};


static int
check(const char *text, admind_fields_mode_e mode, char *err,
    size_t errlen)
{
    int            rc;
    json_t        *body;
    json_error_t   e;

    /* admind_req_json() refuses \u0000 already; the table checks anyway */
    body = json_loads(text, JSON_ALLOW_NUL, &e);
    assert_non_null(body);

    err[0] = '\0';
    rc = admind_fields_validate(fields, body, mode, err, errlen);
    json_decref(body);

    return rc;
}


#define assert_ok(text, mode)                                                \
    do {                                                                     \
        char  e_[256];                                                       \
        int   rc_ = check(text, mode, e_, sizeof(e_));                       \
        if (rc_ != ADMIND_OK) {                                              \
            fail_msg("%s: %s", text, e_);                                    \
        }                                                                    \
    } while (0)

#define assert_error(text, mode, msg)                                        \
    do {                                                                     \
        char  e_[256];                                                       \
        assert_int_equal(check(text, mode, e_, sizeof(e_)), ADMIND_ERROR);   \
        assert_string_equal(e_, msg);                                        \
    } while (0)


static void
test_valid(void **state)
{
    (void) state;

    assert_ok("{\"name\":\"a\",\"ownerId\":\"12\"}", ADMIND_FIELDS_CREATE);
    assert_ok("{\"name\":\"abcde\",\"ownerId\":12,\"note\":null,"
              "\"color\":\"red\",\"count\":\"100\",\"enabled\":false,"
              "\"until\":\"2030-01-31T12:00:00Z\",\"tags\":[\"x\",\"yz\"],"
              "\"paints\":[\"red\",\"green\"]}", ADMIND_FIELDS_CREATE);

    /* five characters, ten bytes: lengths count characters */
    assert_ok("{\"name\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\","
              "\"ownerId\":1}", ADMIND_FIELDS_CREATE);

    /* output-only fields are ignored, so a GET result can come back */
    assert_ok("{\"id\":\"anything\",\"name\":\"a\",\"ownerId\":1}",
              ADMIND_FIELDS_CREATE);

    /* an update needs nothing */
    assert_ok("{}", ADMIND_FIELDS_UPDATE);
    assert_ok("{\"count\":0}", ADMIND_FIELDS_UPDATE);
}


static void
test_unknown_and_missing(void **state)
{
    (void) state;

    assert_error("{\"name\":\"a\",\"ownerId\":1,\"colour\":\"red\"}",
                 ADMIND_FIELDS_CREATE, "unknown field \"colour\"");

    /* the unknown field is named even when a required one is missing */
    assert_error("{\"nmae\":\"a\"}", ADMIND_FIELDS_CREATE,
                 "unknown field \"nmae\"");

    assert_error("{\"ownerId\":1}", ADMIND_FIELDS_CREATE,
                 "field \"name\" is required");
    assert_error("{\"name\":\"a\"}", ADMIND_FIELDS_CREATE,
                 "field \"ownerId\" is required");
}


static void
test_types(void **state)
{
    (void) state;

    assert_error("{\"name\":1,\"ownerId\":1}", ADMIND_FIELDS_CREATE,
                 "field \"name\" must be a string");
    assert_error("{\"name\":\"a\",\"ownerId\":\"x1\"}",
                 ADMIND_FIELDS_CREATE, "field \"ownerId\" must be an id "
                 "(a positive integer, as a string or a number)");
    assert_error("{\"name\":\"a\",\"ownerId\":0}", ADMIND_FIELDS_CREATE,
                 "field \"ownerId\" must be an id (a positive integer, as a "
                 "string or a number)");
    assert_error("{\"name\":\"a\",\"ownerId\":1.5}", ADMIND_FIELDS_CREATE,
                 "field \"ownerId\" must be an id (a positive integer, as a "
                 "string or a number)");
    assert_error("{\"count\":\"1e3\"}", ADMIND_FIELDS_UPDATE,
                 "field \"count\" must be an integer");
    assert_error("{\"count\":\"01\"}", ADMIND_FIELDS_UPDATE,
                 "field \"count\" must be an integer");
    assert_error("{\"count\":true}", ADMIND_FIELDS_UPDATE,
                 "field \"count\" must be an integer");
    assert_error("{\"enabled\":\"true\"}", ADMIND_FIELDS_UPDATE,
                 "field \"enabled\" must be true or false");
    assert_error("{\"until\":\"tomorrow\"}", ADMIND_FIELDS_UPDATE,
                 "field \"until\" must be an RFC 3339 timestamp such as "
                 "\"2030-01-31T12:00:00Z\"");
    assert_error("{\"tags\":\"x\"}", ADMIND_FIELDS_UPDATE,
                 "field \"tags\" must be an array of strings");
    assert_error("{\"tags\":[\"x\",3]}", ADMIND_FIELDS_UPDATE,
                 "field \"tags\" item 1 must be a string");
    assert_error("{\"aliases\":[\"x\"]}", ADMIND_FIELDS_UPDATE,
                 "field \"aliases\" must be an object of strings");
    assert_error("{\"aliases\":{\"x\":3}}", ADMIND_FIELDS_UPDATE,
                 "field \"aliases\" value of \"x\" must be a string");
}


static void
test_values(void **state)
{
    (void) state;

    assert_error("{\"count\":101}", ADMIND_FIELDS_UPDATE,
                 "field \"count\" must be between 0 and 100");
    assert_error("{\"count\":\"-1\"}", ADMIND_FIELDS_UPDATE,
                 "field \"count\" must be between 0 and 100");
    assert_error("{\"name\":\"\"}", ADMIND_FIELDS_UPDATE,
                 "field \"name\" must have 1 to 5 characters");
    assert_error("{\"name\":\"abcdef\"}", ADMIND_FIELDS_UPDATE,
                 "field \"name\" must have 1 to 5 characters");
    assert_error("{\"note\":\"01234567890\"}", ADMIND_FIELDS_UPDATE,
                 "field \"note\" must have at most 10 characters");
    assert_error("{\"name\":\"a\\nb\"}", ADMIND_FIELDS_UPDATE,
                 "field \"name\" must not contain control characters "
                 "(newlines, tabs)");
    assert_error("{\"note\":\"a\\u0000b\"}", ADMIND_FIELDS_UPDATE,
                 "field \"note\" must not contain NUL characters");
    assert_error("{\"color\":\"blue\"}", ADMIND_FIELDS_UPDATE,
                 "field \"color\" must be one of: red, green");
    assert_error("{\"tags\":[\"a\",\"b\",\"c\"]}", ADMIND_FIELDS_UPDATE,
                 "field \"tags\" must have at most 2 items");
    assert_error("{\"tags\":[\"\"]}", ADMIND_FIELDS_UPDATE,
                 "field \"tags\" item 0 must have 1 to 3 characters");
    assert_error("{\"tags\":[\"a\\nb\"]}", ADMIND_FIELDS_UPDATE,
                 "field \"tags\" item 0 must not contain control characters "
                 "(newlines, tabs)");
    assert_ok("{\"aliases\":{\"a\":\"b\",\"ccc\":\"d\"}}",
              ADMIND_FIELDS_UPDATE);
    assert_ok("{\"aliases\":{}}", ADMIND_FIELDS_UPDATE);
    assert_error("{\"aliases\":{\"a\":\"b\",\"c\":\"d\",\"e\":\"f\"}}",
                 ADMIND_FIELDS_UPDATE,
                 "field \"aliases\" must have at most 2 entries");
    assert_error("{\"aliases\":{\"abcd\":\"b\"}}", ADMIND_FIELDS_UPDATE,
                 "field \"aliases\" name \"abcd\" must have 1 to 3 "
                 "characters");
    assert_error("{\"aliases\":{\"\":\"b\"}}", ADMIND_FIELDS_UPDATE,
                 "field \"aliases\" name \"\" must have 1 to 3 characters");
    assert_error("{\"aliases\":{\"a\":\"\"}}", ADMIND_FIELDS_UPDATE,
                 "field \"aliases\" value of \"a\" must have 1 to 3 "
                 "characters");
    assert_error("{\"aliases\":{\"a\\tb\":\"c\"}}", ADMIND_FIELDS_UPDATE,
                 "field \"aliases\" name \"a\tb\" must not contain control "
                 "characters (newlines, tabs)");
    assert_error("{\"aliases\":{\"a\":\"b\\nc\"}}", ADMIND_FIELDS_UPDATE,
                 "field \"aliases\" value of \"a\" must not contain control "
                 "characters (newlines, tabs)");
    assert_error("{\"paints\":[\"red\",\"blue\"]}", ADMIND_FIELDS_UPDATE,
                 "field \"paints\" item 1 must be one of: red, green");
    assert_error("{\"until\":\"2030-02-30T00:00:00Z\"}",
                 ADMIND_FIELDS_UPDATE, "field \"until\" must be an RFC 3339 "
                 "timestamp such as \"2030-01-31T12:00:00Z\"");
}


static void
test_null_and_immutable(void **state)
{
    (void) state;

    assert_ok("{\"note\":null,\"until\":null}", ADMIND_FIELDS_UPDATE);
    assert_error("{\"name\":null}", ADMIND_FIELDS_UPDATE,
                 "field \"name\" must not be null");
    assert_error("{\"count\":null}", ADMIND_FIELDS_UPDATE,
                 "field \"count\" must not be null");
    assert_error("{\"ownerId\":2}", ADMIND_FIELDS_UPDATE,
                 "field \"ownerId\" cannot be changed");
}


static void
test_not_an_object(void **state)
{
    char     err[128];
    json_t  *body;

    (void) state;

    body = json_array();
    assert_int_equal(admind_fields_validate(fields, body,
                                            ADMIND_FIELDS_UPDATE, err,
                                            sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "the body must be a JSON object");
    json_decref(body);
}


static void
test_accessors(void **state)
{
    json_t        *body;
    long long      n;
    json_error_t   e;

    (void) state;

    body = json_loads("{\"name\":\"a\",\"ownerId\":\"9007199254740993\","
                      "\"count\":7,\"note\":null,\"enabled\":true,"
                      "\"until\":\"2030-01-01T01:00:00+01:00\","
                      "\"tags\":[\"x\"],\"secret\":\"hunter2\"}", 0, &e);
    assert_non_null(body);

    /* beyond 2^53: exact as a string, as proto3 int64 wants */
    assert_int_equal(admind_fields_int(body, "ownerId", 0),
                     9007199254740993LL);
    assert_int_equal(admind_fields_int(body, "count", 0), 7);
    assert_int_equal(admind_fields_int(body, "missing", 42), 42);
    assert_string_equal(admind_fields_str(body, "name", NULL), "a");
    assert_null(admind_fields_str(body, "note", NULL));
    assert_string_equal(admind_fields_str(body, "note", "d"), "d");
    assert_true(admind_fields_has(body, "note"));
    assert_true(admind_fields_is_null(body, "note"));
    assert_false(admind_fields_has(body, "color"));
    assert_true(admind_fields_bool(body, "enabled", 0));
    assert_false(admind_fields_bool(body, "missing", 0));
    assert_int_equal(admind_fields_time(body, "until", 0), 1893456000);
    assert_int_equal(json_array_size(admind_fields_array(body, "tags")), 1);
    assert_null(admind_fields_array(body, "name"));

    admind_fields_wipe(body, "secret");
    assert_memory_equal(json_string_value(json_object_get(body, "secret")),
                        "\0\0\0\0\0\0\0", 7);

    assert_int_equal(admind_fields_number(json_object_get(body, "name"), &n),
                     ADMIND_ERROR);

    json_decref(body);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_unknown_and_missing),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_null_and_immutable),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_accessors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
