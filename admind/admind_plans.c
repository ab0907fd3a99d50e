/*
 * QuotaLane admind: /api/v1/plans.
 *
 * A plan gives its subscribers a quota: quotaCostMicros of spending per
 * period (daily, weekly, monthly; 0 = no quota), sold at priceMicros.
 * "limits" is a free JSON object kept for the operator (shown, not
 * enforced by the gateway).  Changing the quota or the period changes
 * the quota of every current subscriber at once (admind_quota.h).
 * Signed-in users may read plans; only admins change them.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_log.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_time.h"
#include "admind_resource.h"
#include "admind_audit.h"
#include "admind_quota.h"


/* the serialized limits object may take this much */
#define ADMIND_PLANS_LIMITS_MAX  4096

#define ADMIND_PLANS_MAX_INT64   9223372036854775807LL


static int admind_plans_list(admind_req_t *r);
static int admind_plans_get(admind_req_t *r);
static int admind_plans_create(admind_req_t *r);
static int admind_plans_update(admind_req_t *r);
static int admind_plans_delete(admind_req_t *r);


const admind_route_t  admind_plans_routes[] = {
    { "GET", "/api/v1/plans", admind_plans_list, 0, ADMIND_ROLE_USER },
    { "POST", "/api/v1/plans", admind_plans_create, 0, ADMIND_ROLE_ADMIN },
    { "GET", "/api/v1/plans/{id}", admind_plans_get, 0, ADMIND_ROLE_USER },
    { "PATCH", "/api/v1/plans/{id}", admind_plans_update, 0,
      ADMIND_ROLE_ADMIN },
    { "DELETE", "/api/v1/plans/{id}", admind_plans_delete, 0,
      ADMIND_ROLE_ADMIN },
    { NULL, NULL, NULL, 0, 0 }
};


static const char *const  admind_plans_periods[] = {
    "daily", "weekly", "monthly", NULL
};

static const char *const  admind_plans_statuses[] = {
    "active", "disabled", NULL
};


