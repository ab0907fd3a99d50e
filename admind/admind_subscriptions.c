/*
 * QuotaLane admind: /api/v1/subscriptions.
 *
 * A subscription binds a user to a plan from startAt (default now) to
 * expireAt (default one plan period later).  The subscription worker
 * expires it after expireAt, or renews it for another period when
 * autoRenew is set (admind_quota.h).  After every write the user's quota
 * is published into their key records, so the gateway's 402 follows at
 * once.  Users may read their own subscriptions; admins manage them.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admind_log.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_time.h"
#include "admind_resource.h"
#include "admind_audit.h"
#include "admind_where.h"
#include "admind_quota.h"


static int admind_subscriptions_list(admind_req_t *r);
static int admind_subscriptions_get(admind_req_t *r);
static int admind_subscriptions_create(admind_req_t *r);
static int admind_subscriptions_update(admind_req_t *r);
static int admind_subscriptions_delete(admind_req_t *r);


const admind_route_t  admind_subscriptions_routes[] = {
    { "GET", "/api/v1/subscriptions", admind_subscriptions_list, 0,
      ADMIND_ROLE_USER },
    { "POST", "/api/v1/subscriptions", admind_subscriptions_create, 0,
      ADMIND_ROLE_ADMIN },
    { "GET", "/api/v1/subscriptions/{id}", admind_subscriptions_get, 0,
      ADMIND_ROLE_USER },
    { "PATCH", "/api/v1/subscriptions/{id}", admind_subscriptions_update, 0,
      ADMIND_ROLE_ADMIN },
    { "DELETE", "/api/v1/subscriptions/{id}", admind_subscriptions_delete,
      0, ADMIND_ROLE_ADMIN },
    { NULL, NULL, NULL, 0, 0 }
};


static const char *const  admind_subscriptions_statuses[] = {
    "active", "expired", "cancelled", NULL
};


static const admind_field_t  admind_subscriptions_fields[] = {
    { "id", ADMIND_FIELD_ID, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "userId", ADMIND_FIELD_ID,
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_IMMUTABLE, 0, 0, NULL, 0 },
    { "planId", ADMIND_FIELD_ID, ADMIND_FIELD_REQUIRED, 0, 0, NULL, 0 },
    { "status", ADMIND_FIELD_STRING, 0, 0, 0, admind_subscriptions_statuses,
      0 },
    { "startAt", ADMIND_FIELD_TIME, 0, 0, 0, NULL, 0 },
    { "expireAt", ADMIND_FIELD_TIME, 0, 0, 0, NULL, 0 },
    { "autoRenew", ADMIND_FIELD_BOOL, 0, 0, 0, NULL, 0 },
    { "createdAt", ADMIND_FIELD_TIME, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "updatedAt", ADMIND_FIELD_TIME, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "version", ADMIND_FIELD_INT, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { NULL, 0, 0, 0, 0, NULL, 0 }
};


static const admind_column_t  admind_subscriptions_columns[] = {
    { "userId", "user_id", ADMIND_FIELD_ID },
    { "planId", "plan_id", ADMIND_FIELD_ID },
    { "status", "status", ADMIND_FIELD_STRING },
    { "autoRenew", "auto_renew", ADMIND_FIELD_BOOL },
    { NULL, NULL, 0 }
};


static int
admind_subscriptions_fixup(json_t *row)
{
    admind_resource_bool_column(row, "autoRenew");

    return ADMIND_OK;
}


static const admind_resource_t  admind_subscriptions_resource = {
    "subscription", "subscription", "subscriptions",

    "SELECT CAST(s.id AS CHAR) AS id, CAST(s.user_id AS CHAR) AS userId, "
    "CAST(s.plan_id AS CHAR) AS planId, s.status, "
    ADMIND_SQL_TIME("s.start_at", "startAt") ", "
    ADMIND_SQL_TIME("s.expire_at", "expireAt") ", "
    "s.auto_renew AS autoRenew, "
    ADMIND_SQL_TIME("s.created_at", "createdAt") ", "
    ADMIND_SQL_TIME("s.updated_at", "updatedAt") ", s.version "
    "FROM subscriptions s",

    "s.id", "FROM subscriptions s", NULL, NULL, admind_subscriptions_fixup
};


/* after a commit: a failure is repaired by the next subscription tick */
static void
admind_subscriptions_publish(MYSQL *mysql, uint64_t user_id)
{
    char  err[ADMIND_ERRLEN];

    if (admind_quota_publish_user(mysql, user_id, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_WARN, "quota not published; the subscription "
                   "tick will", "user_id", json_integer((json_int_t) user_id),
                   "error", admind_log_str(err), NULL);
    }
}


