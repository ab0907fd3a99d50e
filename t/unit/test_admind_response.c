/*
 * admind request and response helpers, without a server: the error body
 * shape, JSON answers, extra headers, body accumulation with a cap, JSON
 * body parsing (duplicate keys named) and {id} parameters.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admind_request.h"
#include "admind_response.h"


static int
setup(void **state)
{
    admind_req_t  *r;

    r = admind_req_create(NULL, "POST", "/api/v1/things/12");
    assert_non_null(r);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/api/v1/things/12");

    *state = r;
    return 0;
}


static int
teardown(void **state)
{
    admind_req_free(*state);
    return 0;
}


static json_t *
body_of(admind_req_t *r)
{
    json_t        *j;
    json_error_t   e;

    assert_non_null(r->resp_body);
    assert_int_equal(strlen(r->resp_body), r->resp_len);

    j = json_loadb(r->resp_body, r->resp_len, 0, &e);
    assert_non_null(j);

    return j;
}


static void
test_error_shape(void **state)
{
    json_t        *j, *err;
    admind_req_t  *r = *state;

    assert_int_equal(admind_resp_error(r, 409, "conflict",
                                       "user \"%s\" exists", "bob"), 409);
    assert_int_equal(r->status, 409);
    assert_string_equal(r->resp_type, "application/json");

    j = body_of(r);
    assert_int_equal(json_object_size(j), 1);

    err = json_object_get(j, "error");
    assert_true(json_is_object(err));
    assert_int_equal(json_object_size(err), 2);
    assert_string_equal(json_string_value(json_object_get(err, "code")),
                        "conflict");
    assert_string_equal(json_string_value(json_object_get(err, "message")),
                        "user \"bob\" exists");

    json_decref(j);
}


static void
test_error_default_code_and_bad_utf8(void **state)
{
    json_t        *j;
    admind_req_t  *r = *state;

    assert_int_equal(admind_resp_error(r, 413, NULL, "bad \xff byte"), 413);

    j = body_of(r);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(j, "error"), "code")),
                        "payload_too_large");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(j, "error"), "message")),
                        "bad ? byte");
    json_decref(j);

    assert_string_equal(admind_resp_code(404), "not_found");
    assert_string_equal(admind_resp_code(405), "method_not_allowed");
    assert_string_equal(admind_resp_code(503), "unavailable");
    assert_string_equal(admind_resp_code(599), "internal_error");
    assert_string_equal(admind_resp_code(418), "bad_request");
}


static void
test_json_and_replace(void **state)
{
    json_t        *j;
    admind_req_t  *r = *state;

    assert_int_equal(admind_resp_json(r, 200, json_pack("{s:i}", "n", 5)),
                     200);

    /* a second answer replaces the first */
    assert_int_equal(admind_resp_json(r, 201, json_pack("{s:s}", "k", "v")),
                     201);
    j = body_of(r);
    assert_string_equal(json_string_value(json_object_get(j, "k")), "v");
    json_decref(j);

    assert_int_equal(admind_resp_empty(r, 204), 204);
    assert_null(r->resp_body);
    assert_int_equal(r->resp_len, 0);

    /* NULL (a failed json_pack) becomes a 500 in the error shape */
    assert_int_equal(admind_resp_json(r, 200, NULL), 500);
    j = body_of(r);
    assert_non_null(json_object_get(j, "error"));
    json_decref(j);
}


static void
test_headers(void **state)
{
    unsigned       i;
    admind_req_t  *r = *state;

    assert_int_equal(admind_resp_header(r, "Location", "/x/1"), ADMIND_OK);
    assert_int_equal(r->nheaders, 1);
    assert_string_equal(r->headers[0].name, "Location");
    assert_string_equal(r->headers[0].value, "/x/1");

    for (i = 1; i < ADMIND_REQ_MAX_HEADERS; i++) {
        assert_int_equal(admind_resp_header(r, "X-A", "b"), ADMIND_OK);
    }
    assert_int_equal(admind_resp_header(r, "X-A", "b"), ADMIND_ERROR);

    admind_resp_reset(r);
    assert_int_equal(r->nheaders, 0);
    assert_int_equal(r->status, 0);
}


static void
test_body_cap(void **state)
{
    char           chunk[300];
    unsigned       i;
    admind_req_t  *r = *state;

    memset(chunk, 'x', sizeof(chunk));

    for (i = 0; i < 3; i++) {
        assert_int_equal(admind_req_append_body(r, chunk, sizeof(chunk),
                                                1000), ADMIND_OK);
    }

    assert_int_equal(r->body_len, 900);
    assert_int_equal(r->body[900], '\0');

    assert_int_equal(admind_req_append_body(r, chunk, 100, 1000),
                     ADMIND_OK);
    assert_int_equal(admind_req_append_body(r, chunk, 1, 1000),
                     ADMIND_DECLINED);
    assert_int_equal(r->body_len, 1000);

    assert_int_equal(admind_req_append_body(r, chunk, SIZE_MAX, 1000),
                     ADMIND_DECLINED);
}