/* "limits" is checked apart: the field table has no object type */
static const admind_field_t  admind_plans_fields[] = {
    { "id", ADMIND_FIELD_ID, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "name", ADMIND_FIELD_STRING,
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE, 1, 128, NULL, 0 },
    { "description", ADMIND_FIELD_STRING, ADMIND_FIELD_NULLABLE, 0, 1024,
      NULL, 0 },
    { "quotaCostMicros", ADMIND_FIELD_INT, 0, 0, ADMIND_PLANS_MAX_INT64,
      NULL, 0 },
    { "period", ADMIND_FIELD_STRING, ADMIND_FIELD_REQUIRED, 0, 0,
      admind_plans_periods, 0 },
    { "priceMicros", ADMIND_FIELD_INT, 0, 0, ADMIND_PLANS_MAX_INT64, NULL,
      0 },
    { "status", ADMIND_FIELD_STRING, 0, 0, 0, admind_plans_statuses, 0 },
    { "createdAt", ADMIND_FIELD_TIME, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "updatedAt", ADMIND_FIELD_TIME, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "version", ADMIND_FIELD_INT, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { NULL, 0, 0, 0, 0, NULL, 0 }
};


static const admind_filter_t  admind_plans_filters[] = {
    { "status", "p.status", ADMIND_FIELD_STRING },
    { "period", "p.period", ADMIND_FIELD_STRING },
    { NULL, NULL, 0 }
};


static const admind_unique_t  admind_plans_uniques[] = {
    { "uk_plans_name", "name" },
    { NULL, NULL }
};


static const admind_column_t  admind_plans_columns[] = {
    { "name", "name", ADMIND_FIELD_STRING },
    { "description", "description", ADMIND_FIELD_STRING },
    { "quotaCostMicros", "quota_cost_micros", ADMIND_FIELD_INT },
    { "period", "period", ADMIND_FIELD_STRING },
    { "priceMicros", "price_micros", ADMIND_FIELD_INT },
    { "status", "status", ADMIND_FIELD_STRING },
    { NULL, NULL, 0 }
};


static int
admind_plans_fixup(json_t *row)
{
    return admind_resource_json_column(row, "limits", "null");
}


static const admind_resource_t  admind_plans_resource = {
    "plan", "plan", "plans",

    "SELECT CAST(p.id AS CHAR) AS id, p.name, p.description, "
    "CAST(p.quota_cost_micros AS CHAR) AS quotaCostMicros, p.period, "
    "CAST(p.price_micros AS CHAR) AS priceMicros, p.limits, p.status, "
    ADMIND_SQL_TIME("p.created_at", "createdAt") ", "
    ADMIND_SQL_TIME("p.updated_at", "updatedAt") ", p.version "
    "FROM plans p",

    "p.id", "FROM plans p", admind_plans_filters, admind_plans_uniques,
    admind_plans_fixup
};


static int
admind_plans_list(admind_req_t *r)
{
    return admind_resource_list(r, &admind_plans_resource);
}


static int
admind_plans_get(admind_req_t *r)
{
    return admind_resource_get(r, &admind_plans_resource);
}


/*
 * The body checked, "limits" taken out of it into *limits (its JSON
 * text, NULL when absent, "" for null).  NULL after answering 400.
 */
static json_t *
admind_plans_body(admind_req_t *r, admind_fields_mode_e mode,
    char **limits)
{
    json_t  *body, *v;

    *limits = NULL;

    body = admind_req_json(r);
    if (body == NULL) {
        return NULL;
    }

    v = json_incref(json_object_get(body, "limits"));
    json_object_del(body, "limits");

    if (admind_fields_check(r, admind_plans_fields, body, mode)
        != ADMIND_OK)
    {
        json_decref(v);
        json_decref(body);
        return NULL;
    }

    if (v == NULL) {
        return body;
    }

    if (json_is_null(v)) {
        *limits = strdup("");

    } else if (json_is_object(v)) {
        *limits = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

        if (*limits != NULL && strlen(*limits) > ADMIND_PLANS_LIMITS_MAX) {
            free(*limits);
            *limits = NULL;
            json_decref(v);
            json_decref(body);
            admind_resp_error(r, 400, "invalid_argument", "field \"limits\" "
                              "must be at most %d bytes of JSON",
                              ADMIND_PLANS_LIMITS_MAX);
            return NULL;
        }

    } else {
        json_decref(v);
        json_decref(body);
        admind_resp_error(r, 400, "invalid_argument",
                          "field \"limits\" must be an object or null");
        return NULL;
    }

    json_decref(v);

    if (*limits == NULL) {
        json_decref(body);
        admind_resp_error(r, 500, "internal_error", "out of memory");
        return NULL;
    }

    return body;
}


static void
admind_plans_write(admind_write_t *w, json_t *body, const char *limits)
{
    admind_write_fields(w, body, admind_plans_columns);

    if (limits != NULL) {
        admind_write_set(w, "limits", limits[0] ? admind_db_str(limits)
                                                : admind_db_null());
    }
}


static int
admind_plans_create(admind_req_t *r)
{
    char                *limits, err[ADMIND_ERRLEN];
    MYSQL               *mysql;
    json_t              *body, *after;
    uint64_t             id;
    admind_write_t       w;
    admind_db_result_t   res;

    body = admind_plans_body(r, ADMIND_FIELDS_CREATE, &limits);
    if (body == NULL) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        free(limits);
        json_decref(body);
        return r->status;
    }

    after = NULL;

    admind_write_init(&w);
    admind_plans_write(&w, body, limits);

    if (admind_write_insert(mysql, "plans", &w, &res, err, sizeof(err))
        != ADMIND_OK)
    {
        goto failed;
    }

    id = res.insert_id;

    if (admind_resource_load(mysql, &admind_plans_resource, id, &after, err,
                             sizeof(err))
        != ADMIND_OK
        || admind_audit_write(mysql, r, "create", "plan", id, NULL, after,
                              err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    free(limits);
    json_decref(body);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(after);
        return r->status;
    }

    return admind_resp_json(r, 201, after);

failed:

    admind_resource_db_error(r, &admind_plans_resource, err);
    free(limits);
    json_decref(body);
    json_decref(after);
    admind_resource_rollback(mysql);

    return r->status;
}


/* the subscribers' quota follows a plan's new quota or period */
static void
admind_plans_republish(MYSQL *mysql, uint64_t id)
{
    char               err[ADMIND_ERRLEN];
    json_t            *rows, *row;
    size_t             i;
    admind_db_param_t  params[1];

    params[0] = admind_db_int((long long) id);

    if (admind_db_select(mysql, "SELECT DISTINCT user_id FROM subscriptions "
                         "WHERE plan_id = ? AND status = 'active'", params,
                         1, &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_WARN, "plan quota not published; the "
                   "subscription tick will", "plan_id",
                   json_integer((json_int_t) id),
                   "error", admind_log_str(err), NULL);
        return;
    }

    json_array_foreach(rows, i, row) {
        if (admind_quota_publish_user(mysql,
                                      admind_resource_id(row, "user_id"),
                                      err, sizeof(err))
            != ADMIND_OK)
        {
            admind_log(ADMIND_LOG_WARN, "plan quota not published; the "
                       "subscription tick will", "plan_id",
                       json_integer((json_int_t) id),
                       "error", admind_log_str(err), NULL);
            break;
        }
    }

    json_decref(rows);
}


static int
admind_plans_update(admind_req_t *r)
{
    int                  rc, quota_changed;
    char                *limits, err[ADMIND_ERRLEN];
    MYSQL               *mysql;
    json_t              *body, *before, *after;
    uint64_t             id;
    long long            version;
    admind_write_t       w;

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    body = admind_plans_body(r, ADMIND_FIELDS_UPDATE, &limits);
    if (body == NULL) {
        return r->status;
    }

    quota_changed = admind_fields_has(body, "quotaCostMicros")
                    || admind_fields_has(body, "period");

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        free(limits);
        json_decref(body);
        return r->status;
    }

    before = NULL;
    after = NULL;

    rc = admind_resource_load(mysql, &admind_plans_resource, id, &before,
                              err, sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resp_error(r, 404, "not_found", "no plan %llu",
                          (unsigned long long) id);
        goto undo;
    }

    if (rc != ADMIND_OK) {
        goto failed;
    }

    if (admind_resource_version(r, &admind_plans_resource, body, before,
                                &version)
        != ADMIND_OK)
    {
        goto undo;
    }

    admind_write_init(&w);
    admind_plans_write(&w, body, limits);

    rc = admind_write_update_if(mysql, "plans", &w, id, version, err,
                                sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resource_conflict(r, &admind_plans_resource, id);
        goto undo;
    }

    if (rc != ADMIND_OK
        || admind_resource_load(mysql, &admind_plans_resource, id, &after,
                                err, sizeof(err))
           != ADMIND_OK
        || admind_audit_write(mysql, r, "update", "plan", id, before, after,
                              err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    free(limits);
    json_decref(body);
    json_decref(before);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(after);
        return r->status;
    }

    if (quota_changed) {
        admind_plans_republish(mysql, id);
    }

    return admind_resp_json(r, 200, after);

failed:

    admind_resource_db_error(r, &admind_plans_resource, err);

undo:

    free(limits);
    json_decref(body);
    json_decref(before);
    json_decref(after);
    admind_resource_rollback(mysql);

    return r->status;
}


static int
admind_plans_delete(admind_req_t *r)
{
    int                 rc;
    char                err[ADMIND_ERRLEN];
    MYSQL              *mysql;
    json_t             *before;
    uint64_t            id;
    admind_db_param_t   params[1];

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        return r->status;
    }

    before = NULL;

    rc = admind_resource_load(mysql, &admind_plans_resource, id, &before,
                              err, sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resp_error(r, 404, "not_found", "no plan %llu",
                          (unsigned long long) id);
        goto undo;
    }

    if (rc != ADMIND_OK) {
        goto failed;
    }

    params[0] = admind_db_int((long long) id);

    /* subscriptions keep their plan (ON DELETE RESTRICT): 409 */
    if (admind_db_exec(mysql, "DELETE FROM plans WHERE id = ?", params, 1,
                       NULL, err, sizeof(err))
        != ADMIND_OK
        || admind_audit_write(mysql, r, "delete", "plan", id, before, NULL,
                              err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    json_decref(before);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        return r->status;
    }

    return admind_resp_empty(r, 204);

failed:

    admind_resource_db_error(r, &admind_plans_resource, err);

undo:

    json_decref(before);
    admind_resource_rollback(mysql);

    return r->status;
}
