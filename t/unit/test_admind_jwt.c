/*
 * admind session tokens: issue and verify, and the tokens that must not
 * pass: other keys, expired, tampered, "alg":"none", other algorithms,
 * malformed claims, issued or valid only in the future, no token
 * version.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jwt.h>

#include "admind_jwt.h"
#include "admind_auth.h"


static const unsigned char  key[] = "0123456789abcdef0123456789abcdef";
static const unsigned char  other[] = "fedcba9876543210fedcba9876543210";

#define KEYLEN  (sizeof(key) - 1)
#define NOW     1795687200


static char *
issue(admind_role_e role)
{
    char                *token;
    time_t               exp;
    admind_principal_t   p;

    memset(&p, 0, sizeof(p));
    p.id = 42;
    strcpy(p.name, "alice");
    p.role = role;

    assert_int_equal(admind_jwt_issue(key, KEYLEN, &p, NOW, 3600, &token,
                                      &exp),
                     ADMIND_OK);
    assert_int_equal(exp, NOW + 3600);

    return token;
}


/* a token with any header and claims, signed by libjwt itself */
static char *
forge(jwt_alg_t alg, const unsigned char *k, size_t klen,
    const char *grants)
{
    char   *token;
    jwt_t  *jwt;

    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_add_grants_json(jwt, grants), 0);
    assert_int_equal(jwt_set_alg(jwt, alg, k, (int) klen), 0);

    token = jwt_encode_str(jwt);
    assert_non_null(token);
    jwt_free(jwt);

    return token;
}


static void
test_round_trip(void **state)
{
    char                *token;
    admind_principal_t   p;

    (void) state;

    token = issue(ADMIND_ROLE_ADMIN);

    memset(&p, 0, sizeof(p));
    assert_int_equal(admind_jwt_verify(key, KEYLEN, token, NOW + 10, &p),
                     ADMIND_OK);
    assert_int_equal(p.id, 42);
    assert_string_equal(p.name, "alice");
    assert_int_equal(p.role, ADMIND_ROLE_ADMIN);

    /* the header names HS256 */
    assert_memory_equal(token, "eyJ", 3);
    free(token);

    token = issue(ADMIND_ROLE_USER);
    assert_int_equal(admind_jwt_verify(key, KEYLEN, token, NOW, &p),
                     ADMIND_OK);
    assert_int_equal(p.role, ADMIND_ROLE_USER);
    free(token);
}


