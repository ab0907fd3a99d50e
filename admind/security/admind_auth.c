/*
 * QuotaLane admind: POST /api/v1/auth/login and bearer tokens.
 *
 * The token names the user; every request then reads the user's row
 * again, so that disabling or demoting a user takes effect at once and
 * not when the token expires, and compares the token's "tv" with the
 * row's token_version, which a password, status or role change
 * increments: the tokens issued before stop working.  Login checks local
 * users' bcrypt hashes and, with ldap_url set, other names against the
 * directory (admind_ldap.c); attempts are limited per name and address
 * and per address (admind_login_limit.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "admind_config.h"
#include "admind_log.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_password.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_fields.h"
#include "admind_resource.h"
#include "admind_time.h"
#include "admind_jwt.h"
#include "admind_bootstrap.h"
#include "admind_ldap.h"
#include "admind_login_limit.h"
#include "admind_auth.h"


static int admind_auth_login(admind_req_t *r);


const admind_route_t  admind_auth_routes[] = {
    { "POST", "/api/v1/auth/login", admind_auth_login, ADMIND_ROUTE_PUBLIC,
      0 },
    { NULL, NULL, NULL, 0, 0 }
};


static const admind_field_t  admind_auth_login_fields[] = {
    ADMIND_F_STRING("username", NULL, ADMIND_FIELD_REQUIRED, 1, 255),
    ADMIND_F_STRING("password", NULL, ADMIND_FIELD_REQUIRED, 1, 1024),
    ADMIND_F_END
};


static const admind_resource_t  admind_auth_resource = {
    "user", "user", "users", NULL, NULL, NULL, NULL, NULL, NULL, NULL
};


/*
 * A hash of a random password: an unknown user costs the same bcrypt
 * run as a known one, so the answer time does not tell which names exist.
 */
static char  admind_auth_dummy[ADMIND_PASSWORD_HASH_LEN];


int
admind_auth_init(void)
{
    char           pw[33];
    size_t         i;
    unsigned char  rnd[16];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return ADMIND_ERROR;
    }

    for (i = 0; i < sizeof(rnd); i++) {
        snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
    }

    if (admind_password_hash(pw, strlen(pw), ADMIND_PASSWORD_COST,
                             admind_auth_dummy, sizeof(admind_auth_dummy))
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    OPENSSL_cleanse(pw, sizeof(pw));

    return ADMIND_OK;
}


void
admind_auth_shutdown(void)
{
    OPENSSL_cleanse(admind_auth_dummy, sizeof(admind_auth_dummy));
}


int
admind_auth_allows(const admind_route_t *route, admind_role_e role)
{
    return role == ADMIND_ROLE_ADMIN || route->role == ADMIND_ROLE_USER;
}


int
admind_auth_is_admin(admind_req_t *r)
{
    /* r->auth is zeroed (role admin) until a token was checked */
    return r->auth.id != 0 && r->auth.role == ADMIND_ROLE_ADMIN;
}


int
admind_auth_owns(admind_req_t *r, uint64_t user_id)
{
    return r->auth.id != 0
           && (r->auth.role == ADMIND_ROLE_ADMIN || r->auth.id == user_id);
}


static int
admind_auth_unauthenticated(admind_req_t *r, const char *message)
{
    admind_resp_error(r, 401, "unauthenticated", "%s", message);
    admind_resp_header(r, "WWW-Authenticate", "Bearer");

    return ADMIND_ERROR;
}


