/*
 * QuotaLane admind: /api/v1/users.
 *
 * A user owns API keys: disabling the user disables every key of theirs
 * in the hot state (each key keeps its own status in MySQL, so enabling
 * the user again restores it), and deleting the user deletes the keys.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "admind_log.h"
#include "admind_password.h"
#include "admind_bootstrap.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_time.h"
#include "admind_resource.h"
#include "admind_audit.h"
#include "admind_hotstate.h"


#define ADMIND_USERS_PASSWORD_MIN  8


static int admind_users_list(admind_req_t *r);
static int admind_users_get(admind_req_t *r);
static int admind_users_me(admind_req_t *r);
static int admind_users_create(admind_req_t *r);
static int admind_users_update(admind_req_t *r);
static int admind_users_delete(admind_req_t *r);


const admind_route_t  admind_users_routes[] = {
    { "GET", "/api/v1/users", admind_users_list, 0, ADMIND_ROLE_ADMIN },
    { "POST", "/api/v1/users", admind_users_create, 0, ADMIND_ROLE_ADMIN },
    { "GET", "/api/v1/users/me", admind_users_me, 0, ADMIND_ROLE_USER },
    { "GET", "/api/v1/users/{id}", admind_users_get, 0, ADMIND_ROLE_ADMIN },
    { "PATCH", "/api/v1/users/{id}", admind_users_update, 0,
      ADMIND_ROLE_ADMIN },
    { "DELETE", "/api/v1/users/{id}", admind_users_delete, 0,
      ADMIND_ROLE_ADMIN },
    { NULL, NULL, NULL, 0, 0 }
};


static const char *const  admind_users_roles[] = { "admin", "user", NULL };
static const char *const  admind_users_statuses[] = {
    "active", "disabled", NULL
};


static const admind_field_t  admind_users_fields[] = {
    { "id", ADMIND_FIELD_ID, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "username", ADMIND_FIELD_STRING,
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE, 1, ADMIND_USERNAME_MAX,
      NULL, 0 },
    { "email", ADMIND_FIELD_STRING,
      ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE, 3, 255, NULL, 0 },
    { "displayName", ADMIND_FIELD_STRING,
      ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE, 0, 128, NULL, 0 },
    { "password", ADMIND_FIELD_STRING, ADMIND_FIELD_REQUIRED,
      ADMIND_USERS_PASSWORD_MIN, ADMIND_PASSWORD_MAX, NULL, 0 },
    { "role", ADMIND_FIELD_STRING, 0, 0, 0, admind_users_roles, 0 },
    { "status", ADMIND_FIELD_STRING, 0, 0, 0, admind_users_statuses, 0 },
    { "lastLoginAt", ADMIND_FIELD_TIME, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "createdAt", ADMIND_FIELD_TIME, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "authSource", ADMIND_FIELD_STRING, ADMIND_FIELD_OUTPUT, 0, 0, NULL,
      0 },
    { "updatedAt", ADMIND_FIELD_TIME, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "version", ADMIND_FIELD_INT, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { NULL, 0, 0, 0, 0, NULL, 0 }
};


static const admind_filter_t  admind_users_filters[] = {
    { "role", "u.role", ADMIND_FIELD_STRING },
    { "status", "u.status", ADMIND_FIELD_STRING },
    { NULL, NULL, 0 }
};


static const admind_unique_t  admind_users_uniques[] = {
    { "uk_users_username", "username" },
    { "uk_users_email", "email" },
    { NULL, NULL }
};


/* the fields stored as they come; the password is hashed first */
static const admind_column_t  admind_users_columns[] = {
    { "username", "username", ADMIND_FIELD_STRING },
    { "email", "email", ADMIND_FIELD_STRING },
    { "displayName", "display_name", ADMIND_FIELD_STRING },
    { "role", "role", ADMIND_FIELD_STRING },
    { "status", "status", ADMIND_FIELD_STRING },
    { NULL, NULL, 0 }
};


