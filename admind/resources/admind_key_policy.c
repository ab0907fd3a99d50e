/*
 * QuotaLane admind: /api/v1/users/{id}/key-policy and its rules
 * (admind_key_policy.h).  The policy is kept as JSON in users.key_policy
 * (0004_key_policy.sql), checked against the same field ranges as keys.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ql_account_type.h"
#include "admind_log.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_resource.h"
#include "admind_audit.h"
#include "admind_auth.h"
#include "admind_config.h"
#include "admind_key_policy.h"


#define ADMIND_KEY_POLICY_MAX_INT    4294967295LL
#define ADMIND_KEY_POLICY_MAX_INT64  9223372036854775807LL

/* a key's rate window when none is given (0001_schema_v1.sql) */
#define ADMIND_KEY_POLICY_WINDOW     60


static int admind_key_policy_get(admind_req_t *r);
static int admind_key_policy_put(admind_req_t *r);


/* for the shared error answers and reference checks */
static const admind_resource_t  admind_key_policy_resource = {
    "key policy", "key_policy", "keyPolicies", NULL, "u.id", "FROM users u",
    NULL, NULL, NULL, NULL
};


const admind_route_t  admind_key_policy_routes[] = {
    { "GET", "/api/v1/users/{id}/key-policy", admind_key_policy_get, 0,
      ADMIND_ROLE_USER },
    { "PUT", "/api/v1/users/{id}/key-policy", admind_key_policy_put, 0,
      ADMIND_ROLE_ADMIN },
    { NULL, NULL, NULL, 0, 0 }
};


const char *const  admind_key_policy_limits[] = {
    "concurrencyLimit", "rateLimitRequests", "rateLimitTokens",
    "rateLimitCostMicros", "dailyCostLimitMicros", "weeklyCostLimitMicros",
    "totalCostLimitMicros", NULL
};

/* the limits counted per rate window */
static const char *const  admind_key_policy_rate_limits[] = {
    "rateLimitRequests", "rateLimitTokens", "rateLimitCostMicros", NULL
};


/* a key's ranges (admind_api_keys.c), each a ceiling here; 0 = none */
static const admind_field_t  admind_key_policy_fields[] = {
    ADMIND_F_OUTPUT("userId", ADMIND_FIELD_ID),
    ADMIND_F_INT("maxKeys", NULL, 0, 0, 100000),
    ADMIND_F_STRINGS("permissions", NULL, 0, 0, 0,
      ql_permissions, QL_PERMISSIONS_MAX),
    ADMIND_F_STRINGS("blockedModels", NULL, ADMIND_FIELD_LINE, 1, 128, NULL,
      256),
    ADMIND_F_ID("accountId", NULL, ADMIND_FIELD_NULLABLE),
    ADMIND_F_ID("groupId", NULL, ADMIND_FIELD_NULLABLE),
    ADMIND_F_INT("concurrencyLimit", NULL, 0, 0, 100000),
    ADMIND_F_INT("rateWindowSeconds", NULL, 0, 1, 86400),
    ADMIND_F_INT("rateLimitRequests", NULL, 0, 0, ADMIND_KEY_POLICY_MAX_INT),
    ADMIND_F_INT("rateLimitTokens", NULL, 0, 0, ADMIND_KEY_POLICY_MAX_INT64),
    ADMIND_F_INT("rateLimitCostMicros", NULL, 0, 0,
      ADMIND_KEY_POLICY_MAX_INT64),
    ADMIND_F_INT("dailyCostLimitMicros", NULL, 0, 0,
      ADMIND_KEY_POLICY_MAX_INT64),
    ADMIND_F_INT("weeklyCostLimitMicros", NULL, 0, 0,
      ADMIND_KEY_POLICY_MAX_INT64),
    ADMIND_F_INT("totalCostLimitMicros", NULL, 0, 0,
      ADMIND_KEY_POLICY_MAX_INT64),
    ADMIND_F_END
};