static void
test_refused(void **state)
{
    char                *token, *t;
    size_t               len;
    admind_principal_t   p;

    (void) state;

    token = issue(ADMIND_ROLE_ADMIN);

    assert_int_equal(admind_jwt_verify(other, KEYLEN, token, NOW, &p),
                     ADMIND_ERROR);
    assert_int_equal(admind_jwt_verify(key, KEYLEN, token, NOW + 3600, &p),
                     ADMIND_ERROR);
    assert_int_equal(admind_jwt_verify(key, 0, token, NOW, &p),
                     ADMIND_ERROR);

    /* one changed character in the signature */
    len = strlen(token);
    token[len - 2] = token[len - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(admind_jwt_verify(key, KEYLEN, token, NOW, &p),
                     ADMIND_ERROR);
    free(token);

    assert_int_equal(admind_jwt_verify(key, KEYLEN, "", NOW, &p),
                     ADMIND_ERROR);
    assert_int_equal(admind_jwt_verify(key, KEYLEN, "a.b.c", NOW, &p),
                     ADMIND_ERROR);
    assert_int_equal(admind_jwt_verify(key, KEYLEN, NULL, NOW, &p),
                     ADMIND_ERROR);

    /* unsigned */
    t = forge(JWT_ALG_NONE, NULL, 0, "{\"sub\":\"1\",\"name\":\"a\","
              "\"role\":\"admin\",\"exp\":1895687200}");
    assert_int_equal(admind_jwt_verify(key, KEYLEN, t, NOW, &p),
                     ADMIND_ERROR);
    free(t);

    /* the right key, another algorithm */
    t = forge(JWT_ALG_HS512, key, KEYLEN, "{\"sub\":\"1\",\"name\":\"a\","
              "\"role\":\"admin\",\"exp\":1895687200}");
    assert_int_equal(admind_jwt_verify(key, KEYLEN, t, NOW, &p),
                     ADMIND_ERROR);
    free(t);

    /* well signed, but claims admind never issues */
    t = forge(JWT_ALG_HS256, key, KEYLEN, "{\"sub\":\"1\",\"name\":\"a\","
              "\"role\":\"root\",\"exp\":1895687200}");
    assert_int_equal(admind_jwt_verify(key, KEYLEN, t, NOW, &p),
                     ADMIND_ERROR);
    free(t);

    t = forge(JWT_ALG_HS256, key, KEYLEN, "{\"sub\":\"01\",\"name\":\"a\","
              "\"role\":\"admin\",\"exp\":1895687200}");
    assert_int_equal(admind_jwt_verify(key, KEYLEN, t, NOW, &p),
                     ADMIND_ERROR);
    free(t);

    t = forge(JWT_ALG_HS256, key, KEYLEN, "{\"sub\":\"1\",\"name\":\"a\","
              "\"role\":\"admin\"}");
    assert_int_equal(admind_jwt_verify(key, KEYLEN, t, NOW, &p),
                     ADMIND_ERROR);
    free(t);

    /* the same claims pass when complete: the forging itself is sound */
    t = forge(JWT_ALG_HS256, key, KEYLEN, "{\"sub\":\"7\",\"name\":\"a\","
              "\"role\":\"user\",\"tv\":3,\"iat\":1795687200,"
              "\"exp\":1895687200}");
    assert_int_equal(admind_jwt_verify(key, KEYLEN, t, NOW, &p), ADMIND_OK);
    assert_int_equal(p.id, 7);
    assert_int_equal(p.token_version, 3);
    free(t);
}


/* one claim set around NOW, signed right: verify's verdict at NOW */
static int
verdict(const char *times)
{
    int                  rc;
    char                 grants[256], *t;
    admind_principal_t   p;

    snprintf(grants, sizeof(grants), "{\"sub\":\"7\",\"name\":\"a\","
             "\"role\":\"user\",\"exp\":1895687200%s}", times);
    t = forge(JWT_ALG_HS256, key, KEYLEN, grants);
    rc = admind_jwt_verify(key, KEYLEN, t, NOW, &p);
    free(t);

    return rc;
}


static void
test_times_and_version(void **state)
{
    char                *token;
    time_t               exp;
    admind_principal_t   p;

    (void) state;

    /* tv and iat are required: admind always issues them */
    assert_int_equal(verdict(",\"iat\":1795687200"), ADMIND_ERROR);
    assert_int_equal(verdict(",\"tv\":0"), ADMIND_ERROR);
    assert_int_equal(verdict(",\"tv\":0,\"iat\":1795687200"), ADMIND_OK);
    assert_int_equal(verdict(",\"tv\":-1,\"iat\":1795687200"),
                     ADMIND_ERROR);
    assert_int_equal(verdict(",\"tv\":\"1\",\"iat\":1795687200"),
                     ADMIND_ERROR);

    /* issued in the future, beyond the leeway */
    assert_int_equal(verdict(",\"tv\":0,\"iat\":1795687261"), ADMIND_ERROR);
    assert_int_equal(verdict(",\"tv\":0,\"iat\":1795687260"), ADMIND_OK);

    /* nbf is optional, and honoured with the same leeway */
    assert_int_equal(verdict(",\"tv\":0,\"iat\":1795687200,"
                             "\"nbf\":1795690000"), ADMIND_ERROR);
    assert_int_equal(verdict(",\"tv\":0,\"iat\":1795687200,"
                             "\"nbf\":1795687261"), ADMIND_ERROR);
    assert_int_equal(verdict(",\"tv\":0,\"iat\":1795687200,"
                             "\"nbf\":1795687250"), ADMIND_OK);
    assert_int_equal(verdict(",\"tv\":0,\"iat\":1795687200,"
                             "\"nbf\":\"soon\""), ADMIND_ERROR);

    /* the version admind puts in comes back out */
    memset(&p, 0, sizeof(p));
    p.id = 9;
    p.token_version = 41;
    strcpy(p.name, "bob");
    assert_int_equal(admind_jwt_issue(key, KEYLEN, &p, NOW, 60, &token,
                                      &exp),
                     ADMIND_OK);
    memset(&p, 0, sizeof(p));
    assert_int_equal(admind_jwt_verify(key, KEYLEN, token, NOW, &p),
                     ADMIND_OK);
    assert_int_equal(p.token_version, 41);
    free(token);
}


static void
test_roles(void **state)
{
    admind_role_e  role;

    (void) state;

    assert_int_equal(admind_role_parse("admin", &role), ADMIND_OK);
    assert_int_equal(role, ADMIND_ROLE_ADMIN);
    assert_int_equal(admind_role_parse("user", &role), ADMIND_OK);
    assert_int_equal(role, ADMIND_ROLE_USER);
    assert_int_equal(admind_role_parse("Admin", &role), ADMIND_ERROR);
    assert_int_equal(admind_role_parse(NULL, &role), ADMIND_ERROR);
    assert_string_equal(admind_role_name(ADMIND_ROLE_ADMIN), "admin");
    assert_string_equal(admind_role_name(ADMIND_ROLE_USER), "user");

    /* the zero value of a route table row is the strict one */
    assert_int_equal(ADMIND_ROLE_ADMIN, 0);
}


static int h(admind_req_t *r) { (void) r; return 200; }


static void
test_route_roles(void **state)
{
    static const admind_route_t  admin = { "GET", "/a", h, 0,
                                           ADMIND_ROLE_ADMIN };
    static const admind_route_t  user = { "GET", "/u", h, 0,
                                          ADMIND_ROLE_USER };
    static const admind_route_t  unset = { "GET", "/x", h, 0, 0 };

    (void) state;

    assert_true(admind_auth_allows(&admin, ADMIND_ROLE_ADMIN));
    assert_false(admind_auth_allows(&admin, ADMIND_ROLE_USER));
    assert_true(admind_auth_allows(&user, ADMIND_ROLE_ADMIN));
    assert_true(admind_auth_allows(&user, ADMIND_ROLE_USER));

    /* a row that forgets its role is admin-only */
    assert_false(admind_auth_allows(&unset, ADMIND_ROLE_USER));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_route_roles),
        cmocka_unit_test(test_times_and_version),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
