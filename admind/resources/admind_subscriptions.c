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
#include "admind_writer.h"


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
    ADMIND_F_ROW_ID("s"),
    ADMIND_F_ID("userId", "user_id",
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_IMMUTABLE),
    ADMIND_F_ID("planId", "plan_id", ADMIND_FIELD_REQUIRED),
    ADMIND_F_ENUM("status", "status", 0, admind_subscriptions_statuses),
    ADMIND_F_TIME("startAt", NULL, 0, ADMIND_SQL_TIME_READ("s.start_at")),
    ADMIND_F_TIME("expireAt", NULL, 0, ADMIND_SQL_TIME_READ("s.expire_at")),
    ADMIND_F_BOOL("autoRenew", "auto_renew", 0),
    ADMIND_F_ROW_CREATED("s"),
    ADMIND_F_ROW_UPDATED("s"),
    ADMIND_F_ROW_VERSION("s"),
    ADMIND_F_END
};


static int
admind_subscriptions_fixup(json_t *row)
{
    admind_resource_bool_column(row, "autoRenew");

    return ADMIND_OK;
}


static const admind_resource_t  admind_subscriptions_resource = {
    "subscription", "subscription", "subscriptions",

    NULL,

    "s.id", "FROM subscriptions s", NULL, NULL, admind_subscriptions_fixup,
    admind_subscriptions_fields
};


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


/* users see their own only: admind_resource_get() checks "userId" */
static int
admind_subscriptions_get(admind_req_t *r)
{
    return admind_resource_get(r, &admind_subscriptions_resource);
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


/* the times of a write as SQL DATETIMEs */
typedef struct {
    char  start[ADMIND_TIME_LEN + 1];
    char  expire[ADMIND_TIME_LEN + 1];
} admind_subscriptions_op_t;


/*
 * A new plan must be on sale (keeping the old one needs no check); a
 * new subscription runs one plan period unless told otherwise.
 */
static int
admind_subscriptions_check(admind_writer_op_t *op)
{
    json_t                     *body;
    time_t                      start, expire;
    uint64_t                    plan_id;
    admind_period_e             period;
    admind_subscriptions_op_t  *s;

    s = op->data;
    body = op->body;

    if (op->op == ADMIND_WRITER_DELETE) {
        return ADMIND_OK;
    }

    plan_id = (uint64_t) admind_fields_int(body, "planId", 0);

    if (op->op == ADMIND_WRITER_CREATE
        || (admind_fields_has(body, "planId")
            && plan_id != admind_resource_id(op->before, "planId")))
    {
        if (admind_subscriptions_plan(op->r, op->mysql, plan_id, 1, &period)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }
    }

    if (op->op == ADMIND_WRITER_CREATE) {
        start = admind_fields_time(body, "startAt", time(NULL));
        expire = admind_fields_time(body, "expireAt",
                                    admind_period_add(start, period, 1));

    } else if (admind_time_parse(json_string_value(
                                     json_object_get(op->before, "startAt")),
                                 &start)
               != ADMIND_OK
               || admind_time_parse(json_string_value(
                                     json_object_get(op->before,
                                                     "expireAt")),
                                    &expire)
                  != ADMIND_OK)
    {
        snprintf(op->err, sizeof(op->err), "subscription %llu: malformed "
                 "times", (unsigned long long) op->id);
        return ADMIND_ERROR;

    } else {
        start = admind_fields_time(body, "startAt", start);
        expire = admind_fields_time(body, "expireAt", expire);
    }

    if (expire == (time_t) -1 || expire <= start) {
        admind_resp_error(op->r, 400, "invalid_argument", "field "
                          "\"expireAt\" must be after \"startAt\"");
        return ADMIND_ERROR;
    }

    admind_time_sql(start, s->start, sizeof(s->start));
    admind_time_sql(expire, s->expire, sizeof(s->expire));

    return ADMIND_OK;
}


static int
admind_subscriptions_write(admind_writer_op_t *op)
{
    int                         create;
    admind_subscriptions_op_t  *s;

    s = op->data;
    create = op->op == ADMIND_WRITER_CREATE;

    if (create || admind_fields_has(op->body, "startAt")) {
        admind_write_set(&op->w, "start_at", admind_db_str(s->start));
    }

    if (create || admind_fields_has(op->body, "expireAt")) {
        admind_write_set(&op->w, "expire_at", admind_db_str(s->expire));
    }

    return ADMIND_OK;
}


/* after a commit: a failure is repaired by the next subscription tick */
static void
admind_subscriptions_publish(admind_writer_op_t *op)
{
    char      err[ADMIND_ERRLEN];
    uint64_t  user_id;

    user_id = admind_resource_id(op->after ? op->after : op->before,
                                 "userId");

    if (admind_quota_publish_user(op->mysql, user_id, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_WARN, "quota not published; the subscription "
                   "tick will", "user_id", json_integer((json_int_t) user_id),
                   "error", admind_log_str(err), NULL);
    }
}


static const admind_writer_t  admind_subscriptions_writer = {
    &admind_subscriptions_resource, "subscriptions",
    admind_subscriptions_fields, NULL,
    NULL, NULL, admind_subscriptions_check, admind_subscriptions_write,
    NULL, admind_subscriptions_publish, NULL
};


static int
admind_subscriptions_create(admind_req_t *r)
{
    admind_subscriptions_op_t  s;

    memset(&s, 0, sizeof(s));

    return admind_writer_create(r, &admind_subscriptions_writer, &s);
}


static int
admind_subscriptions_update(admind_req_t *r)
{
    admind_subscriptions_op_t  s;

    memset(&s, 0, sizeof(s));

    return admind_writer_update(r, &admind_subscriptions_writer, &s);
}


static int
admind_subscriptions_delete(admind_req_t *r)
{
    return admind_writer_delete(r, &admind_subscriptions_writer, NULL);
}
