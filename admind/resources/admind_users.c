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
#include "admind_writer.h"


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


/* the fields with a column are stored as they come; the password hashed */
static const admind_field_t  admind_users_fields[] = {
    ADMIND_F_ROW_ID("u"),
    ADMIND_F_STRING("username", "username",
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE, 1, ADMIND_USERNAME_MAX),
    ADMIND_F_STRING("email", "email", ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE,
      3, 255),
    ADMIND_F_STRING("displayName", "display_name",
      ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE, 0, 128),
    ADMIND_F_STRING("password", NULL, ADMIND_FIELD_REQUIRED,
      ADMIND_USERS_PASSWORD_MIN, ADMIND_PASSWORD_MAX),
    ADMIND_F_ENUM("role", "role", 0, admind_users_roles),
    ADMIND_F_ENUM("status", "status", 0, admind_users_statuses),
    ADMIND_F_OUTPUT("lastLoginAt", ADMIND_FIELD_TIME,
      ADMIND_SQL_TIME_READ("u.last_login_at")),
    ADMIND_F_ROW_CREATED("u"),
    ADMIND_F_OUTPUT("authSource", ADMIND_FIELD_STRING, "u.auth_source"),
    ADMIND_F_ROW_UPDATED("u"),
    ADMIND_F_ROW_VERSION("u"),
    ADMIND_F_END
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


static const admind_order_t  admind_users_orders[] = {
    { "username", "u.username" },
    { "createdAt", "u.created_at" },
    { "updatedAt", "u.updated_at" },
    { NULL, NULL }
};


static const admind_resource_t  admind_users_resource = {
    "user", "user", "users",

    NULL,
    "u.id", "FROM users u", admind_users_filters, admind_users_uniques, NULL,
    admind_users_fields
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
admind_users_valid(admind_req_t *r, json_t *body)
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


/* the password's bcrypt hash, and the keys of a deleted user */
typedef struct {
    char     hash[ADMIND_PASSWORD_HASH_LEN];
    json_t  *keys;
} admind_users_op_t;


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


/* bcrypt takes a quarter second: not inside the transaction */
static int
admind_users_prepare(admind_writer_op_t *op)
{
    const char         *password;
    admind_users_op_t  *u;

    u = op->data;

    if (op->op == ADMIND_WRITER_DELETE) {
        if (op->id == op->r->auth.id) {
            admind_resp_error(op->r, 400, "failed_precondition",
                              "you cannot delete yourself");
            return ADMIND_ERROR;
        }

        return ADMIND_OK;
    }

    if (op->op == ADMIND_WRITER_UPDATE
        && admind_users_self_lockout(op->r, op->id, op->body))
    {
        admind_resp_error(op->r, 400, "failed_precondition", "you cannot "
                          "disable yourself or drop your own admin role");
        return ADMIND_ERROR;
    }

    if (admind_users_valid(op->r, op->body) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    password = admind_fields_str(op->body, "password", NULL);

    if (password != NULL
        && admind_password_hash(password, strlen(password), 0, u->hash,
                                sizeof(u->hash))
           != ADMIND_OK)
    {
        admind_resp_error(op->r, 500, "internal_error", "cannot hash the "
                          "password");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* the keys go with their owner (api_keys.user_id is ON DELETE RESTRICT) */
static int
admind_users_check(admind_writer_op_t *op)
{
    admind_users_op_t  *u;
    admind_db_param_t   params[1];

    u = op->data;

    if (op->op != ADMIND_WRITER_DELETE) {
        return ADMIND_OK;
    }

    params[0] = admind_db_int((long long) op->id);

    if (admind_db_select(op->mysql, "SELECT key_hash FROM api_keys "
                         "WHERE user_id = ? FOR UPDATE", params, 1, &u->keys,
                         op->err, sizeof(op->err))
        != ADMIND_OK
        || admind_db_exec(op->mysql, "DELETE FROM api_keys WHERE user_id = ?",
                          params, 1, NULL, op->err, sizeof(op->err))
           != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    json_object_set_new(op->before, "deletedApiKeys",
                        admind_json_int64((long long)
                                          json_array_size(u->keys)));

    return ADMIND_OK;
}


static int
admind_users_write(admind_writer_op_t *op)
{
    admind_users_op_t  *u;

    u = op->data;

    if (u->hash[0]) {
        admind_write_set(&op->w, "password_hash", admind_db_str(u->hash));
    }

    return ADMIND_OK;
}


/* 1 when the body changes field of the user as loaded */
static int
admind_users_changes(admind_writer_op_t *op, const char *field)
{
    const char  *a, *b;

    a = admind_fields_str(op->body, field, NULL);
    b = json_string_value(json_object_get(op->before, field));

    return a != NULL && (b == NULL || strcmp(a, b) != 0);
}


/*
 * A new password, status or role revokes the user's session tokens:
 * admind_auth.c compares token_version on every request.  updated_at
 * stays as the update set it, which the answer shows.
 */
static int
admind_users_after(admind_writer_op_t *op)
{
    admind_users_op_t  *u;
    admind_db_param_t   params[1];

    u = op->data;

    if (op->op != ADMIND_WRITER_UPDATE
        || (!u->hash[0] && !admind_users_changes(op, "status")
            && !admind_users_changes(op, "role")))
    {
        return ADMIND_OK;
    }

    params[0] = admind_db_int((long long) op->id);

    return admind_db_exec(op->mysql, "UPDATE users SET token_version = "
                          "token_version + 1, updated_at = updated_at "
                          "WHERE id = ?", params, 1, NULL, op->err,
                          sizeof(op->err));
}


/* the user's keys follow its status; a deleted user's keys are gone */
static void
admind_users_publish(admind_writer_op_t *op)
{
    json_t             *key;
    size_t              i;
    admind_users_op_t  *u;

    u = op->data;

    if (op->op == ADMIND_WRITER_UPDATE && admind_users_changes(op, "status"))
    {
        admind_hotstate_user_keys(op->mysql, op->id);
    }

    json_array_foreach(u->keys, i, key) {
        admind_hotstate_key_deleted(json_string_value(json_object_get(key,
                                                           "key_hash")));
    }
}


/* the password is wiped before the parsed body is freed */
static void
admind_users_cleanup(admind_writer_op_t *op)
{
    admind_users_op_t  *u;

    u = op->data;

    OPENSSL_cleanse(u->hash, sizeof(u->hash));
    admind_fields_wipe(op->body, "password");
    json_decref(u->keys);
}


static const admind_writer_t  admind_users_writer = {
    &admind_users_resource, "users", admind_users_fields, NULL,
    NULL, admind_users_prepare, admind_users_check, admind_users_write,
    admind_users_after, admind_users_publish, admind_users_cleanup
};


static int
admind_users_create(admind_req_t *r)
{
    admind_users_op_t  u;

    memset(&u, 0, sizeof(u));

    return admind_writer_create(r, &admind_users_writer, &u);
}


static int
admind_users_update(admind_req_t *r)
{
    admind_users_op_t  u;

    memset(&u, 0, sizeof(u));

    return admind_writer_update(r, &admind_users_writer, &u);
}


static int
admind_users_delete(admind_req_t *r)
{
    admind_users_op_t  u;

    memset(&u, 0, sizeof(u));

    return admind_writer_delete(r, &admind_users_writer, &u);
}