static const admind_order_t  admind_users_orders[] = {
    { "username", "u.username" },
    { "createdAt", "u.created_at" },
    { "updatedAt", "u.updated_at" },
    { NULL, NULL }
};


static const admind_resource_t  admind_users_resource = {
    "user", "user", "users",

    "SELECT CAST(u.id AS CHAR) AS id, u.username, u.email, "
    "u.display_name AS displayName, u.role, u.status, "
    "u.auth_source AS authSource, "
    ADMIND_SQL_TIME("u.last_login_at", "lastLoginAt") ", "
    ADMIND_SQL_TIME("u.created_at", "createdAt") ", "
    ADMIND_SQL_TIME("u.updated_at", "updatedAt") ", u.version "
    "FROM users u",

    "u.id", "FROM users u", admind_users_filters, admind_users_uniques, NULL
};


static int
admind_users_list(admind_req_t *r)
{
    return admind_resource_list_ordered(r, &admind_users_resource,
                                        admind_users_orders);
}


static int
admind_users_get(admind_req_t *r)
{
    return admind_resource_get(r, &admind_users_resource);
}


static int
admind_users_me(admind_req_t *r)
{
    int      rc;
    char     err[ADMIND_ERRLEN];
    MYSQL   *mysql;
    json_t  *obj;

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return r->status;
    }

    rc = admind_resource_load(mysql, &admind_users_resource, r->auth.id,
                              &obj, err, sizeof(err));

    if (rc == ADMIND_DECLINED) {
        return admind_resp_error(r, 404, "not_found", "no such user");
    }

    if (rc != ADMIND_OK) {
        return admind_resource_db_error(r, &admind_users_resource, err);
    }

    return admind_resp_json(r, 200, obj);
}


