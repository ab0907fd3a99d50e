/*
 * QuotaLane admind: /api/v1/usage.
 *
 *   GET /api/v1/usage/records   the stored usage records, filtered,
 *                               by arrival or orderBy (id, ts)
 *   GET /api/v1/usage/summary   totals, optionally per key, user,
 *                               account, model, platform, hour, day or
 *                               month, sorted by orderBy (the group, or
 *                               a total: "costMicros desc" = the top)
 *
 * Filters (all optional): keyId, userId, accountId, model, platform,
 * requestId (records only), from (inclusive) and to (exclusive) as
 * RFC 3339 times; hours, days and months are UTC.  A user-role caller
 * sees only their own records, whatever userId says.
 */

#include <stdio.h>
#include <string.h>

#include "admind_log.h"
#include "admind_db.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_page.h"
#include "admind_resource.h"
#include "admind_where.h"
#include "admind_usage.h"


static int admind_usage_records(admind_req_t *r);
static int admind_usage_summary(admind_req_t *r);
static int admind_usage_fixup(json_t *row);


const admind_route_t  admind_usage_routes[] = {
    { "GET", "/api/v1/usage/records", admind_usage_records, 0,
      ADMIND_ROLE_USER },
    { "GET", "/api/v1/usage/summary", admind_usage_summary, 0,
      ADMIND_ROLE_USER },
    { NULL, NULL, NULL, 0, 0 }
};


static const admind_resource_t  admind_usage_resource = {
    "usage record", "usage_record", "records",

    "SELECT CAST(u.id AS CHAR) AS id, u.request_id AS requestId, "
    "u.trace_id AS traceId, "
    ADMIND_USAGE_TIME_MS("u.ts", "ts") ", "
    "CAST(u.api_key_id AS CHAR) AS keyId, "
    "CAST(u.user_id AS CHAR) AS userId, "
    "CAST(u.account_id AS CHAR) AS accountId, "
    "u.platform, u.model, "
    "CAST(u.input_tokens AS CHAR) AS inputTokens, "
    "CAST(u.output_tokens AS CHAR) AS outputTokens, "
    "CAST(u.cache_creation_input_tokens AS CHAR) AS cacheCreationTokens, "
    "CAST(u.cache_creation_5m_tokens AS CHAR) AS cacheCreation5mTokens, "
    "CAST(u.cache_creation_1h_tokens AS CHAR) AS cacheCreation1hTokens, "
    "CAST(u.cache_read_input_tokens AS CHAR) AS cacheReadTokens, "
    "CAST(u.cost_micros AS CHAR) AS costMicros, "
    "CAST(u.cost_pico AS CHAR) AS costPico, "
    "u.priced_by_fallback AS pricedByFallback, "
    "u.upstream_status AS upstreamStatus, u.status, "
    "u.latency_ms AS latencyMs, u.ttfb_ms AS ttfbMs, "
    "u.streamed, u.aborted, u.complete "
    "FROM usage_records u",

    "u.id", "FROM usage_records u", NULL, NULL, admind_usage_fixup, NULL
};


typedef struct {
    const char  *name;
    const char  *label;     /* the group's name in the answer */
    const char  *column;    /* what rows are grouped and ordered by */
} admind_usage_group_t;


static const admind_usage_group_t  admind_usage_groups[] = {
    { "key", "CAST(u.api_key_id AS CHAR)", "u.api_key_id" },
    { "user", "CAST(u.user_id AS CHAR)", "u.user_id" },
    { "account", "CAST(u.account_id AS CHAR)", "u.account_id" },
    { "model", "u.model", "u.model" },
    { "platform", "u.platform", "u.platform" },
    { "hour", "DATE_FORMAT(u.ts, '%Y-%m-%dT%H:00:00Z')",
      "DATE_FORMAT(u.ts, '%Y-%m-%dT%H:00:00Z')" },
    { "day", "DATE_FORMAT(u.ts, '%Y-%m-%d')",
      "DATE_FORMAT(u.ts, '%Y-%m-%d')" },
    { "month", "DATE_FORMAT(u.ts, '%Y-%m')",
      "DATE_FORMAT(u.ts, '%Y-%m')" },
    { NULL, NULL, NULL }
};


/* what records may be sorted by besides their id (arrival) */
static const admind_order_t  admind_usage_record_orders[] = {
    { "ts", "u.ts" },
    { NULL, NULL }
};


/* what groups may be sorted by besides "group": their totals */
static const admind_order_t  admind_usage_orders[] = {
    { "requests", "COUNT(*)" },
    { "inputTokens", "SUM(u.input_tokens)" },
    { "outputTokens", "SUM(u.output_tokens)" },
    { "cacheCreationTokens", "SUM(u.cache_creation_input_tokens)" },
    { "cacheReadTokens", "SUM(u.cache_read_input_tokens)" },
    { "costMicros", "SUM(u.cost_micros)" },
    { NULL, NULL }
};