static int
admind_subscriptions_list(admind_req_t *r)
{
    admind_where_t  w;

    admind_where_init(&w);

    if (admind_where_owner(&w, r, "userId", "s.user_id") != ADMIND_OK
        || admind_where_id(&w, r, "planId", "s.plan_id") != ADMIND_OK
        || admind_where_str(&w, r, "status", "s.status", 16) != ADMIND_OK)
    {
        return r->status;
    }

    return admind_where_list(r, &admind_subscriptions_resource, &w);
}


static int
admind_subscriptions_get(admind_req_t *r)
{
    int        rc;
    char       err[ADMIND_ERRLEN];
    MYSQL     *mysql;
    json_t    *obj;
    uint64_t   id;

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return r->status;
    }

    rc = admind_resource_load(mysql, &admind_subscriptions_resource, id,
                              &obj, err, sizeof(err));

    if (rc == ADMIND_OK && r->auth.role != ADMIND_ROLE_ADMIN
        && admind_resource_id(obj, "userId") != r->auth.id)
    {
        /* somebody else's is no different from none */
        json_decref(obj);
        rc = ADMIND_DECLINED;
    }

    if (rc == ADMIND_DECLINED) {
        return admind_resp_error(r, 404, "not_found", "no subscription %llu",
                                 (unsigned long long) id);
    }

    if (rc != ADMIND_OK) {
        return admind_resource_db_error(r, &admind_subscriptions_resource,
                                        err);
    }

    return admind_resp_json(r, 200, obj);
}


/*
 * The plan of a subscription, locked against deletion until commit:
 * ADMIND_OK with its period, ADMIND_DECLINED after answering 400 (no such
 * plan, or a disabled one when active_only), ADMIND_ERROR after
 * answering a database error.
 */
static int
admind_subscriptions_plan(admind_req_t *r, MYSQL *mysql, uint64_t plan_id,
    int active_only, admind_period_e *period)
{
    char                err[ADMIND_ERRLEN];
    json_t             *rows, *row;
    const char         *status, *p;
    admind_db_param_t   params[1];

    params[0] = admind_db_int((long long) plan_id);

    if (admind_db_select(mysql, "SELECT period, status FROM plans "
                         "WHERE id = ? LOCK IN SHARE MODE", params, 1, &rows,
                         err, sizeof(err))
        != ADMIND_OK)
    {
        admind_resource_db_error(r, &admind_subscriptions_resource, err);
        return ADMIND_ERROR;
    }

    row = json_array_get(rows, 0);

    if (row == NULL) {
        json_decref(rows);
        admind_resp_error(r, 400, "invalid_argument", "field \"planId\": "
                          "no plan %llu", (unsigned long long) plan_id);
        return ADMIND_DECLINED;
    }

    status = json_string_value(json_object_get(row, "status"));
    p = json_string_value(json_object_get(row, "period"));

    if (active_only && (status == NULL || strcmp(status, "active") != 0)) {
        json_decref(rows);
        admind_resp_error(r, 400, "invalid_argument", "field \"planId\": "
                          "plan %llu is disabled",
                          (unsigned long long) plan_id);
        return ADMIND_DECLINED;
    }

    if (p == NULL || admind_period_parse(p, period) != ADMIND_OK) {
        json_decref(rows);
        admind_resp_error(r, 500, "internal_error", "internal error");
        return ADMIND_ERROR;
    }

    json_decref(rows);

    return ADMIND_OK;
}


