/*
 * QuotaLane admind: /api/v1/api-keys.
 *
 * The key itself exists only in the create answer: MySQL keeps its
 * SHA-256 (the name of its hot-state record) and its first characters,
 * so that people can tell their keys apart.
 *
 * Users manage their own keys: they list and read only theirs
 * (admind_resource_list/get), create keys for themselves, rename,
 * disable and delete them; another user's key is 404 to them, as if it
 * did not exist.  Limits and bindings decide what a key costs
 * the operator, so only admins set those.
 *
 * Rotation replaces the key of a row: the new key is shown once, like
 * on create, and the old one stops working when its record is deleted.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH  8
#include <pcre2.h>

#include "ql_apikey.h"
#include "ql_account_type.h"
#include "admind_log.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_time.h"
#include "admind_resource.h"
#include "admind_audit.h"
#include "admind_hotstate.h"
#include "admind_auth.h"
#include "admind_key_policy.h"
#include "admind_writer.h"


/* "cr_" and 7 hex digits: enough to tell keys apart, nothing to guess */
#define ADMIND_API_KEYS_PREFIX_LEN  10

/* the ranges of the INT UNSIGNED and signed BIGINT columns */
#define ADMIND_API_KEYS_MAX_INT     4294967295LL
#define ADMIND_API_KEYS_MAX_INT64   9223372036854775807LL

/*
 * A key's last request, from its stored usage records (one dive into
 * idx_usage_key_ts): the gateway writes no row on the hot path, so
 * api_keys.last_used_at is never set.
 */
#define ADMIND_API_KEY_LAST_USED                                              \
    "(SELECT MAX(u.ts) FROM usage_records u WHERE u.api_key_id = k.id)"


static int admind_api_keys_list(admind_req_t *r);
static int admind_api_keys_get(admind_req_t *r);
static int admind_api_keys_create(admind_req_t *r);
static int admind_api_keys_update(admind_req_t *r);
static int admind_api_keys_delete(admind_req_t *r);
static int admind_api_keys_rotate(admind_req_t *r);


const admind_route_t  admind_api_keys_routes[] = {
    { "GET", "/api/v1/api-keys", admind_api_keys_list, 0,
      ADMIND_ROLE_USER },
    { "POST", "/api/v1/api-keys", admind_api_keys_create, 0,
      ADMIND_ROLE_USER },
    { "GET", "/api/v1/api-keys/{id}", admind_api_keys_get, 0,
      ADMIND_ROLE_USER },
    { "PATCH", "/api/v1/api-keys/{id}", admind_api_keys_update, 0,
      ADMIND_ROLE_USER },
    { "PUT", "/api/v1/api-keys/{id}", admind_api_keys_update, 0,
      ADMIND_ROLE_USER },
    { "DELETE", "/api/v1/api-keys/{id}", admind_api_keys_delete, 0,
      ADMIND_ROLE_USER },
    { "POST", "/api/v1/api-keys/{id}/rotate", admind_api_keys_rotate, 0,
      ADMIND_ROLE_USER },
    { NULL, NULL, NULL, 0, 0 }
};


static const char *const  admind_api_keys_statuses[] = {
    "active", "disabled", NULL
};

/* the API's names of the expiry_mode values fixed and from_first_use */
static const char *const  admind_api_keys_expiry_modes[] = {
    "fixed", "fromFirstUse", NULL
};