static int
admind_key_policy_has_string(json_t *list, const char *s)
{
    size_t   i;
    json_t  *item;

    json_array_foreach(list, i, item) {
        if (strcmp(json_string_value(item), s) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * The user's policy as stored, with maxKeys filled in from admind.conf;
 * lock takes the user's row for the transaction.  ADMIND_DECLINED when
 * there is no such user.
 */
static int
admind_key_policy_load(admind_req_t *r, MYSQL *mysql, uint64_t user_id,
    int lock, json_t **policy)
{
    char                err[ADMIND_ERRLEN];
    json_t             *rows, *row, *text;
    json_error_t        jerr;
    admind_db_param_t   params[1];

    params[0] = admind_db_int((long long) user_id);

    if (admind_db_select(mysql, lock
                         ? "SELECT key_policy FROM users WHERE id = ? "
                           "FOR UPDATE"
                         : "SELECT key_policy FROM users WHERE id = ?",
                         params, 1, &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_resource_db_error(r, &admind_key_policy_resource, err);
        return ADMIND_ERROR;
    }

    row = json_array_get(rows, 0);
    if (row == NULL) {
        json_decref(rows);
        return ADMIND_DECLINED;
    }

    text = json_object_get(row, "key_policy");

    *policy = json_is_string(text)
              ? json_loads(json_string_value(text), 0, &jerr)
              : json_object();
    json_decref(rows);

    if (!json_is_object(*policy)) {
        json_decref(*policy);
        admind_resp_error(r, 500, "internal_error", "user %llu: stored "
                          "key policy is not an object",
                          (unsigned long long) user_id);
        return ADMIND_ERROR;
    }

    if (!admind_fields_has(*policy, "maxKeys")) {
        json_object_set_new(*policy, "maxKeys",
                            json_integer(r->ctx->conf->user_max_keys));
    }

    return ADMIND_OK;
}


/* one ceiling on a new key's limit; ADMIND_ERROR answered 403 */
static int
admind_key_policy_ceiling(admind_req_t *r, json_t *body, json_t *policy,
    const char *name)
{
    long long  ceiling, v;

    ceiling = admind_fields_int(policy, name, 0);
    if (ceiling == 0) {
        return ADMIND_OK;
    }

    v = admind_fields_int(body, name, 0);

    if (v == 0) {
        json_object_set_new(body, name, admind_json_int64(ceiling));
        return ADMIND_OK;
    }

    if (v > ceiling) {
        admind_resp_error(r, 403, "forbidden", "field \"%s\": at most %lld "
                          "for your keys (your key policy)", name, ceiling);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


static int
admind_key_policy_fit(admind_req_t *r, json_t *body, json_t *policy)
{
    size_t              i;
    json_t             *allowed, *given, *blocked, *item, *merged;
    long long           window;
    const char         *name;
    const char *const  *l;

    for (l = admind_key_policy_limits; *l != NULL; l++) {
        if (admind_key_policy_ceiling(r, body, policy, *l) != ADMIND_OK) {
            return ADMIND_ERROR;
        }
    }

    /* a count per window only means something with the policy's window */
    for (l = admind_key_policy_rate_limits; *l != NULL; l++) {
        if (admind_fields_int(policy, *l, 0) == 0) {
            continue;
        }

        window = admind_fields_int(policy, "rateWindowSeconds",
                                   ADMIND_KEY_POLICY_WINDOW);

        if (admind_fields_has(body, "rateWindowSeconds")
            && admind_fields_int(body, "rateWindowSeconds", 0) != window)
        {
            admind_resp_error(r, 403, "forbidden", "field "
                              "\"rateWindowSeconds\": your keys "
                              "count in windows of %lld seconds "
                              "(your key policy)", window);
            return ADMIND_ERROR;
        }

        json_object_set_new(body, "rateWindowSeconds",
                            admind_json_int64(window));
        break;
    }

    allowed = admind_fields_array(policy, "permissions");

    if (allowed != NULL && !admind_key_policy_has_string(allowed, "all")) {
        given = admind_fields_array(body, "permissions");

        if (given == NULL) {
            json_object_set_new(body, "permissions",
                                json_deep_copy(allowed));
        }

        json_array_foreach(given, i, item) {
            name = json_string_value(item);

            if (!admind_key_policy_has_string(allowed, name)) {
                admind_resp_error(r, 403, "forbidden", "field "
                                  "\"permissions\": \"%s\" is not "
                                  "allowed for your keys (your key "
                                  "policy)", name);
                return ADMIND_ERROR;
            }
        }
    }

    blocked = admind_fields_array(policy, "blockedModels");

    if (blocked != NULL && json_array_size(blocked) > 0) {
        given = admind_fields_array(body, "blockedModels");
        merged = given ? json_deep_copy(given) : json_array();

        json_array_foreach(blocked, i, item) {
            if (!admind_key_policy_has_string(merged,
                                              json_string_value(item)))
            {
                json_array_append(merged, item);
            }
        }

        json_object_set_new(body, "blockedModels", merged);
    }

    if (admind_resource_id(policy, "accountId") != 0) {
        json_object_set(body, "accountId",
                        json_object_get(policy, "accountId"));

    } else if (admind_resource_id(policy, "groupId") != 0) {
        json_object_set(body, "groupId", json_object_get(policy, "groupId"));
    }

    return ADMIND_OK;
}


int
admind_key_policy_create(admind_req_t *r, MYSQL *mysql, json_t *body)
{
    int                 rc, found;
    char                err[ADMIND_ERRLEN];
    json_t             *policy;
    uint64_t            user_id;
    long long           held, most;
    admind_db_param_t   params[1];

    if (admind_auth_is_admin(r)) {
        return ADMIND_OK;
    }

    user_id = (uint64_t) admind_fields_int(body, "userId", 0);

    rc = admind_key_policy_load(r, mysql, user_id, 1, &policy);

    if (rc == ADMIND_DECLINED) {
        admind_resp_error(r, 400, "invalid_argument", "field "
                          "\"userId\": no user %llu",
                          (unsigned long long) user_id);
        return ADMIND_ERROR;
    }

    if (rc != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    params[0] = admind_db_int((long long) user_id);

    if (admind_db_select_int(mysql, "SELECT COUNT(*) FROM api_keys "
                             "WHERE user_id = ?", params, 1, &held, &found,
                             err, sizeof(err))
        != ADMIND_OK)
    {
        json_decref(policy);
        admind_resource_db_error(r, &admind_key_policy_resource, err);
        return ADMIND_ERROR;
    }

    most = admind_fields_int(policy, "maxKeys", 0);

    if (held >= most) {
        json_decref(policy);
        admind_resp_error(r, 403, "forbidden", "you hold %lld API "
                          "keys, the most your key policy allows "
                          "is %lld", held, most);
        return ADMIND_ERROR;
    }

    rc = admind_key_policy_fit(r, body, policy);
    json_decref(policy);

    return rc;
}


int
admind_key_policy_update(admind_req_t *r, json_t *body, json_t *before)
{
    long long           now, v;
    const char *const  *l;

    if (admind_auth_is_admin(r)) {
        return ADMIND_OK;
    }

    if (strcmp(admind_fields_str(body, "status", ""), "active") == 0
        && json_is_true(json_object_get(before, "disabledByAdmin")))
    {
        admind_resp_error(r, 403, "forbidden", "this key was disabled by "
                          "an admin; only an admin can enable it");
        return ADMIND_ERROR;
    }

    for (l = admind_key_policy_limits; *l != NULL; l++) {
        if (!admind_fields_has(body, *l)) {
            continue;
        }

        v = admind_fields_int(body, *l, 0);
        now = admind_fields_int(before, *l, 0);

        if (v == 0 || (now != 0 && v > now)) {
            admind_resp_error(r, 403, "forbidden", "field \"%s\": "
                              "you may only lower this limit "
                              "(now %lld, 0 = none)", *l, now);
            return ADMIND_ERROR;
        }
    }

    return ADMIND_OK;
}


/*
 * Every field in its proto3 JSON form (admind_fields.h): numbers that
 * fit 32 bits as numbers, wider ones and ids as decimal strings, absent
 * lists as [] and absent ids as null.
 */
static void
admind_key_policy_shape(json_t *policy)
{
    long long              v;
    const admind_field_t  *f;

    for (f = admind_key_policy_fields; f->name != NULL; f++) {
        if (f->flags & ADMIND_FIELD_OUTPUT) {
            continue;
        }

        switch (f->type) {

        case ADMIND_FIELD_STRINGS:
            if (admind_fields_array(policy, f->name) == NULL) {
                json_object_set_new(policy, f->name, json_array());
            }
            break;

        case ADMIND_FIELD_ID:
            v = admind_fields_int(policy, f->name, 0);
            json_object_set_new(policy, f->name,
                                v ? admind_json_int64(v) : json_null());
            break;

        default:
            v = admind_fields_int(policy, f->name, 0);
            if (v == 0 && strcmp(f->name, "rateWindowSeconds") == 0) {
                v = ADMIND_KEY_POLICY_WINDOW;
            }
            json_object_set_new(policy, f->name,
                                f->max > ADMIND_KEY_POLICY_MAX_INT
                                ? admind_json_int64(v) : json_integer(v));
            break;
        }
    }
}


static int
admind_key_policy_get(admind_req_t *r)
{
    int        rc;
    MYSQL     *mysql;
    json_t    *policy;
    uint64_t   id;

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    if (!admind_auth_owns(r, id)) {
        return admind_resp_error(r, 404, "not_found", "no user %llu",
                                 (unsigned long long) id);
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return r->status;
    }

    rc = admind_key_policy_load(r, mysql, id, 0, &policy);

    if (rc == ADMIND_DECLINED) {
        return admind_resp_error(r, 404, "not_found", "no user %llu",
                                 (unsigned long long) id);
    }

    if (rc != ADMIND_OK) {
        return r->status;
    }

    admind_key_policy_shape(policy);
    json_object_set_new(policy, "userId", admind_json_int64((long long) id));

    return admind_resp_json(r, 200, policy);
}


/* a binding to an account or group that exists */
static int
admind_key_policy_refs(admind_req_t *r, MYSQL *mysql, json_t *policy)
{
    int          exists;
    uint64_t     id;
    const char  *field, *table;

    if (admind_resource_id(policy, "accountId") != 0
        && admind_resource_id(policy, "groupId") != 0)
    {
        admind_resp_error(r, 400, "invalid_argument", "fields "
                          "\"accountId\" and \"groupId\" exclude "
                          "each other");
        return ADMIND_ERROR;
    }

    field = "accountId";
    table = "accounts";
    id = admind_resource_id(policy, field);

    if (id == 0) {
        field = "groupId";
        table = "account_groups";
        id = admind_resource_id(policy, field);
    }

    if (id == 0) {
        return ADMIND_OK;
    }

    if (admind_resource_exists(r, mysql, &admind_key_policy_resource,
                               table, id, &exists)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (!exists) {
        admind_resp_error(r, 400, "invalid_argument", "field "
                          "\"%s\": no such row %llu", field,
                          (unsigned long long) id);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


static int
admind_key_policy_put(admind_req_t *r)
{
    int                 rc;
    char                err[ADMIND_ERRLEN];
    char               *text;
    MYSQL              *mysql;
    void               *tmp;
    json_t             *body, *before, *v;
    uint64_t            id;
    const char         *name;
    admind_db_param_t   params[2];

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    body = admind_resource_body(r, admind_key_policy_fields,
                                ADMIND_FIELDS_UPDATE);
    if (body == NULL) {
        return r->status;
    }

    /* stored as given, less what is output only or null */
    json_object_del(body, "userId");

    json_object_foreach_safe(body, tmp, name, v) {
        if (json_is_null(v)) {
            json_object_del(body, name);
        }
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        json_decref(body);
        return r->status;
    }

    before = NULL;
    text = NULL;

    rc = admind_key_policy_load(r, mysql, id, 1, &before);

    if (rc == ADMIND_DECLINED) {
        admind_resp_error(r, 404, "not_found", "no user %llu",
                          (unsigned long long) id);
        goto undo;
    }

    if (rc != ADMIND_OK || admind_key_policy_refs(r, mysql, body)
                           != ADMIND_OK)
    {
        goto undo;
    }

    text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        admind_resp_error(r, 500, "internal_error", "out of memory");
        goto undo;
    }

    params[0] = json_object_size(body) ? admind_db_str(text)
                                       : admind_db_null();
    params[1] = admind_db_int((long long) id);

    if (admind_db_exec(mysql, "UPDATE users SET key_policy = ? WHERE id = ?",
                       params, 2, NULL, err, sizeof(err))
        != ADMIND_OK
        || admind_audit_write(mysql, r, "update", "key_policy", id, before,
                              body, err, sizeof(err))
           != ADMIND_OK)
    {
        admind_resource_db_error(r, &admind_key_policy_resource, err);
        goto undo;
    }

    free(text);
    json_decref(before);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(body);
        return r->status;
    }

    json_decref(body);

    return admind_key_policy_get(r);

undo:

    free(text);
    json_decref(before);
    json_decref(body);
    admind_resource_rollback(mysql);

    return r->status;
}
