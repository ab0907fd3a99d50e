/*
 * QuotaLane admind: plan quotas, from subscriptions to the gateway.
 *
 * The quota fields are written with a small script that leaves a key
 * record alone when it does not exist: an HSET alone would make a record
 * of two fields for a key being deleted or not published yet, which the
 * gateway would then read as a key.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ql_apikey.h"
#include "admind_log.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_redis.h"
#include "admind_time.h"
#include "admind_hotstate.h"
#include "admind_quota.h"


/* subscriptions expired or renewed per transaction */
#define ADMIND_QUOTA_TICK_BATCH   500

/* renewals that catch up after a long outage stop here */
#define ADMIND_QUOTA_MAX_RENEWALS 100000


static const char  admind_quota_script[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then "
    "redis.call('HSET', KEYS[1], 'quota_limit', ARGV[1], "
    "'quota_bucket', ARGV[2]) return 1 end return 0";

/*
 * Every key of the selected users, joined with their current
 * subscriptions, the one that counts first for each key.
 */
#define ADMIND_QUOTA_SQL                                                     \
    "SELECT k.id, k.key_hash, k.user_id, s.id AS subscription_id, "          \
    "TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', s.start_at) AS start_at, " \
    "p.period, p.quota_cost_micros "                                         \
    "FROM api_keys k "                                                       \
    "LEFT JOIN subscriptions s ON s.user_id = k.user_id "                    \
    "AND s.status = 'active' AND s.start_at <= ? AND s.expire_at > ? "       \
    "LEFT JOIN plans p ON p.id = s.plan_id "

#define ADMIND_QUOTA_ORDER                                                   \
    " ORDER BY k.id, s.start_at DESC, s.id DESC"


int
admind_period_parse(const char *s, admind_period_e *period)
{
    if (strcmp(s, "daily") == 0) {
        *period = ADMIND_PERIOD_DAILY;

    } else if (strcmp(s, "weekly") == 0) {
        *period = ADMIND_PERIOD_WEEKLY;

    } else if (strcmp(s, "monthly") == 0) {
        *period = ADMIND_PERIOD_MONTHLY;

    } else {
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


static int
admind_period_days_in_month(long long year, int mon)
{
    static const int  days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (mon == 1
        && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
    {
        return 29;
    }

    return days[mon];
}


time_t
admind_period_add(time_t t, admind_period_e period, unsigned n)
{
    int        dim;
    time_t     r;
    struct tm  tm;
    long long  months, year;

    switch (period) {

    case ADMIND_PERIOD_DAILY:
        r = t + (time_t) n * 86400;
        break;

    case ADMIND_PERIOD_WEEKLY:
        r = t + (time_t) n * 7 * 86400;
        break;

    default:
        if (gmtime_r(&t, &tm) == NULL) {
            return (time_t) -1;
        }

        months = (long long) tm.tm_year * 12 + tm.tm_mon + n;
        year = months / 12;

        if (year + 1900 > 9999) {
            return (time_t) -1;
        }

        tm.tm_year = (int) year;
        tm.tm_mon = (int) (months % 12);

        dim = admind_period_days_in_month(year + 1900, tm.tm_mon);
        if (tm.tm_mday > dim) {
            tm.tm_mday = dim;
        }

        tm.tm_isdst = 0;
        r = timegm(&tm);
        break;
    }

    if (r > ADMIND_TIME_MAX) {
        return (time_t) -1;
    }

    return r;
}


time_t
admind_period_current(time_t start, admind_period_e period, time_t now)
{
    long long  k, len;
    time_t     c;
    struct tm  s, n;

    if (now < start) {
        return start;
    }

    switch (period) {

    case ADMIND_PERIOD_DAILY:
    case ADMIND_PERIOD_WEEKLY:
        len = period == ADMIND_PERIOD_DAILY ? 86400 : 7 * 86400;
        return start + (now - start) / len * len;

    default:
        break;
    }

    if (gmtime_r(&start, &s) == NULL || gmtime_r(&now, &n) == NULL) {
        return start;
    }

    /* the month difference, less one when now's day has not come yet */
    k = ((long long) n.tm_year - s.tm_year) * 12 + n.tm_mon - s.tm_mon;

    for ( ;; ) {
        if (k <= 0) {
            return start;
        }

        c = admind_period_add(start, ADMIND_PERIOD_MONTHLY, (unsigned) k);

        if (c != (time_t) -1 && c <= now) {
            return c;
        }

        k--;
    }
}


/* the value of a numeric column (number or decimal text), or dflt */
static long long
admind_quota_int(json_t *row, const char *name, long long dflt)
{
    json_t  *v;

    v = json_object_get(row, name);

    if (json_is_integer(v)) {
        return json_integer_value(v);
    }

    if (json_is_string(v)) {
        return strtoll(json_string_value(v), NULL, 10);
    }

    return dflt;
}


/* quota_limit and quota_bucket of a row of ADMIND_QUOTA_SQL */
static void
admind_quota_of_row(json_t *row, time_t now, char *limit, size_t lsize,
    char *bucket, size_t bsize)
{
    long long        quota, sub;
    time_t           start;
    const char      *p;
    admind_period_e  period;

    quota = admind_quota_int(row, "quota_cost_micros", 0);
    sub = admind_quota_int(row, "subscription_id", 0);
    p = json_string_value(json_object_get(row, "period"));

    if (quota <= 0 || sub <= 0 || p == NULL
        || admind_period_parse(p, &period) != ADMIND_OK)
    {
        snprintf(limit, lsize, "0");
        snprintf(bucket, bsize, "0");
        return;
    }

    start = (time_t) admind_quota_int(row, "start_at", 0);

    snprintf(limit, lsize, "%lld", quota);
    snprintf(bucket, bsize, "%lld:%lld", sub,
             (long long) admind_period_current(start, period, now));
}


static int
admind_quota_publish(MYSQL *mysql, const char *where, int by_user,
    uint64_t user_id, unsigned long *keys, char *err, size_t errlen)
{
    char                   sql[2048], now_sql[ADMIND_TIME_LEN + 1];
    char                   limit[24], bucket[64];
    json_t                *rows, *row;
    size_t                 i;
    time_t                 now;
    long long              key, last;
    unsigned               n;
    const char            *hash;
    admind_db_param_t      params[3];
    admind_redis_args_t    a;
    admind_redis_batch_t   b;

    *keys = 0;
    now = time(NULL);
    admind_time_sql(now, now_sql, sizeof(now_sql));

    snprintf(sql, sizeof(sql), "%s%s%s", ADMIND_QUOTA_SQL, where,
             ADMIND_QUOTA_ORDER);

    n = 0;
    params[n++] = admind_db_str(now_sql);
    params[n++] = admind_db_str(now_sql);

    if (by_user) {
        params[n++] = admind_db_int((long long) user_id);
    }

    if (admind_db_select(mysql, sql, params, n, &rows, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (json_array_size(rows) == 0) {
        json_decref(rows);
        return ADMIND_OK;
    }

    if (admind_redis_batch_begin(&b, 0, err, errlen) != ADMIND_OK) {
        json_decref(rows);
        return ADMIND_ERROR;
    }

    last = 0;

    json_array_foreach(rows, i, row) {
        key = admind_quota_int(row, "id", 0);
        hash = json_string_value(json_object_get(row, "key_hash"));

        /* rows come best subscription first for each key */
        if (key == last || hash == NULL
            || strlen(hash) != QL_APIKEY_DIGEST_HEX)
        {
            continue;
        }

        last = key;

        admind_quota_of_row(row, now, limit, sizeof(limit), bucket,
                            sizeof(bucket));

        admind_redis_args_init(&a);
        admind_redis_args_str(&a, "EVAL");
        admind_redis_args_str(&a, admind_quota_script);
        admind_redis_args_str(&a, "1");
        admind_redis_args_fmt(&a, "%skey:%s", admind_hotstate_prefix(),
                              hash);
        admind_redis_args_str(&a, limit);
        admind_redis_args_str(&a, bucket);

        admind_redis_batch_add(&b, &a);
        admind_redis_args_free(&a);
        (*keys)++;
    }

    json_decref(rows);

    return admind_redis_batch_end(&b, err, errlen);
}


int
admind_quota_publish_user(MYSQL *mysql, uint64_t user_id, char *err,
    size_t errlen)
{
    unsigned long  keys;

    return admind_quota_publish(mysql, "WHERE k.user_id = ?", 1, user_id,
                                &keys, err, errlen);
}


int
admind_quota_publish_all(MYSQL *mysql, unsigned long *keys, char *err,
    size_t errlen)
{
    return admind_quota_publish(mysql, "WHERE k.user_id IN (SELECT "
                                "user_id FROM subscriptions WHERE status = "
                                "'active')", 0, 0, keys, err, errlen);
}


/* the trail of what the tick did, in the caller's transaction */
static int
admind_quota_audit(MYSQL *mysql, const char *action, long long id,
    time_t start, time_t expire, char *err, size_t errlen)
{
    int                rc;
    char               rid[24], s[ADMIND_TIME_LEN + 1];
    char               e[ADMIND_TIME_LEN + 1], *after;
    json_t            *obj;
    admind_db_param_t  params[4];

    snprintf(rid, sizeof(rid), "%lld", id);

    if (strcmp(action, "renew") == 0) {
        admind_time_format(start, s, sizeof(s));
        admind_time_format(expire, e, sizeof(e));
        obj = json_pack("{s:s,s:s}", "startAt", s, "expireAt", e);

    } else {
        obj = json_pack("{s:s}", "status", "expired");
    }

    after = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);

    params[0] = admind_db_str(action);
    params[1] = admind_db_str(rid);
    params[2] = after ? admind_db_str(after) : admind_db_null();
    params[3] = admind_db_str("");

    rc = admind_db_exec(mysql, "INSERT INTO audit_log (actor_user_id, "
                        "actor_name, action, resource, resource_id, "
                        "before_json, after_json, remote_addr) "
                        "VALUES (NULL, 'system', ?, 'subscription', ?, "
                        "NULL, ?, ?)", params, 4, NULL, err, errlen);

    free(after);

    return rc;
}


/* one subscription past its end: renewed or expired */
static int
admind_quota_due(MYSQL *mysql, json_t *row, time_t now,
    admind_quota_stats_t *st, char *err, size_t errlen)
{
    char                s[ADMIND_TIME_LEN + 1], e[ADMIND_TIME_LEN + 1];
    time_t              start, expire, next;
    unsigned            n;
    long long           id, version;
    const char         *period, *plan_status;
    admind_period_e     p;
    admind_db_param_t   params[4];
    admind_db_result_t  res;

    id = admind_quota_int(row, "id", 0);
    version = admind_quota_int(row, "version", 0);
    expire = (time_t) admind_quota_int(row, "expire_at", 0);
    period = json_string_value(json_object_get(row, "period"));
    plan_status = json_string_value(json_object_get(row, "plan_status"));

    if (admind_quota_int(row, "auto_renew", 0)
        && plan_status != NULL && strcmp(plan_status, "active") == 0
        && period != NULL && admind_period_parse(period, &p) == ADMIND_OK)
    {
        /* as many periods as it takes to cover now (after an outage) */
        start = expire;

        for (n = 0; n < ADMIND_QUOTA_MAX_RENEWALS; n++) {
            next = admind_period_add(start, p, 1);

            if (next == (time_t) -1 || next > now) {
                break;
            }

            start = next;
        }

        next = admind_period_add(start, p, 1);

        if (next != (time_t) -1) {
            admind_time_sql(start, s, sizeof(s));
            admind_time_sql(next, e, sizeof(e));

            params[0] = admind_db_str(s);
            params[1] = admind_db_str(e);
            params[2] = admind_db_int(id);
            params[3] = admind_db_int(version);

            if (admind_db_exec(mysql, "UPDATE subscriptions SET "
                               "start_at = ?, expire_at = ?, "
                               "version = version + 1 "
                               "WHERE id = ? AND version = ?", params, 4,
                               &res, err, errlen)
                != ADMIND_OK)
            {
                return ADMIND_ERROR;
            }

            if (res.affected_rows == 0) {
                return ADMIND_OK;
            }

            st->renewed++;

            return admind_quota_audit(mysql, "renew", id, start, next, err,
                                      errlen);
        }
    }

    params[0] = admind_db_int(id);
    params[1] = admind_db_int(version);

    if (admind_db_exec(mysql, "UPDATE subscriptions SET status = 'expired', "
                       "version = version + 1 WHERE id = ? AND version = ?",
                       params, 2, &res, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (res.affected_rows == 0) {
        return ADMIND_OK;
    }

    st->expired++;

    return admind_quota_audit(mysql, "expire", id, 0, 0, err, errlen);
}


/* one transaction of due subscriptions; *n is how many were due */
static int
admind_quota_due_batch(MYSQL *mysql, time_t now, admind_quota_stats_t *st,
    size_t *n, char *err, size_t errlen)
{
    char               now_sql[ADMIND_TIME_LEN + 1], e[ADMIND_ERRLEN];
    char               name[24];
    json_t            *rows, *row, *users;
    size_t             i;
    uint64_t           user;
    admind_db_param_t  params[2];

    *n = 0;
    admind_time_sql(now, now_sql, sizeof(now_sql));

    if (admind_db_query(mysql, "START TRANSACTION", err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    params[0] = admind_db_str(now_sql);
    params[1] = admind_db_int(ADMIND_QUOTA_TICK_BATCH);

    if (admind_db_select(mysql, "SELECT s.id, s.user_id, s.version, "
                         "s.auto_renew, TIMESTAMPDIFF(SECOND, "
                         "'1970-01-01 00:00:00', s.expire_at) AS expire_at, "
                         "p.period, p.status AS plan_status "
                         "FROM subscriptions s JOIN plans p "
                         "ON p.id = s.plan_id "
                         "WHERE s.status = 'active' AND s.expire_at <= ? "
                         "ORDER BY s.id LIMIT ? FOR UPDATE", params, 2,
                         &rows, err, errlen)
        != ADMIND_OK)
    {
        goto failed;
    }

    json_array_foreach(rows, i, row) {
        if (admind_quota_due(mysql, row, now, st, err, errlen)
            != ADMIND_OK)
        {
            json_decref(rows);
            goto failed;
        }
    }

    if (admind_db_query(mysql, "COMMIT", err, errlen) != ADMIND_OK) {
        json_decref(rows);
        goto failed;
    }

    *n = json_array_size(rows);

    /* the users whose quota changed: theirs now, not at the next tick */
    users = json_object();

    json_array_foreach(rows, i, row) {
        user = (uint64_t) admind_quota_int(row, "user_id", 0);

        if (users == NULL || user == 0) {
            continue;
        }

        snprintf(name, sizeof(name), "%llu", (unsigned long long) user);

        if (json_object_get(users, name) != NULL) {
            continue;
        }

        json_object_set_new(users, name, json_true());

        if (admind_quota_publish_user(mysql, user, e, sizeof(e))
            != ADMIND_OK)
        {
            admind_log(ADMIND_LOG_WARN, "quota not published",
                       "user_id", json_integer((json_int_t) user),
                       "error", admind_log_str(e), NULL);
        }
    }

    json_decref(users);
    json_decref(rows);

    return ADMIND_OK;

failed:

    if (admind_db_get(e, sizeof(e)) == mysql) {
        (void) admind_db_query(mysql, "ROLLBACK", e, sizeof(e));
    }

    return ADMIND_ERROR;
}


int
admind_quota_tick(MYSQL *mysql, admind_quota_stats_t *st, char *err,
    size_t errlen)
{
    size_t  n;
    time_t  now;

    memset(st, 0, sizeof(admind_quota_stats_t));
    now = time(NULL);

    do {
        if (admind_quota_due_batch(mysql, now, st, &n, err, errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

    } while (n == ADMIND_QUOTA_TICK_BATCH);

    return admind_quota_publish_all(mysql, &st->keys, err, errlen);
}