int
admind_auth_request(admind_req_t *r)
{
    char                 err[ADMIND_ERRLEN];
    MYSQL               *mysql;
    json_t              *rows, *row;
    const char          *h, *status, *name;
    admind_ctx_t        *ctx;
    admind_db_param_t    params[1];
    admind_principal_t   p;

    if (r->match.route->flags & ADMIND_ROUTE_PUBLIC) {
        return ADMIND_OK;
    }

    ctx = r->ctx;

    h = admind_req_header(r, "Authorization");

    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
        return admind_auth_unauthenticated(r, "a bearer token is required "
                                           "(POST /api/v1/auth/login)");
    }

    for (h += 7; *h == ' '; h++) {
        /* void */
    }

    if (ctx->jwt_secret == NULL) {
        admind_resp_error(r, 503, "unavailable",
                          "jwt_secret_file is not configured");
        return ADMIND_ERROR;
    }

    if (admind_jwt_verify(ctx->jwt_secret, ctx->jwt_secret_len, h,
                          time(NULL), &p)
        != ADMIND_OK)
    {
        return admind_auth_unauthenticated(r, "the token is invalid or "
                                           "expired");
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return ADMIND_ERROR;
    }

    params[0] = admind_db_int((long long) p.id);

    if (admind_db_select(mysql, "SELECT username, role, status, "
                         "token_version FROM users WHERE id = ?", params, 1,
                         &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_resource_db_error(r, &admind_auth_resource, err);
        return ADMIND_ERROR;
    }

    row = json_array_get(rows, 0);
    status = json_string_value(json_object_get(row, "status"));
    name = json_string_value(json_object_get(row, "username"));

    if (row == NULL || status == NULL || strcmp(status, "active") != 0
        || name == NULL || strlen(name) > ADMIND_USERNAME_MAX
        || admind_role_parse(json_string_value(json_object_get(row, "role")),
                             &p.role)
           != ADMIND_OK)
    {
        json_decref(rows);
        return admind_auth_unauthenticated(r, "the token's user no longer "
                                           "exists or is disabled");
    }

    if (json_integer_value(json_object_get(row, "token_version"))
        != (json_int_t) p.token_version)
    {
        json_decref(rows);
        return admind_auth_unauthenticated(r, "the token was revoked by a "
                                           "change of the user's password, "
                                           "status or role; log in again");
    }

    strcpy(p.name, name);
    json_decref(rows);

    r->auth = p;

    if (!admind_auth_allows(r->match.route, p.role)) {
        admind_resp_error(r, 403, "forbidden", "this needs the %s role",
                          admind_role_name(r->match.route->role));
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/*
 * The users row of a name that LDAP vouched for, created on its first
 * login (without a password: the directory keeps that) and given
 * ldap_user_role on every login, so the directory side decides.  *rows
 * is replaced by the row as it is now.
 */
static int
admind_auth_ldap_user(admind_req_t *r, MYSQL *mysql, const char *username,
    json_t **rows, char *err, size_t errlen)
{
    json_t             *row;
    const char         *role;
    admind_db_param_t   params[3];

    role = r->ctx->conf->ldap_user_role;
    row = json_array_get(*rows, 0);

    if (row == NULL) {
        params[0] = admind_db_str(username);
        params[1] = admind_db_str(role);

        if (admind_db_exec(mysql, "INSERT INTO users (username, auth_source, "
                           "role, status) VALUES (?, 'ldap', ?, 'active')",
                           params, 2, NULL, err, errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        admind_log(ADMIND_LOG_INFO, "user created from LDAP",
                   "id", json_string(r->id),
                   "user", admind_log_str(username), NULL);

    } else {
        params[0] = admind_db_str(role);
        params[1] = admind_db_int(json_integer_value(json_object_get(row,
                                                                     "id")));
        params[2] = admind_db_str(role);

        if (admind_db_exec(mysql, "UPDATE users SET role = ?, "
                           "version = version + 1, token_version = "
                           "token_version + 1 WHERE id = ? AND role <> ?",
                           params, 3, NULL, err, errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }
    }

    json_decref(*rows);
    *rows = NULL;

    params[0] = admind_db_str(username);

    return admind_db_select(mysql, "SELECT id, username, password_hash, "
                            "role, status, auth_source, token_version FROM "
                            "users WHERE username = ?", params, 1, rows, err,
                            errlen);
}


/*
 * Whether password is right for the users row (NULL: no such user):
 * local users by bcrypt, LDAP users (and unknown names, with ldap_url
 * set) by a bind.  1 or 0, or ADMIND_ERROR after answering.
 */
static int
admind_auth_check(admind_req_t *r, MYSQL *mysql, const char *username,
    const char *password, json_t **rows)
{
    int          rc;
    char         err[ADMIND_ERRLEN];
    json_t      *row;
    const char  *hash, *source;

    row = json_array_get(*rows, 0);
    hash = json_string_value(json_object_get(row, "password_hash"));
    source = json_string_value(json_object_get(row, "auth_source"));

    if (row != NULL && source != NULL && strcmp(source, "local") == 0) {
        return admind_password_verify(password, strlen(password),
                                      hash ? hash : admind_auth_dummy)
               && hash != NULL;
    }

    if (!admind_ldap_enabled(r->ctx->conf)
        || !admind_bootstrap_username_valid(username))
    {
        /* as long as a real check: the time tells nothing */
        (void) admind_password_verify(password, strlen(password),
                                      admind_auth_dummy);
        return 0;
    }

    rc = admind_ldap_bind(r->ctx->conf, username, password, err,
                          sizeof(err));

    if (rc == ADMIND_DECLINED) {
        return 0;
    }

    if (rc != ADMIND_OK) {
        admind_log(ADMIND_LOG_ERROR, "LDAP bind failed",
                   "id", json_string(r->id),
                   "error", admind_log_str(err), NULL);
        admind_resp_error(r, 503, "unavailable", "the directory is "
                          "unavailable, try again later");
        return ADMIND_ERROR;
    }

    if (admind_auth_ldap_user(r, mysql, username, rows, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_resource_db_error(r, &admind_auth_resource, err);
        return ADMIND_ERROR;
    }

    return json_array_get(*rows, 0) != NULL;
}


static int
admind_auth_login(admind_req_t *r)
{
    int                  ok;
    char                 err[ADMIND_ERRLEN], *token, retry[16];
    char                 expires[ADMIND_TIME_LEN + 1];
    char                 username[1024 + 1];
    MYSQL               *mysql;
    json_t              *body, *rows, *row;
    time_t               exp;
    unsigned             retry_after;
    const char          *password, *status;
    admind_ctx_t        *ctx;
    admind_db_param_t    params[1];
    admind_principal_t   p;

    ctx = r->ctx;

    if (ctx->jwt_secret == NULL) {
        return admind_resp_error(r, 503, "unavailable",
                                 "jwt_secret_file is not configured");
    }

    body = admind_resource_body(r, admind_auth_login_fields,
                                ADMIND_FIELDS_CREATE);
    if (body == NULL) {
        return r->status;
    }

    snprintf(username, sizeof(username), "%s",
             admind_fields_str(body, "username", ""));
    password = admind_fields_str(body, "password", "");

    /* before the password is looked at: a refused guess learns nothing */
    if (admind_login_limit_begin(ctx->conf, username, r->remote,
                                 &retry_after)
        != ADMIND_OK)
    {
        admind_fields_wipe(body, "password");
        json_decref(body);
        admind_log(ADMIND_LOG_WARN, "login refused: too many failures",
                   "id", json_string(r->id),
                   "user", admind_log_str(username),
                   "remote", json_string(r->remote), NULL);
        snprintf(retry, sizeof(retry), "%u", retry_after);
        admind_resp_error(r, 429, "too_many_requests", "too many failed "
                          "logins; try again in %u seconds", retry_after);
        admind_resp_header(r, "Retry-After", retry);
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        admind_fields_wipe(body, "password");
        json_decref(body);
        admind_login_limit_undo(ctx->conf, username, r->remote);
        return r->status;
    }

    params[0] = admind_db_str(username);

    if (admind_db_select(mysql, "SELECT id, username, password_hash, role, "
                         "status, auth_source, token_version FROM users "
                         "WHERE username = ?", params, 1, &rows, err,
                         sizeof(err))
        != ADMIND_OK)
    {
        admind_fields_wipe(body, "password");
        json_decref(body);
        admind_login_limit_undo(ctx->conf, username, r->remote);
        return admind_resource_db_error(r, &admind_auth_resource, err);
    }

    ok = admind_auth_check(r, mysql, username, password, &rows);

    admind_fields_wipe(body, "password");
    json_decref(body);

    if (ok == ADMIND_ERROR) {
        json_decref(rows);
        admind_login_limit_undo(ctx->conf, username, r->remote);
        return r->status;
    }

    if (!ok) {
        json_decref(rows);
        admind_log(ADMIND_LOG_INFO, "login failed",
                   "id", json_string(r->id),
                   "remote", json_string(r->remote), NULL);
        return admind_resp_error(r, 401, "invalid_credentials",
                                 "invalid username or password");
    }

    admind_login_limit_success(ctx->conf, username, r->remote);

    row = json_array_get(rows, 0);
    status = json_string_value(json_object_get(row, "status"));

    memset(&p, 0, sizeof(p));
    p.id = (uint64_t) json_integer_value(json_object_get(row, "id"));
    p.token_version = (uint32_t) json_integer_value(json_object_get(row,
                                                        "token_version"));
    snprintf(p.name, sizeof(p.name), "%s",
             json_string_value(json_object_get(row, "username")));

    if (status == NULL || strcmp(status, "active") != 0
        || admind_role_parse(json_string_value(json_object_get(row, "role")),
                             &p.role)
           != ADMIND_OK)
    {
        json_decref(rows);
        admind_log(ADMIND_LOG_INFO, "login refused: user disabled",
                   "id", json_string(r->id),
                   "user_id", json_integer((json_int_t) p.id), NULL);
        return admind_resp_error(r, 401, "invalid_credentials",
                                 "this user is disabled");
    }

    json_decref(rows);

    if (admind_jwt_issue(ctx->jwt_secret, ctx->jwt_secret_len, &p,
                         time(NULL), ctx->conf->jwt_ttl_seconds, &token,
                         &exp)
        != ADMIND_OK)
    {
        return admind_resp_error(r, 500, "internal_error",
                                 "cannot issue a token");
    }

    /* updated_at stays: a login is not a change of the user */
    params[0] = admind_db_int((long long) p.id);

    if (admind_db_exec(mysql, "UPDATE users SET last_login_at = "
                       "CURRENT_TIMESTAMP(3), updated_at = updated_at "
                       "WHERE id = ?", params, 1, NULL, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_WARN, "cannot record the login time",
                   "error", admind_log_str(err), NULL);
    }

    admind_log(ADMIND_LOG_INFO, "login",
               "id", json_string(r->id),
               "user_id", json_integer((json_int_t) p.id),
               "remote", json_string(r->remote), NULL);

    admind_time_format(exp, expires, sizeof(expires));

    body = json_pack("{s:s,s:s}", "token", token, "expiresAt", expires);

    OPENSSL_cleanse(token, strlen(token));
    free(token);

    return admind_resp_json(r, 200, body);
}