/* lists, expiry and the key itself have no column: the hooks store them */
static const admind_field_t  admind_api_keys_fields[] = {
    ADMIND_F_ROW_ID("k"),
    ADMIND_F_STRING("name", "name", ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE,
      1, 128),
    ADMIND_F_ID("userId", "user_id",
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_IMMUTABLE),
    ADMIND_F_OUTPUT("key", ADMIND_FIELD_STRING),
    ADMIND_F_OUTPUT("keyPrefix", ADMIND_FIELD_STRING, "k.key_prefix"),
    ADMIND_F_STRINGS("permissions", NULL, 0, 0, 0, ql_permissions,
      QL_PERMISSIONS_MAX, "k.permissions"),
    ADMIND_F_STRINGS("allowedClients", NULL, ADMIND_FIELD_LINE, 1, 512, NULL,
      32, "k.allowed_clients"),
    ADMIND_F_STRINGS("blockedModels", NULL, ADMIND_FIELD_LINE, 1, 128, NULL,
      256, "k.blocked_models"),
    ADMIND_F_INT("concurrencyLimit", "concurrency_limit", 0, 0, 100000),
    ADMIND_F_INT("rateWindowSeconds", "rate_window_seconds", 0, 1, 86400),
    ADMIND_F_INT("rateLimitRequests", "rate_limit_requests", 0, 0,
      ADMIND_API_KEYS_MAX_INT),
    ADMIND_F_INT("rateLimitTokens", "rate_limit_tokens", 0, 0,
      ADMIND_API_KEYS_MAX_INT64),
    ADMIND_F_INT("rateLimitCostMicros", "rate_limit_cost_micros", 0, 0,
      ADMIND_API_KEYS_MAX_INT64),
    ADMIND_F_INT("dailyCostLimitMicros", "daily_cost_limit_micros", 0, 0,
      ADMIND_API_KEYS_MAX_INT64),
    ADMIND_F_INT("weeklyCostLimitMicros", "weekly_cost_limit_micros", 0, 0,
      ADMIND_API_KEYS_MAX_INT64),
    ADMIND_F_INT("weeklyResetHours", "weekly_reset_hours", 0, 0, 167),
    ADMIND_F_INT("totalCostLimitMicros", "total_cost_limit_micros", 0, 0,
      ADMIND_API_KEYS_MAX_INT64),
    ADMIND_F_TIME("expiresAt", NULL, ADMIND_FIELD_NULLABLE,
      ADMIND_SQL_TIME_READ("k.expires_at")),
    ADMIND_F_ENUM("expiryMode", NULL, 0, admind_api_keys_expiry_modes,
      "IF(k.expiry_mode = 'from_first_use', 'fromFirstUse', 'fixed')"),
    ADMIND_F_INT("activationDays", "activation_days", ADMIND_FIELD_NULLABLE, 1,
      36500),
    ADMIND_F_OUTPUT("firstUsedAt", ADMIND_FIELD_TIME,
      ADMIND_SQL_TIME_READ("k.first_used_at")),
    ADMIND_F_ID("accountId", "account_id", ADMIND_FIELD_NULLABLE),
    ADMIND_F_ID("groupId", "group_id", ADMIND_FIELD_NULLABLE),
    ADMIND_F_ENUM("status", "status", 0, admind_api_keys_statuses),
    ADMIND_F_OUTPUT("disabledByAdmin", ADMIND_FIELD_BOOL,
      "k.status_by_admin"),
    ADMIND_F_OUTPUT("lastUsedAt", ADMIND_FIELD_TIME,
      ADMIND_SQL_TIME_READ(ADMIND_API_KEY_LAST_USED)),
    ADMIND_F_ROW_CREATED("k"),
    ADMIND_F_ROW_UPDATED("k"),
    ADMIND_F_ROW_VERSION("k"),
    ADMIND_F_END
};


/*
 * What users may give for their own keys (output fields are ignored);
 * their key policy then bounds the values (admind_key_policy.h).
 */
static const char *const  admind_api_keys_user_create[] = {
    "name", "userId", "permissions", "allowedClients", "blockedModels",
    "expiresAt", "expiryMode", "activationDays", "rateWindowSeconds",
    "concurrencyLimit", "rateLimitRequests", "rateLimitTokens",
    "rateLimitCostMicros", "dailyCostLimitMicros", "weeklyCostLimitMicros",
    "totalCostLimitMicros", NULL
};

static const char *const  admind_api_keys_user_update[] = {
    "name", "status", "version", "concurrencyLimit", "rateLimitRequests",
    "rateLimitTokens", "rateLimitCostMicros", "dailyCostLimitMicros",
    "weeklyCostLimitMicros", "totalCostLimitMicros", NULL
};


static const admind_filter_t  admind_api_keys_filters[] = {
    { "userId", "k.user_id", ADMIND_FIELD_ID },
    { "accountId", "k.account_id", ADMIND_FIELD_ID },
    { "groupId", "k.group_id", ADMIND_FIELD_ID },
    { "status", "k.status", ADMIND_FIELD_STRING },
    { NULL, NULL, 0 }
};


