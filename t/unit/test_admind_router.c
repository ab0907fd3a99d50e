/*
 * admind router: literal and {param} segments, 404 versus 405 with Allow,
 * literal-over-parameter precedence, HEAD as GET, refused tables.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admind_router.h"
#include "admind_routes.h"


static int h_list(admind_req_t *r) { (void) r; return 200; }
static int h_create(admind_req_t *r) { (void) r; return 201; }
static int h_get(admind_req_t *r) { (void) r; return 200; }
static int h_me(admind_req_t *r) { (void) r; return 200; }
static int h_delete(admind_req_t *r) { (void) r; return 204; }
static int h_key(admind_req_t *r) { (void) r; return 200; }
static int h_root(admind_req_t *r) { (void) r; return 200; }


static const admind_route_t  users_routes[] = {
    { "GET",    "/api/v1/users",                 h_list,   0, 0 },
    { "POST",   "/api/v1/users",                 h_create, 0, 0 },
    { "GET",    "/api/v1/users/{id}",            h_get,    0, 0 },
    { "GET",    "/api/v1/users/me",              h_me,     0, 0 },
    { "DELETE", "/api/v1/users/{id}",            h_delete, 0, 0 },
    { "GET",    "/api/v1/users/{id}/keys/{kid}", h_key,    0, 0 },
    { NULL, NULL, NULL, 0, 0 }
};

static const admind_route_t  root_routes[] = {
    { "GET", "/", h_root, ADMIND_ROUTE_PUBLIC, 0 },
    { NULL, NULL, NULL, 0, 0 }
};

static const admind_route_t *const  tables[] = {
    users_routes, root_routes, NULL
};


static int
setup(void **state)
{
    char              err[ADMIND_ERRLEN];
    admind_router_t  *rt;

    rt = admind_router_create(tables, err, sizeof(err));
    assert_non_null(rt);

    *state = rt;
    return 0;
}


static int
teardown(void **state)
{
    admind_router_free(*state);
    return 0;
}


static void
test_literal(void **state)
{
    admind_route_match_t  m;

    assert_int_equal(admind_router_match(*state, "GET", "/api/v1/users", &m),
                     200);
    assert_ptr_equal(m.route->handler, h_list);
    assert_int_equal(m.nparams, 0);

    assert_int_equal(admind_router_match(*state, "POST", "/api/v1/users",
                                         &m), 200);
    assert_ptr_equal(m.route->handler, h_create);

    assert_int_equal(admind_router_match(*state, "GET", "/", &m), 200);
    assert_ptr_equal(m.route->handler, h_root);
    assert_int_equal(m.route->flags, ADMIND_ROUTE_PUBLIC);
}


static void
test_params(void **state)
{
    admind_route_match_t  m;

    assert_int_equal(admind_router_match(*state, "GET", "/api/v1/users/42",
                                         &m), 200);
    assert_ptr_equal(m.route->handler, h_get);
    assert_int_equal(m.nparams, 1);
    assert_string_equal(m.params[0].name, "id");
    assert_string_equal(m.params[0].value, "42");

    assert_int_equal(admind_router_match(*state, "GET",
                                         "/api/v1/users/7/keys/abc", &m),
                     200);
    assert_ptr_equal(m.route->handler, h_key);
    assert_int_equal(m.nparams, 2);
    assert_string_equal(m.params[0].name, "id");
    assert_string_equal(m.params[0].value, "7");
    assert_string_equal(m.params[1].name, "kid");
    assert_string_equal(m.params[1].value, "abc");
}


static void
test_literal_beats_param(void **state)
{
    admind_route_match_t  m;

    assert_int_equal(admind_router_match(*state, "GET", "/api/v1/users/me",
                                         &m), 200);
    assert_ptr_equal(m.route->handler, h_me);
    assert_int_equal(m.nparams, 0);

    /* no DELETE on the literal: the parameter route takes it */
    assert_int_equal(admind_router_match(*state, "DELETE",
                                         "/api/v1/users/me", &m), 200);
    assert_ptr_equal(m.route->handler, h_delete);
    assert_string_equal(m.params[0].value, "me");
}