static int
admind_subscriptions_create(admind_req_t *r)
{
    int                  rc;
    char                 err[ADMIND_ERRLEN];
    char                 start_sql[ADMIND_TIME_LEN + 1];
    char                 expire_sql[ADMIND_TIME_LEN + 1];
    MYSQL               *mysql;
    json_t              *body, *after;
    time_t               start, expire;
    uint64_t             id, user_id;
    admind_period_e      period;
    admind_write_t       w;
    admind_db_result_t   res;

    body = admind_resource_body(r, admind_subscriptions_fields,
                                ADMIND_FIELDS_CREATE);
    if (body == NULL) {
        return r->status;
    }

    user_id = (uint64_t) admind_fields_int(body, "userId", 0);

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        json_decref(body);
        return r->status;
    }

    after = NULL;

    rc = admind_subscriptions_plan(r, mysql,
                                   (uint64_t) admind_fields_int(body,
                                                                "planId", 0),
                                   1, &period);
    if (rc != ADMIND_OK) {
        goto undo;
    }

    start = admind_fields_time(body, "startAt", time(NULL));
    expire = admind_fields_time(body, "expireAt",
                                admind_period_add(start, period, 1));

    if (expire == (time_t) -1 || expire <= start) {
        admind_resp_error(r, 400, "invalid_argument", "field \"expireAt\" "
                          "must be after \"startAt\"");
        goto undo;
    }

    admind_time_sql(start, start_sql, sizeof(start_sql));
    admind_time_sql(expire, expire_sql, sizeof(expire_sql));

    admind_write_init(&w);
    admind_write_fields(&w, body, admind_subscriptions_columns);
    admind_write_set(&w, "start_at", admind_db_str(start_sql));
    admind_write_set(&w, "expire_at", admind_db_str(expire_sql));

    if (admind_write_insert(mysql, "subscriptions", &w, &res, err,
                            sizeof(err))
        != ADMIND_OK)
    {
        goto failed;
    }

    id = res.insert_id;

    if (admind_resource_load(mysql, &admind_subscriptions_resource, id,
                             &after, err, sizeof(err))
        != ADMIND_OK
        || admind_audit_write(mysql, r, "create", "subscription", id, NULL,
                              after, err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    json_decref(body);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(after);
        return r->status;
    }

    admind_subscriptions_publish(mysql, user_id);

    return admind_resp_json(r, 201, after);

failed:

    admind_resource_db_error(r, &admind_subscriptions_resource, err);

undo:

    json_decref(body);
    json_decref(after);
    admind_resource_rollback(mysql);

    return r->status;
}