static const admind_order_t  admind_api_keys_orders[] = {
    { "name", "k.name" },
    { "createdAt", "k.created_at" },
    { "updatedAt", "k.updated_at" },
    { "lastUsedAt", ADMIND_API_KEY_LAST_USED },
    { "expiresAt", "k.expires_at" },
    { NULL, NULL }
};


static int admind_api_keys_fixup(json_t *row);


static const admind_resource_t  admind_api_keys_resource = {
    "api key", "api_key", "apiKeys",

    NULL,

    "k.id", "FROM api_keys k", admind_api_keys_filters, NULL,
    admind_api_keys_fixup, admind_api_keys_fields
};


static int
admind_api_keys_fixup(json_t *row)
{
    /* NULL lists mean "no restriction" (0001_schema_v1.sql) */
    if (admind_resource_json_column(row, "permissions", "[\"all\"]")
        != ADMIND_OK
        || admind_resource_json_column(row, "allowedClients", "[]")
           != ADMIND_OK
        || admind_resource_json_column(row, "blockedModels", "[]")
           != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    admind_resource_bool_column(row, "disabledByAdmin");

    return ADMIND_OK;
}


static int
admind_api_keys_list(admind_req_t *r)
{
    return admind_resource_list_ordered(r, &admind_api_keys_resource,
                                        admind_api_keys_orders);
}


static int
admind_api_keys_get(admind_req_t *r)
{
    return admind_resource_get(r, &admind_api_keys_resource);
}


/* users give only the fields of allowed; admins any */
static int
admind_api_keys_user_fields(admind_req_t *r, json_t *body,
    const char *const *allowed)
{
    json_t                *v;
    const char            *name;
    const char *const     *a;
    const admind_field_t  *f;

    if (admind_auth_is_admin(r)) {
        return ADMIND_OK;
    }

    json_object_foreach(body, name, v) {
        for (a = allowed; *a != NULL && strcmp(*a, name) != 0; a++) {
            /* void */
        }

        if (*a != NULL) {
            continue;
        }

        for (f = admind_api_keys_fields; f->name != NULL; f++) {
            if (strcmp(f->name, name) == 0) {
                break;
            }
        }

        if (f->name != NULL && (f->flags & ADMIND_FIELD_OUTPUT)) {
            continue;
        }

        admind_resp_error(r, 403, "forbidden", "field \"%s\" can be set "
                          "by an admin only", name);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* a key that may use no platform at all is a mistake, not a policy */
static int
admind_api_keys_permissions_given(admind_req_t *r, json_t *body)
{
    json_t  *list;

    list = admind_fields_array(body, "permissions");

    if (list != NULL && json_array_size(list) == 0) {
        admind_resp_error(r, 400, "invalid_argument", "field "
                          "\"permissions\" must not be empty (use "
                          "[\"all\"] for every platform)");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/*
 * The module compiles allowed-client patterns with nginx's PCRE2 at
 * request time and skips ones that fail; refusing them here tells the
 * admin instead of silently allowing fewer clients.
 */
static int
admind_api_keys_patterns(admind_req_t *r, json_t *body)
{
    int           errcode;
    size_t        i;
    json_t       *list, *item;
    pcre2_code   *re;
    PCRE2_SIZE    offset;
    PCRE2_UCHAR   msg[256];

    list = admind_fields_array(body, "allowedClients");

    json_array_foreach(list, i, item) {
        re = pcre2_compile((PCRE2_SPTR) json_string_value(item),
                           PCRE2_ZERO_TERMINATED, 0, &errcode, &offset,
                           NULL);

        if (re == NULL) {
            pcre2_get_error_message(errcode, msg, sizeof(msg));
            admind_resp_error(r, 400, "invalid_argument",
                              "field \"allowedClients\" item %zu: not a "
                              "PCRE pattern: %s at offset %zu", i,
                              (char *) msg, (size_t) offset);
            return ADMIND_ERROR;
        }

        pcre2_code_free(re);
    }

    return ADMIND_OK;
}


/*
 * A key whose expiry counts from its first use has an activation period
 * and no expiry of its own: the key activation worker sets expiresAt
 * once the key was used (admind_key_activation.c).
 */
static int
admind_api_keys_expiry(admind_req_t *r, json_t *body, json_t *before,
    int *from_first_use)
{
    const char  *mode;
    long long    days;

    mode = admind_fields_str(body, "expiryMode",
                             before ? admind_fields_str(before, "expiryMode",
                                                        "fixed")
                                    : "fixed");

    days = admind_fields_has(body, "activationDays")
           ? admind_fields_int(body, "activationDays", 0)
           : (before ? admind_fields_int(before, "activationDays", 0) : 0);

    *from_first_use = strcmp(mode, "fromFirstUse") == 0;

    if (!*from_first_use) {
        return ADMIND_OK;
    }

    if (days == 0) {
        admind_resp_error(r, 400, "invalid_argument", "field "
                          "\"activationDays\" is required with expiryMode "
                          "fromFirstUse");
        return ADMIND_ERROR;
    }

    if (admind_fields_has(body, "expiresAt")
        && !admind_fields_is_null(body, "expiresAt"))
    {
        admind_resp_error(r, 400, "invalid_argument", "field \"expiresAt\" "
                          "cannot be set with expiryMode fromFirstUse: the "
                          "key expires activationDays after its first use");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* after a change of mode or period, the expiry follows the first use */
static int
admind_api_keys_reexpire(MYSQL *mysql, json_t *body, uint64_t id,
    int from_first_use, char *err, size_t errlen)
{
    admind_db_param_t  params[1];

    if (!from_first_use
        || (!admind_fields_has(body, "expiryMode")
            && !admind_fields_has(body, "activationDays")))
    {
        return ADMIND_OK;
    }

    params[0] = admind_db_int((long long) id);

    return admind_db_exec(mysql, "UPDATE api_keys SET expires_at = "
                          "first_used_at + INTERVAL activation_days DAY "
                          "WHERE id = ?", params, 1, NULL, err, errlen);
}


/* the id a binding field will have: the body's, else the current one */
static uint64_t
admind_api_keys_binding(json_t *body, json_t *before, const char *name)
{
    if (admind_fields_has(body, name)) {
        return (uint64_t) admind_fields_int(body, name, 0);
    }

    return before ? admind_resource_id(before, name) : 0;
}


/* the referenced rows exist (and stay until commit) */
static int
admind_api_keys_refs(admind_req_t *r, MYSQL *mysql, json_t *body)
{
    int          exists;
    size_t       i;
    uint64_t     id;

    static const struct {
        const char  *field;
        const char  *table;
        const char  *what;
    } refs[] = {
        { "userId", "users", "user" },
        { "accountId", "accounts", "account" },
        { "groupId", "account_groups", "account group" },
    };

    for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        id = (uint64_t) admind_fields_int(body, refs[i].field, 0);
        if (id == 0) {
            continue;
        }

        if (admind_resource_exists(r, mysql, &admind_api_keys_resource,
                                   refs[i].table, id, &exists)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        if (!exists) {
            admind_resp_error(r, 400, "invalid_argument", "field \"%s\": "
                              "no %s %llu", refs[i].field, refs[i].what,
                              (unsigned long long) id);
            return ADMIND_ERROR;
        }
    }

    return ADMIND_OK;
}


/*
 * The fields that are not stored as they come: lists as JSON text (an
 * empty restriction list as NULL, "no restriction"), the expiry as a
 * DATETIME.  The texts are malloc()ed into texts[3], freed by the caller.
 */
static void
admind_api_keys_write(admind_write_t *w, json_t *body, char *texts[3],
    char expires[ADMIND_TIME_LEN + 1])
{
    size_t   i;
    time_t   t;
    json_t  *list;

    static const struct {
        const char  *field;
        const char  *column;
    } lists[] = {
        { "permissions", "permissions" },
        { "allowedClients", "allowed_clients" },
        { "blockedModels", "blocked_models" },
    };

    for (i = 0; i < 3; i++) {
        texts[i] = NULL;

        if (!admind_fields_has(body, lists[i].field)) {
            continue;
        }

        list = admind_fields_array(body, lists[i].field);

        if (list != NULL && json_array_size(list) > 0) {
            texts[i] = json_dumps(list, JSON_COMPACT);
        }

        admind_write_set(w, lists[i].column,
                         texts[i] ? admind_db_str(texts[i])
                                  : admind_db_null());
    }

    if (admind_fields_has(body, "expiryMode")) {
        admind_write_set(w, "expiry_mode",
                         admind_db_str(strcmp(admind_fields_str(body,
                                                  "expiryMode", ""),
                                              "fromFirstUse") == 0
                                       ? "from_first_use" : "fixed"));
    }

    if (admind_fields_has(body, "expiresAt")) {
        t = admind_fields_time(body, "expiresAt", 0);
        admind_time_sql(t, expires, ADMIND_TIME_LEN + 1);
        admind_write_set(w, "expires_at",
                         t ? admind_db_str(expires) : admind_db_null());
    }
}


/* a new key and its digest; ADMIND_ERROR answered 500 */
static int
admind_api_keys_generate(admind_req_t *r, char key[QL_APIKEY_LEN + 1],
    char digest[QL_APIKEY_DIGEST_HEX + 1])
{
    if (ql_apikey_generate(key) != 0
        || ql_apikey_digest((unsigned char *) key, QL_APIKEY_LEN,
                            (unsigned char *) digest)
           != 0)
    {
        admind_resp_error(r, 500, "internal_error", "cannot generate a key");
        return ADMIND_ERROR;
    }

    digest[QL_APIKEY_DIGEST_HEX] = '\0';

    return ADMIND_OK;
}


/* the key of a create, the key hash of a delete, what a write stores */
typedef struct {
    int    from_first_use;
    char   key[QL_APIKEY_LEN + 1];
    char   digest[QL_APIKEY_DIGEST_HEX + 1];
    char   expires[ADMIND_TIME_LEN + 1];
    char  *texts[3];
} admind_api_keys_op_t;


/* a user's key is theirs: they need not say so */
static int
admind_api_keys_shape(admind_writer_op_t *op)
{
    if (op->op == ADMIND_WRITER_CREATE && !admind_auth_is_admin(op->r)
        && !admind_fields_has(op->body, "userId"))
    {
        json_object_set_new(op->body, "userId",
                            admind_json_int64((long long) op->r->auth.id));
    }

    return ADMIND_OK;
}


static int
admind_api_keys_prepare(admind_writer_op_t *op)
{
    json_t                *body;
    admind_req_t          *r;
    admind_api_keys_op_t  *k;

    r = op->r;
    body = op->body;
    k = op->data;

    if (op->op == ADMIND_WRITER_DELETE) {
        return ADMIND_OK;
    }

    if (admind_api_keys_user_fields(r, body,
                                    op->op == ADMIND_WRITER_CREATE
                                    ? admind_api_keys_user_create
                                    : admind_api_keys_user_update)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (op->op == ADMIND_WRITER_UPDATE) {
        if (admind_api_keys_permissions_given(r, body) != ADMIND_OK
            || admind_api_keys_patterns(r, body) != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        return ADMIND_OK;
    }

    if (!admind_auth_owns(r, (uint64_t) admind_fields_int(body, "userId", 0)))
    {
        admind_resp_error(r, 403, "forbidden", "you may create keys only "
                          "for yourself (userId %llu)",
                          (unsigned long long) r->auth.id);
        return ADMIND_ERROR;
    }

    if (admind_api_keys_binding(body, NULL, "accountId")
        && admind_api_keys_binding(body, NULL, "groupId"))
    {
        admind_resp_error(r, 400, "invalid_argument", "fields "
                          "\"accountId\" and \"groupId\" exclude each "
                          "other");
        return ADMIND_ERROR;
    }

    if (admind_api_keys_permissions_given(r, body) != ADMIND_OK
        || admind_api_keys_patterns(r, body) != ADMIND_OK
        || admind_api_keys_expiry(r, body, NULL, &k->from_first_use)
           != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    return admind_api_keys_generate(r, k->key, k->digest);
}


/* the user's policy, the referenced rows; a delete needs the key hash */
static int
admind_api_keys_check(admind_writer_op_t *op)
{
    json_t                *rows, *body;
    const char            *hash;
    admind_req_t          *r;
    admind_db_param_t      params[1];
    admind_api_keys_op_t  *k;

    r = op->r;
    body = op->body;
    k = op->data;

    switch (op->op) {

    case ADMIND_WRITER_CREATE:
        if (admind_key_policy_create(r, op->mysql, body) != ADMIND_OK) {
            return ADMIND_ERROR;
        }

        break;

    case ADMIND_WRITER_UPDATE:
        if (admind_api_keys_binding(body, op->before, "accountId")
            && admind_api_keys_binding(body, op->before, "groupId"))
        {
            admind_resp_error(r, 400, "invalid_argument", "fields "
                              "\"accountId\" and \"groupId\" exclude each "
                              "other (set the other one to null)");
            return ADMIND_ERROR;
        }

        if (admind_key_policy_update(r, body, op->before) != ADMIND_OK) {
            return ADMIND_ERROR;
        }

        break;

    case ADMIND_WRITER_DELETE:
        params[0] = admind_db_int((long long) op->id);

        if (admind_db_select(op->mysql, "SELECT key_hash FROM api_keys "
                             "WHERE id = ? FOR UPDATE", params, 1, &rows,
                             op->err, sizeof(op->err))
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        hash = json_string_value(json_object_get(json_array_get(rows, 0),
                                                 "key_hash"));
        snprintf(k->digest, sizeof(k->digest), "%s", hash ? hash : "");
        json_decref(rows);

        return ADMIND_OK;
    }

    if (admind_api_keys_refs(r, op->mysql, body) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    if (op->op == ADMIND_WRITER_UPDATE) {
        return admind_api_keys_expiry(r, body, op->before,
                                      &k->from_first_use);
    }

    return ADMIND_OK;
}


/*
 * The columns not stored as they come, the new key's hash and prefix;
 * a status an admin sets is one its user cannot undo.
 */
static int
admind_api_keys_store(admind_writer_op_t *op)
{
    admind_api_keys_op_t  *k;

    k = op->data;

    admind_api_keys_write(&op->w, op->body, k->texts, k->expires);

    if (admind_auth_is_admin(op->r) && admind_fields_has(op->body, "status"))
    {
        admind_write_set(&op->w, "status_by_admin",
                         admind_db_int(strcmp(admind_fields_str(op->body,
                                                  "status", ""),
                                              "disabled") == 0));
    }

    if (op->op == ADMIND_WRITER_CREATE) {
        admind_write_set(&op->w, "key_hash",
                         admind_db_strn(k->digest, QL_APIKEY_DIGEST_HEX));
        admind_write_set(&op->w, "key_prefix",
                         admind_db_strn(k->key, ADMIND_API_KEYS_PREFIX_LEN));
    }

    return ADMIND_OK;
}


static int
admind_api_keys_after(admind_writer_op_t *op)
{
    admind_api_keys_op_t  *k;

    k = op->data;

    if (op->op != ADMIND_WRITER_UPDATE) {
        return ADMIND_OK;
    }

    return admind_api_keys_reexpire(op->mysql, op->body, op->id,
                                    k->from_first_use, op->err,
                                    sizeof(op->err));
}


static void
admind_api_keys_publish(admind_writer_op_t *op)
{
    admind_api_keys_op_t  *k;

    k = op->data;

    if (op->op == ADMIND_WRITER_DELETE) {
        admind_hotstate_key_deleted(k->digest);
        return;
    }

    admind_hotstate_key(op->mysql, op->id);

    if (op->op == ADMIND_WRITER_CREATE) {
        /* the only time the key is shown */
        json_object_set_new(op->after, "key", json_string(k->key));
    }
}


static void
admind_api_keys_cleanup(admind_writer_op_t *op)
{
    admind_api_keys_op_t  *k;

    k = op->data;

    ql_wipe(k->key, sizeof(k->key));
    free(k->texts[0]);
    free(k->texts[1]);
    free(k->texts[2]);
}


static const admind_writer_t  admind_api_keys_writer = {
    &admind_api_keys_resource, "api_keys", admind_api_keys_fields, "userId",
    admind_api_keys_shape, admind_api_keys_prepare, admind_api_keys_check,
    admind_api_keys_store, admind_api_keys_after, admind_api_keys_publish,
    admind_api_keys_cleanup
};


static int
admind_api_keys_create(admind_req_t *r)
{
    admind_api_keys_op_t  k;

    memset(&k, 0, sizeof(k));

    return admind_writer_create(r, &admind_api_keys_writer, &k);
}


static int
admind_api_keys_update(admind_req_t *r)
{
    admind_api_keys_op_t  k;

    memset(&k, 0, sizeof(k));

    return admind_writer_update(r, &admind_api_keys_writer, &k);
}


static int
admind_api_keys_delete(admind_req_t *r)
{
    admind_api_keys_op_t  k;

    memset(&k, 0, sizeof(k));

    return admind_writer_delete(r, &admind_api_keys_writer, &k);
}


static int
admind_api_keys_rotate(admind_req_t *r)
{
    char                err[ADMIND_ERRLEN];
    char                key[QL_APIKEY_LEN + 1];
    char                digest[QL_APIKEY_DIGEST_HEX + 1];
    char                old[QL_APIKEY_DIGEST_HEX + 1];
    MYSQL              *mysql;
    json_t             *before, *after, *rows, *row;
    uint64_t            id;
    const char         *hash;
    admind_db_param_t   params[3];

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    if (admind_api_keys_generate(r, key, digest) != ADMIND_OK) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        ql_wipe(key, sizeof(key));
        return r->status;
    }

    before = NULL;
    after = NULL;
    params[0] = admind_db_int((long long) id);

    if (admind_db_select(mysql, "SELECT key_hash, user_id FROM api_keys "
                         "WHERE id = ? FOR UPDATE", params, 1, &rows, err,
                         sizeof(err))
        != ADMIND_OK)
    {
        goto failed;
    }

    row = json_array_get(rows, 0);
    hash = json_string_value(json_object_get(row, "key_hash"));

    /* another user's key is no different from none */
    if (hash == NULL || strlen(hash) != QL_APIKEY_DIGEST_HEX
        || !admind_auth_owns(r, (uint64_t) json_integer_value(
                                    json_object_get(row, "user_id"))))
    {
        json_decref(rows);
        admind_resp_error(r, 404, "not_found", "no api key %llu",
                          (unsigned long long) id);
        goto undo;
    }

    memcpy(old, hash, sizeof(old));
    json_decref(rows);

    params[0] = admind_db_strn(digest, QL_APIKEY_DIGEST_HEX);
    params[1] = admind_db_strn(key, ADMIND_API_KEYS_PREFIX_LEN);
    params[2] = admind_db_int((long long) id);

    if (admind_resource_load(mysql, &admind_api_keys_resource, id, &before,
                             err, sizeof(err))
        != ADMIND_OK
        || admind_db_exec(mysql, "UPDATE api_keys SET key_hash = ?, "
                          "key_prefix = ?, version = version + 1 "
                          "WHERE id = ?", params, 3, NULL, err, sizeof(err))
           != ADMIND_OK
        || admind_resource_load(mysql, &admind_api_keys_resource, id,
                                &after, err, sizeof(err))
           != ADMIND_OK
        || admind_audit_write(mysql, r, "rotate", "api_key", id, before,
                              after, err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    json_decref(before);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(after);
        ql_wipe(key, sizeof(key));
        return r->status;
    }

    /* the old key stops working before the new one is answered */
    admind_hotstate_key_deleted(old);
    admind_hotstate_key(mysql, id);

    json_object_set_new(after, "key", json_string(key));
    ql_wipe(key, sizeof(key));

    return admind_resp_json(r, 200, after);

failed:

    admind_resource_db_error(r, &admind_api_keys_resource, err);

undo:

    ql_wipe(key, sizeof(key));
    json_decref(before);
    json_decref(after);
    admind_resource_rollback(mysql);

    return r->status;
}
