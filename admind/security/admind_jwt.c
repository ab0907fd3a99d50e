/*
 * QuotaLane admind: session tokens.
 *
 * libjwt 1.10 checks the signature but not the claims, and it decodes a
 * token with whatever algorithm its header names: the algorithm and the
 * times (exp, iat, nbf) are checked here.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jwt.h>
#include <jansson.h>

#include "admind_jwt.h"


const char *
admind_role_name(admind_role_e role)
{
    return role == ADMIND_ROLE_ADMIN ? "admin" : "user";
}


int
admind_role_parse(const char *name, admind_role_e *role)
{
    if (name == NULL) {
        return ADMIND_ERROR;
    }

    if (strcmp(name, "admin") == 0) {
        *role = ADMIND_ROLE_ADMIN;
        return ADMIND_OK;
    }

    if (strcmp(name, "user") == 0) {
        *role = ADMIND_ROLE_USER;
        return ADMIND_OK;
    }

    return ADMIND_ERROR;
}


int
admind_jwt_issue(const unsigned char *key, size_t keylen,
    const admind_principal_t *p, time_t now, unsigned ttl, char **token,
    time_t *exp)
{
    int     rc;
    char    sub[24];
    jwt_t  *jwt;

    if (jwt_new(&jwt) != 0) {
        return ADMIND_ERROR;
    }

    snprintf(sub, sizeof(sub), "%llu", (unsigned long long) p->id);

    *exp = now + (time_t) ttl;
    *token = NULL;
    rc = ADMIND_ERROR;

    if (jwt_add_grant(jwt, "sub", sub) == 0
        && jwt_add_grant(jwt, "name", p->name) == 0
        && jwt_add_grant(jwt, "role", admind_role_name(p->role)) == 0
        && jwt_add_grant_int(jwt, "tv", (long) p->token_version) == 0
        && jwt_add_grant_int(jwt, "iat", (long) now) == 0
        && jwt_add_grant_int(jwt, "exp", (long) *exp) == 0
        && jwt_set_alg(jwt, JWT_ALG_HS256, key, (int) keylen) == 0)
    {
        *token = jwt_encode_str(jwt);
        rc = *token ? ADMIND_OK : ADMIND_ERROR;
    }

    jwt_free(jwt);

    return rc;
}


static int
admind_jwt_id(const char *s, uint64_t *id)
{
    uint64_t     v;
    const char  *p;

    if (s == NULL || s[0] < '1' || s[0] > '9' || strlen(s) > 19) {
        return ADMIND_ERROR;
    }

    v = 0;

    for (p = s; *p; p++) {
        if (*p < '0' || *p > '9') {
            return ADMIND_ERROR;
        }
        v = v * 10 + (uint64_t) (*p - '0');
    }

    if (v > (uint64_t) INT64_MAX) {
        return ADMIND_ERROR;
    }

    *id = v;

    return ADMIND_OK;
}


/*
 * An integer claim: ADMIND_DECLINED when absent, ADMIND_ERROR when of
 * another type (jwt_get_grant_int() reads a string claim as 0).
 */
static int
admind_jwt_int(jwt_t *jwt, const char *name, long *v)
{
    int            rc;
    char          *text;
    json_t        *value;
    json_error_t   error;

    text = jwt_get_grants_json(jwt, name);
    if (text == NULL) {
        return ADMIND_DECLINED;
    }

    value = json_loads(text, JSON_DECODE_ANY, &error);
    free(text);

    rc = ADMIND_ERROR;

    if (json_is_integer(value)) {
        *v = (long) json_integer_value(value);
        rc = ADMIND_OK;
    }

    json_decref(value);

    return rc;
}


/* exp passed, or iat or nbf still ahead (beyond the leeway) */
static int
admind_jwt_times(jwt_t *jwt, time_t now)
{
    int   rc;
    long  v;

    if (admind_jwt_int(jwt, "exp", &v) != ADMIND_OK || (time_t) v <= now) {
        return ADMIND_ERROR;
    }

    if (admind_jwt_int(jwt, "iat", &v) != ADMIND_OK
        || (time_t) v > now + ADMIND_JWT_LEEWAY)
    {
        return ADMIND_ERROR;
    }

    rc = admind_jwt_int(jwt, "nbf", &v);

    if (rc == ADMIND_ERROR
        || (rc == ADMIND_OK && (time_t) v > now + ADMIND_JWT_LEEWAY))
    {
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


int
admind_jwt_verify(const unsigned char *key, size_t keylen,
    const char *token, time_t now, admind_principal_t *p)
{
    int          rc;
    long         tv;
    jwt_t       *jwt;
    const char  *name;

    if (token == NULL || strlen(token) > ADMIND_JWT_MAX || keylen == 0) {
        return ADMIND_ERROR;
    }

    if (jwt_decode(&jwt, token, key, (int) keylen) != 0) {
        return ADMIND_ERROR;
    }

    rc = ADMIND_ERROR;

    if (jwt_get_alg(jwt) != JWT_ALG_HS256) {
        goto done;
    }

    if (admind_jwt_times(jwt, now) != ADMIND_OK
        || admind_jwt_int(jwt, "tv", &tv) != ADMIND_OK
        || tv < 0 || tv > (long) UINT32_MAX)
    {
        goto done;
    }

    p->token_version = (uint32_t) tv;

    if (admind_jwt_id(jwt_get_grant(jwt, "sub"), &p->id) != ADMIND_OK
        || admind_role_parse(jwt_get_grant(jwt, "role"), &p->role)
           != ADMIND_OK)
    {
        goto done;
    }

    name = jwt_get_grant(jwt, "name");
    if (name == NULL || strlen(name) > ADMIND_USERNAME_MAX) {
        goto done;
    }

    strcpy(p->name, name);
    rc = ADMIND_OK;

done:

    jwt_free(jwt);

    return rc;
}