static void
test_json_body(void **state)
{
    json_t        *j;
    admind_req_t  *r = *state;

    assert_null(admind_req_json(r));
    assert_int_equal(r->status, 400);
    admind_resp_reset(r);

    assert_int_equal(admind_req_append_body(r, "{\"a\":1}", 7, 100),
                     ADMIND_OK);
    j = admind_req_json(r);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
    assert_int_equal(r->status, 0);
    json_decref(j);
}


static void
test_json_body_invalid(void **state)
{
    size_t         i;
    json_t        *j, *e;
    admind_req_t  *r;

    static const char  *bad[] = {
        "{", "[1,2]", "\"s\"", "{\"a\":1,\"a\":2}", "{} x",
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = admind_req_create(NULL, "POST", "/");
        assert_non_null(r);
        assert_int_equal(admind_req_append_body(r, bad[i], strlen(bad[i]),
                                                100), ADMIND_OK);
        assert_null(admind_req_json(r));
        assert_int_equal(r->status, 400);

        j = body_of(r);
        e = json_object_get(j, "error");
        assert_string_equal(json_string_value(json_object_get(e, "code")),
                            "invalid_json");
        json_decref(j);
        admind_req_free(r);
    }
}


/* the duplicate is named, however long and however it is spelled */
static void
test_json_body_duplicate_named(void **state)
{
    size_t         i;
    json_t        *j;
    const char    *msg;
    admind_req_t  *r;

    static const struct {
        const char  *body;
        const char  *key;
    } dups[] = {
        { "{\"name\":1,\"name\":2}", "\"name\"" },
        { "{\"a_rather_long_key_name_here\":1,"
          "\"a_rather_long_key_name_here\":2}",
          "\"a_rather_long_key_name_here\"" },
        { "{\"x\":{\"q\\\"t\":1,\"q\\\"t\":2}}", "\"q\"t\"" },
        { "{\"na\\u006de\":1, \"name\" :2}", "\"name\"" },
    };

    (void) state;

    for (i = 0; i < sizeof(dups) / sizeof(dups[0]); i++) {
        r = admind_req_create(NULL, "POST", "/");
        assert_non_null(r);
        assert_int_equal(admind_req_append_body(r, dups[i].body,
                                                strlen(dups[i].body), 200),
                         ADMIND_OK);
        assert_null(admind_req_json(r));
        assert_int_equal(r->status, 400);

        j = body_of(r);
        msg = json_string_value(json_object_get(json_object_get(j, "error"),
                                                "message"));
        assert_non_null(msg);
        assert_non_null(strstr(msg, "duplicate key"));
        assert_non_null(strstr(msg, dups[i].key));
        json_decref(j);
        admind_req_free(r);
    }
}


static void
test_params(void **state)
{
    uint64_t       id;
    admind_req_t  *r = *state;

    r->match.nparams = 2;
    r->match.params[0].name = "id";
    r->match.params[0].value = "12";
    r->match.params[1].name = "kid";
    r->match.params[1].value = "007";

    assert_string_equal(admind_req_param(r, "id"), "12");
    assert_null(admind_req_param(r, "nope"));

    assert_int_equal(admind_req_param_id(r, "id", &id), ADMIND_OK);
    assert_int_equal(id, 12);
    assert_int_equal(r->status, 0);

    /* leading zeros, overflow, words: no such resource */
    assert_int_equal(admind_req_param_id(r, "kid", &id), ADMIND_ERROR);
    assert_int_equal(r->status, 404);
    admind_resp_reset(r);

    r->match.params[1].value = "9223372036854775808";
    assert_int_equal(admind_req_param_id(r, "kid", &id), ADMIND_ERROR);
    admind_resp_reset(r);

    r->match.params[1].value = "99999999999999999999";
    assert_int_equal(admind_req_param_id(r, "kid", &id), ADMIND_ERROR);
    admind_resp_reset(r);

    r->match.params[1].value = "9223372036854775807";
    assert_int_equal(admind_req_param_id(r, "kid", &id), ADMIND_OK);
    assert_true(id == INT64_MAX);

    r->match.params[1].value = "1x";
    assert_int_equal(admind_req_param_id(r, "kid", &id), ADMIND_ERROR);
    admind_resp_reset(r);

    assert_int_equal(admind_req_param_id(r, "missing", &id), ADMIND_ERROR);

    /* no connection in tests: headers and queries are simply absent */
    assert_null(admind_req_header(r, "Content-Type"));
    assert_null(admind_req_query(r, "limit"));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_error_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_default_code_and_bad_utf8,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_and_replace, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_body, setup, teardown),
        cmocka_unit_test(test_json_body_invalid),
        cmocka_unit_test(test_json_body_duplicate_named),
        cmocka_unit_test_setup_teardown(test_params, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
