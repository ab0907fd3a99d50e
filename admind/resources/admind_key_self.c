/*
 * QuotaLane admind: GET /api/v1/key-self, what one API key may know of
 * itself, for the key self-service page: the key authenticates itself
 * (x-api-key or Authorization: Bearer cr_...), nothing else does, and
 * the answer is about that key alone: its name, status, expiry, limits,
 * spending today, this week (the key's own week) and in all, what is
 * left of each limit, and its last requests.  Guesses are limited per
 * address as logins are (admind_login_limit.c, under the name
 * "key-self"): a wrong key counts as a failed attempt.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_resource.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_login_limit.h"
#include "admind_log.h"
#include "admind_time.h"
#include "admind_config.h"
#include "ql_apikey.h"


static int admind_key_self(admind_req_t *r);


const admind_route_t  admind_key_self_routes[] = {
    { "GET", "/api/v1/key-self", admind_key_self, ADMIND_ROUTE_PUBLIC, 0 },
    { NULL, NULL, NULL, 0, 0 }
};


#define ADMIND_KEY_SELF_NAME    "key-self"
#define ADMIND_KEY_SELF_RECENT  20


/* the key the caller presents, or NULL */
static const char *
admind_key_self_presented(admind_req_t *r)
{
    const char  *v;

    v = admind_req_header(r, "x-api-key");
    if (v != NULL) {
        return v;
    }

    v = admind_req_header(r, "authorization");
    if (v != NULL && strncasecmp(v, "Bearer ", 7) == 0) {
        return v + 7;
    }

    return NULL;
}