/* the filters both routes take; ADMIND_ERROR after answering */
static int
admind_usage_where(admind_req_t *r, admind_where_t *w, int records)
{
    admind_where_init(w);

    if (admind_where_owner(w, r, "userId", "u.user_id") != ADMIND_OK
        || admind_where_id(w, r, "keyId", "u.api_key_id") != ADMIND_OK
        || admind_where_id(w, r, "accountId", "u.account_id") != ADMIND_OK
        || admind_where_str(w, r, "model", "u.model", 512) != ADMIND_OK
        || admind_where_str(w, r, "platform", "u.platform", 32)
           != ADMIND_OK
        || (records
            && (admind_where_str(w, r, "requestId", "u.request_id", 64)
                != ADMIND_OK
                || admind_where_str(w, r, "traceId", "u.trace_id", 32)
                   != ADMIND_OK))
        || admind_where_range(w, r, "u.ts") != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (w->overflow) {
        admind_resp_error(r, 400, "invalid_argument", "too many filters");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


static int
admind_usage_fixup(json_t *row)
{
    admind_resource_bool_column(row, "pricedByFallback");
    admind_resource_bool_column(row, "streamed");
    admind_resource_bool_column(row, "aborted");
    admind_resource_bool_column(row, "complete");

    return ADMIND_OK;
}


static int
admind_usage_records(admind_req_t *r)
{
    admind_where_t  w;

    if (admind_usage_where(r, &w, 1) != ADMIND_OK) {
        return r->status;
    }

    /*
     * ids grow with arrival: ascending pages stay stable while records
     * come in; "id desc" (the newest first) shifts as they do
     */
    return admind_where_list_ordered(r, &admind_usage_resource, &w,
                                     admind_usage_record_orders);
}


static const admind_usage_group_t *
admind_usage_group(const char *name)
{
    const admind_usage_group_t  *g;

    for (g = admind_usage_groups; g->name != NULL; g++) {
        if (strcmp(g->name, name) == 0) {
            return g;
        }
    }

    return NULL;
}


static int
admind_usage_summary(admind_req_t *r)
{
    int                          found;
    char                         err[ADMIND_ERRLEN];
    char                         sql[ADMIND_SQL_MAX * 2], order[512];
    MYSQL                       *mysql;
    json_t                      *rows, *total, *body;
    long long                    groups;
    const char                  *by;
    admind_page_t                page;
    admind_where_t               w;
    const admind_usage_group_t  *g;

    g = NULL;
    by = admind_req_query(r, "groupBy");

    if (by != NULL && by[0] != '\0') {
        g = admind_usage_group(by);

        if (g == NULL) {
            return admind_resp_error(r, 400, "invalid_argument", "query "
                                     "parameter \"groupBy\" must be one "
                                     "of: key, user, account, model, "
                                     "platform, hour, day, month");
        }

        if (admind_resource_order_by(r, "usage groups", admind_usage_orders,
                                     "group", g->column, order,
                                     sizeof(order))
            != ADMIND_OK)
        {
            return r->status;
        }

    } else if ((by = admind_req_query(r, "orderBy")) != NULL
               && by[0] != '\0')
    {
        return admind_resp_error(r, 400, "invalid_argument", "query "
                                 "parameter \"orderBy\" needs groupBy");
    }

    if (admind_req_page(r, &page) != ADMIND_OK) {
        return r->status;
    }

    if (admind_usage_where(r, &w, 0) != ADMIND_OK
        || admind_req_query_known(r) != ADMIND_OK)
    {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return r->status;
    }

    snprintf(sql, sizeof(sql), "SELECT " ADMIND_USAGE_SUMS_SQL
             " FROM usage_records u%s", w.sql);

    if (admind_db_select(mysql, sql, w.params, w.n, &rows, err,
                         sizeof(err))
        != ADMIND_OK)
    {
        return admind_resource_db_error(r, &admind_usage_resource, err);
    }

    total = json_incref(json_array_get(rows, 0));
    json_decref(rows);

    body = json_object();
    if (body == NULL || total == NULL) {
        json_decref(body);
        json_decref(total);
        return admind_resp_error(r, 500, "internal_error", "out of memory");
    }

    json_object_set_new(body, "total", total);

    if (g == NULL) {
        return admind_resp_json(r, 200, body);
    }

    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM (SELECT 1 FROM "
             "usage_records u%s GROUP BY %s) g", w.sql, g->column);

    if (admind_db_select_int(mysql, sql, w.params, w.n, &groups, &found,
                             err, sizeof(err))
        != ADMIND_OK)
    {
        json_decref(body);
        return admind_resource_db_error(r, &admind_usage_resource, err);
    }

    snprintf(sql, sizeof(sql), "SELECT %s AS `group`, "
             ADMIND_USAGE_SUMS_SQL " FROM usage_records u%s GROUP BY %s "
             "%s LIMIT ? OFFSET ?", g->label, w.sql, g->column, order);

    w.params[w.n] = admind_db_int(page.size);
    w.params[w.n + 1] = admind_db_int((long long) page.offset);

    if (admind_db_select(mysql, sql, w.params, w.n + 2, &rows, err,
                         sizeof(err))
        != ADMIND_OK)
    {
        json_decref(body);
        return admind_resource_db_error(r, &admind_usage_resource, err);
    }

    json_object_set_new(body, "groupBy", json_string(g->name));
    json_object_set_new(body, "nextPageToken",
                        admind_where_next_token(&page, json_array_size(rows),
                                                groups));
    json_object_set_new(body, "groups", rows);
    json_object_set_new(body, "totalSize", admind_json_int64(groups));

    return admind_resp_json(r, 200, body);
}
