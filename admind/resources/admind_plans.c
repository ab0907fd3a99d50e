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
#include "admind_writer.h"


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
    ADMIND_F_ROW_ID("p"),
    ADMIND_F_STRING("name", "name", ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE,
      1, 128),
    ADMIND_F_STRING("description", "description", ADMIND_FIELD_NULLABLE, 0,
      1024),
    ADMIND_F_INT("quotaCostMicros", "quota_cost_micros", 0, 0,
      ADMIND_PLANS_MAX_INT64),
    ADMIND_F_ENUM("period", "period", ADMIND_FIELD_REQUIRED,
      admind_plans_periods),
    ADMIND_F_INT("priceMicros", "price_micros", 0, 0, ADMIND_PLANS_MAX_INT64),
    ADMIND_F_ENUM("status", "status", 0, admind_plans_statuses),
    ADMIND_F_OUTPUT("limits", ADMIND_FIELD_STRING, "p.limits"),
    ADMIND_F_ROW_CREATED("p"),
    ADMIND_F_ROW_UPDATED("p"),
    ADMIND_F_ROW_VERSION("p"),
    ADMIND_F_END
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


static int
admind_plans_fixup(json_t *row)
{
    return admind_resource_json_column(row, "limits", "null");
}


static const admind_resource_t  admind_plans_resource = {
    "plan", "plan", "plans",

    NULL,

    "p.id", "FROM plans p", admind_plans_filters, admind_plans_uniques,
    admind_plans_fixup, admind_plans_fields
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


/* "limits" as given and as the JSON text stored ("" for null) */
typedef struct {
    json_t  *given;
    char    *text;
} admind_plans_op_t;


/* "limits" is taken out of the body before the field check */
static int
admind_plans_shape(admind_writer_op_t *op)
{
    admind_plans_op_t  *p;

    p = op->data;
    p->given = admind_writer_take(op, "limits");

    return ADMIND_OK;
}


static int
admind_plans_prepare(admind_writer_op_t *op)
{
    json_t             *v;
    admind_plans_op_t  *p;

    p = op->data;
    v = p->given;

    if (v == NULL) {
        return ADMIND_OK;
    }

    if (json_is_null(v)) {
        p->text = strdup("");

    } else if (json_is_object(v)) {
        p->text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

        if (p->text != NULL && strlen(p->text) > ADMIND_PLANS_LIMITS_MAX) {
            admind_resp_error(op->r, 400, "invalid_argument", "field "
                              "\"limits\" must be at most %d bytes of JSON",
                              ADMIND_PLANS_LIMITS_MAX);
            return ADMIND_ERROR;
        }

    } else {
        admind_resp_error(op->r, 400, "invalid_argument",
                          "field \"limits\" must be an object or null");
        return ADMIND_ERROR;
    }

    if (p->text == NULL) {
        admind_resp_error(op->r, 500, "internal_error", "out of memory");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


static int
admind_plans_write(admind_writer_op_t *op)
{
    admind_plans_op_t  *p;

    p = op->data;

    if (p->text != NULL) {
        admind_write_set(&op->w, "limits",
                         p->text[0] ? admind_db_str(p->text)
                                    : admind_db_null());
    }

    return ADMIND_OK;
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


static void
admind_plans_publish(admind_writer_op_t *op)
{
    if (op->op == ADMIND_WRITER_UPDATE
        && (admind_fields_has(op->body, "quotaCostMicros")
            || admind_fields_has(op->body, "period")))
    {
        admind_plans_republish(op->mysql, op->id);
    }
}


static void
admind_plans_cleanup(admind_writer_op_t *op)
{
    admind_plans_op_t  *p;

    p = op->data;
    free(p->text);
    json_decref(p->given);
}


/* subscriptions keep their plan (ON DELETE RESTRICT): a delete is 409 */
static const admind_writer_t  admind_plans_writer = {
    &admind_plans_resource, "plans", admind_plans_fields, NULL,
    admind_plans_shape, admind_plans_prepare, NULL, admind_plans_write,
    NULL, admind_plans_publish, admind_plans_cleanup
};


static int
admind_plans_create(admind_req_t *r)
{
    admind_plans_op_t  p;

    memset(&p, 0, sizeof(p));

    return admind_writer_create(r, &admind_plans_writer, &p);
}


static int
admind_plans_update(admind_req_t *r)
{
    admind_plans_op_t  p;

    memset(&p, 0, sizeof(p));

    return admind_writer_update(r, &admind_plans_writer, &p);
}


static int
admind_plans_delete(admind_req_t *r)
{
    admind_plans_op_t  p;

    memset(&p, 0, sizeof(p));

    return admind_writer_delete(r, &admind_plans_writer, &p);
}
