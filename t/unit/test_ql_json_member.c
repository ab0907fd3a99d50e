/*
 * cmocka tests: top-level members of a JSON object by position.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ql_json_member.h"


static int
member(const char *json, const char *name, char *out)
{
    int             rc;
    ql_json_span_t  v;

    rc = ql_json_member((const unsigned char *) json, strlen(json), name,
                        &v);
    if (rc == 1) {
        memcpy(out, json + v.start, v.end - v.start);
        out[v.end - v.start] = '\0';
    }

    return rc;
}


static void
test_member(void **state)
{
    char  v[256];

    (void) state;

    assert_int_equal(member("{\"model\":\"gpt-4o\",\"n\":1}", "model", v), 1);
    assert_string_equal(v, "\"gpt-4o\"");

    /* nested members of the same name are not the top-level one */
    assert_int_equal(member(" {\"a\":{\"model\":\"x\",\"b\":[{\"model\":1}]},"
                            "\n \"model\" : \"y\\\"z\" } ", "model", v), 1);
    assert_string_equal(v, "\"y\\\"z\"");

    assert_int_equal(member("{\"s\":\"}\\\\\",\"stream\":true}", "stream", v),
                     1);
    assert_string_equal(v, "true");
    assert_int_equal(member("{\"o\":{\"include_usage\":false}}", "o", v), 1);
    assert_string_equal(v, "{\"include_usage\":false}");
    assert_int_equal(member("{\"n\":-1.5e3 }", "n", v), 1);
    assert_string_equal(v, "-1.5e3");

    assert_int_equal(member("{}", "model", v), 0);
    assert_int_equal(member("{\"models\":1}", "model", v), 0);
    assert_int_equal(member("{\"mode\":1}", "model", v), 0);

    /* not an object, or cut: never found */
    assert_int_equal(member("[1]", "model", v), -1);
    assert_int_equal(member("", "model", v), -1);
    assert_int_equal(member("{\"a\":", "model", v), -1);
    assert_int_equal(member("{\"a\":[1,2", "model", v), -1);
    assert_int_equal(member("{\"a\":\"x", "model", v), -1);
    assert_int_equal(member("{\"a\" 1}", "model", v), -1);
}


/* json without member name, as ql_json_member_cut says to cut it */
static int
without(const char *json, const char *name, char *out)
{
    int             rc;
    size_t          len;
    ql_json_span_t  c;

    len = strlen(json);
    rc = ql_json_member_cut((const unsigned char *) json, len, name, &c);
    if (rc == 1) {
        memcpy(out, json, c.start);
        memcpy(out + c.start, json + c.end, len - c.end);
        out[len - (c.end - c.start)] = '\0';
    }

    return rc;
}


static void
test_member_cut(void **state)
{
    char  v[256];

    (void) state;

    assert_int_equal(without("{\"model\":\"m\",\"n\":1}", "model", v), 1);
    assert_string_equal(v, "{\"n\":1}");
    assert_int_equal(without("{\"n\":1, \"model\" : \"m\" }", "model", v),
                     1);
    assert_string_equal(v, "{\"n\":1 }");
    assert_int_equal(without("{\"a\":1,\"stream\":true,\n \"b\":[2]}",
                             "stream", v), 1);
    assert_string_equal(v, "{\"a\":1,\"b\":[2]}");
    assert_int_equal(without("{ \"stream\":false }", "stream", v), 1);
    assert_string_equal(v, "{  }");
    assert_int_equal(without("{\"a\":{\"stream\":1}}", "stream", v), 0);
    assert_int_equal(without("[\"stream\"]", "stream", v), -1);
}


static void
test_object_end(void **state)
{
    int     empty;
    size_t  close;

    (void) state;

    assert_int_equal(ql_json_object_end((const unsigned char *) "{ }", 3,
                                        &close, &empty), 0);
    assert_int_equal(close, 2);
    assert_true(empty);

    assert_int_equal(ql_json_object_end((const unsigned char *)
                                        "{\"a\":{\"}\":1}} \n", 15,
                                        &close, &empty), 0);
    assert_int_equal(close, 12);
    assert_false(empty);

    assert_int_equal(ql_json_object_end((const unsigned char *) "{\"a\":1",
                                        6, &close, &empty), -1);
}


static void
test_quote(void **state)
{
    size_t         n;
    unsigned char  out[64];
    const char    *s = "a\"b\\c\n\x01" "d";

    (void) state;

    n = ql_json_quote((const unsigned char *) s, strlen(s), out);
    assert_int_equal(n, ql_json_quoted_len((const unsigned char *) s,
                                           strlen(s)));
    assert_memory_equal(out, "\"a\\\"b\\\\c\\u000a\\u0001d\"", n);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_member),
        cmocka_unit_test(test_member_cut),
        cmocka_unit_test(test_object_end),
        cmocka_unit_test(test_quote),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