static int
admind_subscriptions_update(admind_req_t *r)
{
    int                  rc;
    char                 err[ADMIND_ERRLEN];
    char                 start_sql[ADMIND_TIME_LEN + 1];
    char                 expire_sql[ADMIND_TIME_LEN + 1];
    MYSQL               *mysql;
    json_t              *body, *before, *after;
    time_t               start, expire;
    uint64_t             id, user_id;
    admind_period_e      period;
    long long            version;
    admind_write_t       w;

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    body = admind_resource_body(r, admind_subscriptions_fields,
                                ADMIND_FIELDS_UPDATE);
    if (body == NULL) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        json_decref(body);
        return r->status;
    }

    before = NULL;
    after = NULL;

    rc = admind_resource_load(mysql, &admind_subscriptions_resource, id,
                              &before, err, sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resp_error(r, 404, "not_found", "no subscription %llu",
                          (unsigned long long) id);
        goto undo;
    }

    if (rc != ADMIND_OK) {
        goto failed;
    }

    if (admind_resource_version(r, &admind_subscriptions_resource, body,
                                before, &version)
        != ADMIND_OK)
    {
        goto undo;
    }

    user_id = admind_resource_id(before, "userId");

    /* a new plan must be on sale; keeping the old one needs no check */
    if (admind_fields_has(body, "planId")
        && (uint64_t) admind_fields_int(body, "planId", 0)
           != admind_resource_id(before, "planId"))
    {
        rc = admind_subscriptions_plan(r, mysql,
                                       (uint64_t) admind_fields_int(body,
                                                              "planId", 0),
                                       1, &period);
        if (rc != ADMIND_OK) {
            goto undo;
        }
    }

    if (admind_time_parse(json_string_value(json_object_get(before,
                                                            "startAt")),
                          &start)
        != ADMIND_OK
        || admind_time_parse(json_string_value(json_object_get(before,
                                                            "expireAt")),
                             &expire)
           != ADMIND_OK)
    {
        snprintf(err, sizeof(err), "subscription %llu: malformed times",
                 (unsigned long long) id);
        goto failed;
    }

    start = admind_fields_time(body, "startAt", start);
    expire = admind_fields_time(body, "expireAt", expire);

    if (expire <= start) {
        admind_resp_error(r, 400, "invalid_argument", "field \"expireAt\" "
                          "must be after \"startAt\"");
        goto undo;
    }

    admind_write_init(&w);
    admind_write_fields(&w, body, admind_subscriptions_columns);

    if (admind_fields_has(body, "startAt")) {
        admind_time_sql(start, start_sql, sizeof(start_sql));
        admind_write_set(&w, "start_at", admind_db_str(start_sql));
    }

    if (admind_fields_has(body, "expireAt")) {
        admind_time_sql(expire, expire_sql, sizeof(expire_sql));
        admind_write_set(&w, "expire_at", admind_db_str(expire_sql));
    }

    rc = admind_write_update_if(mysql, "subscriptions", &w, id, version, err,
                                sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resource_conflict(r, &admind_subscriptions_resource, id);
        goto undo;
    }

    if (rc != ADMIND_OK
        || admind_resource_load(mysql, &admind_subscriptions_resource, id,
                                &after, err, sizeof(err))
           != ADMIND_OK
        || admind_audit_write(mysql, r, "update", "subscription", id,
                              before, after, err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    json_decref(body);
    json_decref(before);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(after);
        return r->status;
    }

    admind_subscriptions_publish(mysql, user_id);

    return admind_resp_json(r, 200, after);

failed:

    admind_resource_db_error(r, &admind_subscriptions_resource, err);

undo:

    json_decref(body);
    json_decref(before);
    json_decref(after);
    admind_resource_rollback(mysql);

    return r->status;
}


static int
admind_subscriptions_delete(admind_req_t *r)
{
    int                 rc;
    char                err[ADMIND_ERRLEN];
    MYSQL              *mysql;
    json_t             *before;
    uint64_t            id, user_id;
    admind_db_param_t   params[1];

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        return r->status;
    }

    before = NULL;

    rc = admind_resource_load(mysql, &admind_subscriptions_resource, id,
                              &before, err, sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resp_error(r, 404, "not_found", "no subscription %llu",
                          (unsigned long long) id);
        goto undo;
    }

    if (rc != ADMIND_OK) {
        goto failed;
    }

    user_id = admind_resource_id(before, "userId");
    params[0] = admind_db_int((long long) id);

    if (admind_db_exec(mysql, "DELETE FROM subscriptions WHERE id = ?",
                       params, 1, NULL, err, sizeof(err))
        != ADMIND_OK
        || admind_audit_write(mysql, r, "delete", "subscription", id,
                              before, NULL, err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    json_decref(before);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        return r->status;
    }

    admind_subscriptions_publish(mysql, user_id);

    return admind_resp_empty(r, 204);

failed:

    admind_resource_db_error(r, &admind_subscriptions_resource, err);

undo:

    json_decref(before);
    admind_resource_rollback(mysql);

    return r->status;
}