/* what the field table cannot say */
static int
admind_users_check(admind_req_t *r, json_t *body)
{
    const char  *s;

    s = admind_fields_str(body, "username", NULL);
    if (s != NULL && !admind_bootstrap_username_valid(s)) {
        admind_resp_error(r, 400, "invalid_argument", "field \"username\" "
                          "may hold only A-Z a-z 0-9 . _ @ -");
        return ADMIND_ERROR;
    }

    s = admind_fields_str(body, "email", NULL);
    if (s != NULL && (strchr(s, '@') == NULL || strchr(s, ' ') != NULL)) {
        admind_resp_error(r, 400, "invalid_argument", "field \"email\" is "
                          "not an email address");
        return ADMIND_ERROR;
    }

    /* bcrypt reads 72 bytes; the table counted characters */
    s = admind_fields_str(body, "password", NULL);
    if (s != NULL && strlen(s) > ADMIND_PASSWORD_MAX) {
        admind_resp_error(r, 400, "invalid_argument", "field \"password\" "
                          "must have at most %d bytes", ADMIND_PASSWORD_MAX);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


static int
admind_users_hash(admind_req_t *r, json_t *body, char *hash, size_t size)
{
    const char  *password;

    password = admind_fields_str(body, "password", NULL);
    if (password == NULL) {
        hash[0] = '\0';
        return ADMIND_OK;
    }

    if (admind_password_hash(password, strlen(password), 0, hash, size)
        != ADMIND_OK)
    {
        admind_resp_error(r, 500, "internal_error", "cannot hash the "
                          "password");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* the password is wiped before the parsed body is freed */
static void
admind_users_release(json_t *body)
{
    admind_fields_wipe(body, "password");
    json_decref(body);
}


static int
admind_users_create(admind_req_t *r)
{
    char                 err[ADMIND_ERRLEN];
    char                 hash[ADMIND_PASSWORD_HASH_LEN];
    MYSQL               *mysql;
    json_t              *body, *after;
    uint64_t             id;
    admind_write_t       w;
    admind_db_result_t   res;

    body = admind_resource_body(r, admind_users_fields,
                                ADMIND_FIELDS_CREATE);
    if (body == NULL) {
        return r->status;
    }

    /* bcrypt takes a quarter second: not inside the transaction */
    if (admind_users_check(r, body) != ADMIND_OK
        || admind_users_hash(r, body, hash, sizeof(hash)) != ADMIND_OK)
    {
        admind_users_release(body);
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        admind_users_release(body);
        return r->status;
    }

    after = NULL;

    admind_write_init(&w);
    admind_write_fields(&w, body, admind_users_columns);
    admind_write_set(&w, "password_hash", admind_db_str(hash));

    if (admind_write_insert(mysql, "users", &w, &res, err, sizeof(err))
        != ADMIND_OK)
    {
        goto failed;
    }

    id = res.insert_id;

    if (admind_resource_load(mysql, &admind_users_resource, id, &after, err,
                             sizeof(err))
        != ADMIND_OK
        || admind_audit_write(mysql, r, "create", "user", id, NULL, after,
                              err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    OPENSSL_cleanse(hash, sizeof(hash));
    admind_users_release(body);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(after);
        return r->status;
    }

    return admind_resp_json(r, 201, after);

failed:

    OPENSSL_cleanse(hash, sizeof(hash));
    admind_users_release(body);
    json_decref(after);
    admind_resource_db_error(r, &admind_users_resource, err);
    admind_resource_rollback(mysql);

    return r->status;
}


/* 1 when the body would lock the caller out of the admin API */
static int
admind_users_self_lockout(admind_req_t *r, uint64_t id, json_t *body)
{
    const char  *s;

    if (id != r->auth.id) {
        return 0;
    }

    s = admind_fields_str(body, "status", NULL);
    if (s != NULL && strcmp(s, "active") != 0) {
        return 1;
    }

    s = admind_fields_str(body, "role", NULL);

    return s != NULL && strcmp(s, "admin") != 0;
}


/* 1 when field differs between the two loads of a user */
static int
admind_users_changed(json_t *before, json_t *after, const char *field)
{
    const char  *a, *b;

    a = json_string_value(json_object_get(before, field));
    b = json_string_value(json_object_get(after, field));

    return a == NULL || b == NULL || strcmp(a, b) != 0;
}


/*
 * A new password, status or role revokes the user's session tokens:
 * admind_auth.c compares token_version on every request.  updated_at
 * stays as the update set it, which the answer shows.
 */
static int
admind_users_revoke_tokens(MYSQL *mysql, uint64_t id, int password,
    json_t *before, json_t *after, char *err, size_t errlen)
{
    admind_db_param_t  params[1];

    if (!password && !admind_users_changed(before, after, "status")
        && !admind_users_changed(before, after, "role"))
    {
        return ADMIND_OK;
    }

    params[0] = admind_db_int((long long) id);

    return admind_db_exec(mysql, "UPDATE users SET token_version = "
                          "token_version + 1, updated_at = updated_at "
                          "WHERE id = ?", params, 1, NULL, err, errlen);
}


static int
admind_users_update(admind_req_t *r)
{
    int                  rc, status_changed;
    char                 err[ADMIND_ERRLEN];
    char                 hash[ADMIND_PASSWORD_HASH_LEN];
    MYSQL               *mysql;
    json_t              *body, *before, *after;
    uint64_t             id;
    long long            version;
    admind_write_t       w;

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    body = admind_resource_body(r, admind_users_fields,
                                ADMIND_FIELDS_UPDATE);
    if (body == NULL) {
        return r->status;
    }

    if (admind_users_self_lockout(r, id, body)) {
        admind_users_release(body);
        return admind_resp_error(r, 400, "failed_precondition",
                                 "you cannot disable yourself or drop your "
                                 "own admin role");
    }

    if (admind_users_check(r, body) != ADMIND_OK
        || admind_users_hash(r, body, hash, sizeof(hash)) != ADMIND_OK)
    {
        admind_users_release(body);
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        admind_users_release(body);
        return r->status;
    }

    before = NULL;
    after = NULL;

    rc = admind_resource_load(mysql, &admind_users_resource, id, &before,
                              err, sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resp_error(r, 404, "not_found", "no user %llu",
                          (unsigned long long) id);
        goto undo;
    }

    if (rc != ADMIND_OK) {
        goto failed;
    }

    if (admind_resource_version(r, &admind_users_resource, body, before,
                                &version)
        != ADMIND_OK)
    {
        goto undo;
    }

    admind_write_init(&w);
    admind_write_fields(&w, body, admind_users_columns);

    if (hash[0]) {
        admind_write_set(&w, "password_hash", admind_db_str(hash));
    }

    rc = admind_write_update_if(mysql, "users", &w, id, version, err,
                                sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resource_conflict(r, &admind_users_resource, id);
        goto undo;
    }

    if (rc != ADMIND_OK
        || admind_resource_load(mysql, &admind_users_resource, id, &after,
                                err, sizeof(err))
           != ADMIND_OK
        || admind_users_revoke_tokens(mysql, id, hash[0] != '\0', before,
                                      after, err, sizeof(err))
           != ADMIND_OK
        || admind_audit_write(mysql, r, "update", "user", id, before, after,
                              err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    OPENSSL_cleanse(hash, sizeof(hash));

    status_changed = admind_users_changed(before, after, "status");

    json_decref(before);
    admind_users_release(body);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(after);
        return r->status;
    }

    if (status_changed) {
        admind_hotstate_user_keys(mysql, id);
    }

    return admind_resp_json(r, 200, after);

failed:

    admind_resource_db_error(r, &admind_users_resource, err);

undo:

    OPENSSL_cleanse(hash, sizeof(hash));
    admind_users_release(body);
    json_decref(before);
    json_decref(after);
    admind_resource_rollback(mysql);

    return r->status;
}


static int
admind_users_delete(admind_req_t *r)
{
    int                 rc;
    char                err[ADMIND_ERRLEN];
    MYSQL              *mysql;
    json_t             *before, *keys, *key;
    size_t              i;
    uint64_t            id;
    admind_db_param_t   params[1];

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    if (id == r->auth.id) {
        return admind_resp_error(r, 400, "failed_precondition",
                                 "you cannot delete yourself");
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        return r->status;
    }

    before = NULL;
    keys = NULL;

    rc = admind_resource_load(mysql, &admind_users_resource, id, &before,
                              err, sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resp_error(r, 404, "not_found", "no user %llu",
                          (unsigned long long) id);
        goto undo;
    }

    if (rc != ADMIND_OK) {
        goto failed;
    }

    params[0] = admind_db_int((long long) id);

    /* the keys go with their owner (api_keys.user_id is ON DELETE RESTRICT) */
    if (admind_db_select(mysql, "SELECT key_hash FROM api_keys "
                         "WHERE user_id = ? FOR UPDATE", params, 1, &keys,
                         err, sizeof(err))
        != ADMIND_OK
        || admind_db_exec(mysql, "DELETE FROM api_keys WHERE user_id = ?",
                          params, 1, NULL, err, sizeof(err))
           != ADMIND_OK
        || admind_db_exec(mysql, "DELETE FROM users WHERE id = ?",
                          params, 1, NULL, err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    json_object_set_new(before, "deletedApiKeys",
                        admind_json_int64((long long) json_array_size(keys)));

    if (admind_audit_write(mysql, r, "delete", "user", id, before, NULL,
                           err, sizeof(err))
        != ADMIND_OK)
    {
        goto failed;
    }

    json_decref(before);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(keys);
        return r->status;
    }

    json_array_foreach(keys, i, key) {
        admind_hotstate_key_deleted(json_string_value(json_object_get(key,
                                                           "key_hash")));
    }

    json_decref(keys);

    return admind_resp_empty(r, 204);

failed:

    admind_resource_db_error(r, &admind_users_resource, err);

undo:

    json_decref(before);
    json_decref(keys);
    admind_resource_rollback(mysql);

    return r->status;
}