/* requests, tokens and cost of the key since `since` (0: ever) */
static json_t *
admind_key_self_spent(MYSQL *mysql, long long key, time_t since)
{
    char               err[ADMIND_ERRLEN], at[ADMIND_TIME_LEN + 1];
    json_t            *rows, *row;
    admind_db_param_t  params[2];

    admind_time_sql(since, at, sizeof(at));
    params[0] = admind_db_int(key);
    params[1] = admind_db_str(at);

    /* 64-bit numbers as decimal strings (proto3 JSON) */
    if (admind_db_select(mysql, "SELECT CAST(COUNT(*) AS CHAR) AS requests, "
                         "CAST(IFNULL(SUM(input_tokens + output_tokens + "
                         "cache_creation_input_tokens + "
                         "cache_read_input_tokens), 0) AS CHAR) AS tokens, "
                         "CAST(IFNULL(SUM(cost_micros), 0) AS CHAR) "
                         "AS costMicros FROM usage_records "
                         "WHERE api_key_id = ? AND ts >= ?", params, 2,
                         &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        return NULL;
    }

    row = json_incref(json_array_get(rows, 0));
    json_decref(rows);

    return row;
}


/* the start of the key's week: Monday 0:00 UTC plus its reset hours */
static time_t
admind_key_self_week(time_t now, long long reset_hours)
{
    time_t     start;
    struct tm  tm;

    if (gmtime_r(&now, &tm) == NULL) {
        return 0;
    }

    start = now - (time_t) ((tm.tm_wday + 6) % 7) * 86400
            - tm.tm_hour * 3600 - tm.tm_min * 60 - tm.tm_sec
            + (time_t) reset_hours * 3600;

    return start > now ? start - 7 * 86400 : start;
}


/* limit - spent as a decimal string; null when there is no limit */
static json_t *
admind_key_self_left(json_t *key, const char *limit, json_t *spent)
{
    long long    l, s;
    const char  *cost;

    l = json_integer_value(json_object_get(key, limit));
    if (l <= 0) {
        return json_null();
    }

    cost = json_string_value(json_object_get(spent, "costMicros"));
    s = cost ? strtoll(cost, NULL, 10) : 0;

    return json_sprintf("%lld", l > s ? l - s : 0);
}


/* the permissions column (JSON text; NULL: all) as an array */
static json_t *
admind_key_self_permissions(json_t *key)
{
    json_t      *v;
    const char  *s;

    s = json_string_value(json_object_get(key, "permissions"));
    v = s ? json_loads(s, 0, NULL) : NULL;

    return json_is_array(v) ? v : (json_decref(v), json_pack("[s]", "all"));
}


static json_t *
admind_key_self_recent(MYSQL *mysql, long long key)
{
    char               err[ADMIND_ERRLEN];
    json_t            *rows;
    admind_db_param_t  params[1];

    params[0] = admind_db_int(key);

    if (admind_db_select(mysql, "SELECT "
                         ADMIND_SQL_TIME_READ("ts") " AS ts, model, "
                         "CAST(input_tokens AS CHAR) AS inputTokens, "
                         "CAST(output_tokens AS CHAR) AS outputTokens, "
                         "CAST(cache_read_input_tokens AS CHAR) "
                         "AS cacheReadTokens, "
                         "CAST(cost_micros AS CHAR) AS costMicros, "
                         "upstream_status AS status FROM usage_records "
                         "WHERE api_key_id = ? ORDER BY id DESC LIMIT 20",
                         params, 1, &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        return NULL;
    }

    return rows;
}


static int
admind_key_self_answer(admind_req_t *r, MYSQL *mysql, json_t *key)
{
    long long   id;
    time_t      now, day;
    json_t     *today, *week, *total, *recent, *out;

    id = json_integer_value(json_object_get(key, "id"));
    now = time(NULL);
    day = now - now % 86400;

    today = admind_key_self_spent(mysql, id, day);
    week = admind_key_self_spent(mysql, id, admind_key_self_week(now,
               json_integer_value(json_object_get(key, "weekly_reset"))));
    total = admind_key_self_spent(mysql, id, 0);
    recent = admind_key_self_recent(mysql, id);

    if (today == NULL || week == NULL || total == NULL || recent == NULL) {
        json_decref(today);
        json_decref(week);
        json_decref(total);
        json_decref(recent);
        return admind_resp_error(r, 503, "unavailable", "the database is "
                                 "unavailable, try again later");
    }

    out = json_pack("{s:O,s:O,s:O,s:o,s:{s:O,s:O,s:O,s:O,s:O,s:O,s:O},"
                    "s:{s:o,s:o,s:o},s:o,s:o,s:o,s:o}",
                    "name", json_object_get(key, "name"),
                    "status", json_object_get(key, "status"),
                    "expiresAt", json_object_get(key, "expires_at"),
                    "permissions", admind_key_self_permissions(key),
                    "limits",
                    "dailyCostMicros", json_object_get(key, "daily"),
                    "weeklyCostMicros", json_object_get(key, "weekly"),
                    "totalCostMicros", json_object_get(key, "total"),
                    "concurrency", json_object_get(key, "concurrency"),
                    "rateWindowSeconds", json_object_get(key, "rate_window"),
                    "rateRequests", json_object_get(key, "rate_requests"),
                    "rateTokens", json_object_get(key, "rate_tokens"),
                    "remaining",
                    "dailyCostMicros", admind_key_self_left(key, "daily_n",
                                                            today),
                    "weeklyCostMicros", admind_key_self_left(key, "weekly_n",
                                                             week),
                    "totalCostMicros", admind_key_self_left(key, "total_n",
                                                            total),
                    "today", today, "week", week, "total", total,
                    "recent", recent);
    if (out == NULL) {
        return admind_resp_error(r, 500, "internal_error", "out of memory");
    }

    return admind_resp_json(r, 200, out);
}


static int
admind_key_self(admind_req_t *r)
{
    int                rc;
    char               err[ADMIND_ERRLEN], retry[16];
    json_t            *rows, *key;
    MYSQL             *mysql;
    unsigned           retry_after;
    const char        *presented;
    admind_ctx_t      *ctx = r->ctx;
    admind_db_param_t  params[1];
    char               digest[QL_APIKEY_DIGEST_HEX + 1];

    /* counted before the key is looked at: a refused guess learns nothing */
    if (admind_login_limit_begin(ctx->conf, ADMIND_KEY_SELF_NAME, r->remote,
                                 &retry_after)
        != ADMIND_OK)
    {
        snprintf(retry, sizeof(retry), "%u", retry_after);
        admind_resp_error(r, 429, "too_many_requests", "too many unknown "
                          "keys from this address; try again in %u "
                          "seconds", retry_after);
        admind_resp_header(r, "Retry-After", retry);
        return r->status;
    }

    presented = admind_key_self_presented(r);

    if (presented == NULL
        || !ql_apikey_valid((const unsigned char *) presented,
                            strlen(presented))
        || ql_apikey_digest((const unsigned char *) presented,
                            QL_APIKEY_LEN, (unsigned char *) digest)
           != 0)
    {
        /* no key, or not one: no guess at a key either */
        admind_login_limit_undo(ctx->conf, ADMIND_KEY_SELF_NAME, r->remote);
        return admind_resp_error(r, 401, "unauthenticated", "send the API "
                                 "key as x-api-key or Authorization: "
                                 "Bearer");
    }

    digest[QL_APIKEY_DIGEST_HEX] = '\0';

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        admind_login_limit_undo(ctx->conf, ADMIND_KEY_SELF_NAME, r->remote);
        return r->status;
    }

    params[0] = admind_db_str(digest);

    if (admind_db_select(mysql, "SELECT k.id, k.name, "
                         "IF(k.expires_at IS NOT NULL AND k.expires_at < "
                         "UTC_TIMESTAMP(), 'expired', k.status) AS status, "
                         ADMIND_SQL_TIME_READ("k.expires_at")
                         " AS expires_at, k.permissions, "
                         "k.concurrency_limit AS concurrency, "
                         "k.rate_window_seconds AS rate_window, "
                         "CAST(k.rate_limit_requests AS CHAR) "
                         "AS rate_requests, "
                         "CAST(k.rate_limit_tokens AS CHAR) AS rate_tokens, "
                         "CAST(k.daily_cost_limit_micros AS CHAR) AS daily, "
                         "CAST(k.weekly_cost_limit_micros AS CHAR) AS weekly, "
                         "CAST(k.total_cost_limit_micros AS CHAR) AS total, "
                         "k.daily_cost_limit_micros AS daily_n, "
                         "k.weekly_cost_limit_micros AS weekly_n, "
                         "k.total_cost_limit_micros AS total_n, "
                         "k.weekly_reset_hours AS weekly_reset "
                         "FROM api_keys k WHERE k.key_hash = ?", params, 1,
                         &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_login_limit_undo(ctx->conf, ADMIND_KEY_SELF_NAME, r->remote);
        return admind_resp_error(r, 503, "unavailable", "the database is "
                                 "unavailable, try again later");
    }

    key = json_array_get(rows, 0);

    if (key == NULL) {
        json_decref(rows);
        admind_log(ADMIND_LOG_WARN, "key self-service: unknown key",
                   "id", json_string(r->id),
                   "remote", json_string(r->remote), NULL);
        return admind_resp_error(r, 401, "unauthenticated", "unknown API "
                                 "key");
    }

    admind_login_limit_success(ctx->conf, ADMIND_KEY_SELF_NAME, r->remote);

    rc = admind_key_self_answer(r, mysql, key);
    json_decref(rows);

    return rc;
}
