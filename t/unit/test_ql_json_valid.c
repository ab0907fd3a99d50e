/*
 * cmocka tests: the JSON validator that builds nothing, against jansson
 * (what it accepts, jansson accepts) and the members it locates.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "ql_json_valid.h"


static ql_json_valid_e
valid(const char *s)
{
    const char  *dup;

    return ql_json_valid_object((const unsigned char *) s, strlen(s), NULL,
                                NULL, &dup);
}


/* ours and jansson's verdicts agree */
static void
agree(const char *s)
{
    json_t  *j;

    j = json_loadb(s, strlen(s), 0, NULL);
    if ((valid(s) == QL_JSON_OK) != (j != NULL && json_is_object(j))) {
        fail_msg("disagree on: %s", s);
    }

    json_decref(j);
}


static void
test_agrees_with_jansson(void **state)
{
    size_t              i;
    static const char  *cases[] = {
        "{}", " {} ", "{\"a\":1}", "{\"a\":[1,2,{\"b\":null}]}",
        "{\"a\":-0.5e+10,\"b\":0,\"c\":1E3,\"d\":true,\"e\":false}",
        "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}",
        "{\"s\":\"\xc3\xa9\xf0\x9f\x98\x80\"}",
        "{\"a\":[[[]]],\"b\":{\"c\":{}}}",
        /* refused */
        "", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}",
        "{\"a\":1 \"b\":2}", "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":01}",
        "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":+1}",
        "{\"a\":tru}", "{\"a\":True}", "{\"a\":nul}", "{\"a\":\"x}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\x01\"}",
        "{\"a\":\"\xc3\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}", "{} x", "{}{}", "{\"a\":1}]",
        "{1:2}", "{\"a\":[}", "{\"a\":{]}", "{\"a\" 1}", "[1]", "\"s\"", "1",
        "{\"a\":NaN}", "{\"a\":Infinity}", "\xef\xbb\xbf{}",
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        agree(cases[i]);
    }

    assert_int_equal(valid("[1]"), QL_JSON_NOT_OBJECT);
    assert_int_equal(valid("{\"a\":}"), QL_JSON_INVALID);

    /* numbers of any size pass (jansson refuses over 64 bits) */
    assert_int_equal(valid("{\"n\":123456789012345678901234567890}"),
                     QL_JSON_OK);
}


static void
test_depth(void **state)
{
    char    deep[2 * QL_JSON_VALID_DEPTH + 8];
    size_t  i, n;

    (void) state;

    /* QL_JSON_VALID_DEPTH containers nested: the limit itself passes */
    n = 0;
    deep[n++] = '{';
    deep[n++] = '"';
    deep[n++] = 'a';
    deep[n++] = '"';
    deep[n++] = ':';
    for (i = 1; i < QL_JSON_VALID_DEPTH; i++) {
        deep[n++] = '[';
    }
    for (i = 1; i < QL_JSON_VALID_DEPTH; i++) {
        deep[n++] = ']';
    }
    deep[n++] = '}';
    deep[n] = '\0';
    assert_int_equal(valid(deep), QL_JSON_OK);

    memmove(deep + 6, deep + 5, n - 4);
    deep[5] = '[';
    assert_int_equal(valid(deep), QL_JSON_TOO_DEEP);
}


static void
test_members(void **state)
{
    const char            *dup, *s;
    ql_json_span_t         m[3];
    static const char     *names[] = { "model", "stream", "messages", NULL };

    (void) state;

    s = " {\"messages\" : [ {\"model\":1} ] , \"model\":\"claude\\u002d4\","
        "\"x\":{\"stream\":false},\"stream\":true } ";
    assert_int_equal(ql_json_valid_object((const unsigned char *) s,
                                          strlen(s), names, m, &dup),
                     QL_JSON_OK);
    assert_memory_equal(s + m[0].start, "\"claude\\u002d4\"",
                        m[0].end - m[0].start);
    assert_int_equal(m[1].end - m[1].start, 4);
    assert_memory_equal(s + m[1].start, "true", 4);
    assert_memory_equal(s + m[2].start, "[ {\"model\":1} ]",
                        m[2].end - m[2].start);

    s = "{\"x\":1}";
    assert_int_equal(ql_json_valid_object((const unsigned char *) s,
                                          strlen(s), names, m, &dup),
                     QL_JSON_OK);
    assert_int_equal(m[0].end, 0);
    assert_int_equal(m[1].end, 0);

    /* a name the gateway reads appears once, written plainly */
    s = "{\"model\":\"a\",\"x\":1,\"model\":\"b\"}";
    assert_int_equal(ql_json_valid_object((const unsigned char *) s,
                                          strlen(s), names, m, &dup),
                     QL_JSON_DUPLICATE);
    assert_string_equal(dup, "model");

    s = "{\"mod\\u0065l\":\"b\"}";
    assert_int_equal(ql_json_valid_object((const unsigned char *) s,
                                          strlen(s), names, m, &dup),
                     QL_JSON_DUPLICATE);
    assert_string_equal(dup, "model");

    /* other names may repeat; nested ones are not top-level */
    s = "{\"x\":1,\"x\":2,\"o\":{\"model\":1,\"model\":2}}";
    assert_int_equal(ql_json_valid_object((const unsigned char *) s,
                                          strlen(s), names, m, &dup),
                     QL_JSON_OK);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_agrees_with_jansson),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_members),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