static void
test_not_found(void **state)
{
    size_t                i;
    admind_route_match_t  m;

    static const char  *paths[] = {
        "/api/v1/user",
        "/api/v1/users/",
        "/api/v1/users//keys/1",
        "/api/v1/users/1/keys",
        "/api/v1/users/1/keys/2/x",
        "//",
        "",
        "api/v1/users",
        "/API/v1/users",
    };

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (admind_router_match(*state, "GET", paths[i], &m) != 404) {
            fail_msg("matched: \"%s\"", paths[i]);
        }
        assert_null(m.route);
    }
}


static void
test_method_not_allowed(void **state)
{
    admind_route_match_t  m;

    assert_int_equal(admind_router_match(*state, "PUT", "/api/v1/users",
                                         &m), 405);
    assert_null(m.route);
    assert_string_equal(m.allow, "GET, HEAD, POST");

    assert_int_equal(admind_router_match(*state, "PATCH",
                                         "/api/v1/users/5", &m), 405);
    assert_string_equal(m.allow, "GET, HEAD, DELETE");

    /* methods are case-sensitive (RFC 9110) */
    assert_int_equal(admind_router_match(*state, "get", "/api/v1/users",
                                         &m), 405);
}


static void
test_head_is_get(void **state)
{
    admind_route_match_t  m;

    assert_int_equal(admind_router_match(*state, "HEAD", "/api/v1/users/9",
                                         &m), 200);
    assert_ptr_equal(m.route->handler, h_get);
}


static void
test_long_path(void **state)
{
    char                  path[ADMIND_ROUTE_PATH_MAX + 10];
    admind_route_match_t  m;

    memset(path, 'a', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';

    assert_int_equal(admind_router_match(*state, "GET", path, &m), 404);

    assert_int_equal(admind_router_match(*state, "GET",
        "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s", &m), 404);
}


static void
test_bad_tables(void **state)
{
    size_t                 i;
    char                   err[ADMIND_ERRLEN];
    const admind_route_t  *t[2];

    static const admind_route_t  bad[][2] = {
        { { "GET", "nope", h_list, 0, 0 }, { NULL, NULL, NULL, 0, 0 } },
        { { "GET", "/a//b", h_list, 0, 0 }, { NULL, NULL, NULL, 0, 0 } },
        { { "GET", "/a/{}", h_list, 0, 0 }, { NULL, NULL, NULL, 0, 0 } },
        { { "GET", "/a/x{id}", h_list, 0, 0 }, { NULL, NULL, NULL, 0, 0 } },
        { { "GET", "/a/{ID}", h_list, 0, 0 }, { NULL, NULL, NULL, 0, 0 } },
        { { "GET", "/a/{id", h_list, 0, 0 }, { NULL, NULL, NULL, 0, 0 } },
        { { "GET", "/{a}/{b}/{c}/{d}/{e}", h_list, 0, 0 },
          { NULL, NULL, NULL, 0, 0 } },
        { { "GET", "/a", NULL, 0, 0 }, { NULL, NULL, NULL, 0, 0 } },
    };

    static const admind_route_t  overlap[] = {
        { "GET", "/a/{id}", h_list, 0, 0 },
        { "GET", "/a/{name}", h_get, 0, 0 },
        { NULL, NULL, NULL, 0, 0 }
    };

    (void) state;

    t[1] = NULL;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t[0] = bad[i];
        err[0] = '\0';
        if (admind_router_create(t, err, sizeof(err)) != NULL) {
            fail_msg("accepted: %s", bad[i][0].pattern);
        }
        assert_true(err[0] != '\0');
    }

    t[0] = overlap;
    assert_null(admind_router_create(t, err, sizeof(err)));
    assert_non_null(strstr(err, "overlap"));
}


static void
test_real_tables(void **state)
{
    char                  err[ADMIND_ERRLEN];
    admind_router_t      *rt;
    admind_route_match_t  m;

    (void) state;

    /* the tables admind really serves compile and route /healthz */
    rt = admind_router_create(admind_route_tables, err, sizeof(err));
    assert_non_null(rt);

    assert_int_equal(admind_router_match(rt, "GET", "/healthz", &m), 200);
    assert_true(m.route->flags & ADMIND_ROUTE_PUBLIC);
    assert_int_equal(admind_router_match(rt, "DELETE", "/healthz", &m), 405);

    admind_router_free(rt);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_literal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_literal_beats_param, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_not_allowed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_head_is_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_path, setup, teardown),
        cmocka_unit_test(test_bad_tables),
        cmocka_unit_test(test_real_tables),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
