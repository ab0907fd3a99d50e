/*
 * QuotaLane admind: the lease audit.
 *
 * Its own MySQL and Redis connections (thread-specific) and a wait on a
 * condition variable that a stop request ends at once, like the other
 * workers.  Each lapsed lease is stored before it leaves Redis, so a
 * crash in between only makes the next pass find it again; the insert
 * is idempotent on the request id, and skipped when the request's usage
 * record is there after all.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admind_config.h"
#include "admind_log.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_redis.h"
#include "admind_worker.h"
#include "admind_lease_audit.h"


/* lapsed leases per pass; the rest wait for the next one */
#define ADMIND_LEASE_AUDIT_BATCH  1000


static const admind_conf_t  *admind_la_conf;

/* when Redis was last seen back, monotonic ms; -1: down */
static long long             admind_la_up_since = -1;


static long long
admind_la_ms(clockid_t clock)
{
    struct timespec  ts;

    clock_gettime(clock, &ts);

    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* stores one lapsed lease unless its record exists; *added: it was new */
static int
admind_la_store(MYSQL *mysql, const char *rid, size_t len,
    long long expired_ms, int *added, char *err, size_t errlen)
{
    admind_db_param_t   params[3];
    admind_db_result_t  res;

    params[0] = admind_db_strn(rid, len);
    params[1] = admind_db_int(expired_ms);
    params[2] = admind_db_strn(rid, len);

    if (admind_db_exec(mysql,
                       "INSERT INTO lease_lapses "
                       "(request_id, lease_expired_at) "
                       "SELECT ?, FROM_UNIXTIME(? / 1000) FROM DUAL "
                       "WHERE NOT EXISTS (SELECT 1 FROM usage_records "
                       "WHERE request_id = ?) "
                       "ON DUPLICATE KEY UPDATE request_id = request_id",
                       params, 3, &res, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    *added = res.affected_rows == 1;

    return ADMIND_OK;
}


int
admind_lease_audit_run(const admind_conf_t *conf, MYSQL *mysql,
    unsigned long *lapsed, char *err, size_t errlen)
{
    int                  added;
    char                 key[512];
    size_t               i;
    long long            now, expired;
    redisReply          *reply, *rm;
    admind_db_result_t   res;

    *lapsed = 0;

    now = admind_la_ms(CLOCK_REALTIME);
    snprintf(key, sizeof(key), "%sleases", conf->redis_prefix);

    reply = admind_redis_command(err, errlen,
                                 "ZRANGEBYSCORE %s -inf %lld WITHSCORES "
                                 "LIMIT 0 %d", key,
                                 now - (long long) conf->lease_audit_grace_ms,
                                 ADMIND_LEASE_AUDIT_BATCH);
    if (reply == NULL) {
        return ADMIND_ERROR;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2) {
        snprintf(err, errlen, "unexpected ZRANGEBYSCORE reply");
        freeReplyObject(reply);
        return ADMIND_ERROR;
    }

    for (i = 0; i + 1 < reply->elements; i += 2) {
        if (reply->element[i]->type != REDIS_REPLY_STRING
            || reply->element[i + 1]->type != REDIS_REPLY_STRING)
        {
            continue;
        }

        expired = strtoll(reply->element[i + 1]->str, NULL, 10);

        if (admind_la_store(mysql, reply->element[i]->str,
                            reply->element[i]->len, expired, &added, err,
                            errlen)
            != ADMIND_OK)
        {
            freeReplyObject(reply);
            return ADMIND_ERROR;
        }

        if (added) {
            (*lapsed)++;
            admind_log(ADMIND_LOG_WARN, "lease without record: the request "
                       "took a lease and never sent its usage record",
                       "requestId", json_stringn(reply->element[i]->str,
                                                 reply->element[i]->len),
                       "leaseExpiredMs", json_integer(expired), NULL);
        }

        rm = admind_redis_command(err, errlen, "ZREM %s %b", key,
                                  reply->element[i]->str,
                                  reply->element[i]->len);
        if (rm == NULL) {
            freeReplyObject(reply);
            return ADMIND_ERROR;
        }

        freeReplyObject(rm);
    }

    freeReplyObject(reply);

    /* a record that came after all (replayed from a dump) settles it */
    if (admind_db_exec(mysql, "DELETE l FROM lease_lapses l "
                       "JOIN usage_records u ON u.request_id = l.request_id",
                       NULL, 0, &res, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (res.affected_rows) {
        admind_log(ADMIND_LOG_INFO, "lapsed leases whose usage record came "
                   "later are no longer counted",
                   "records", json_integer((json_int_t) res.affected_rows),
                   NULL);
    }

    return ADMIND_OK;
}


int
admind_lease_audit_count(MYSQL *mysql, long long *n, char *err,
    size_t errlen)
{
    int  found;

    return admind_db_select_int(mysql, "SELECT COUNT(*) FROM lease_lapses",
                                NULL, 0, n, &found, err, errlen);
}


/*
 * One tick.  While Redis was unreachable, leases expired under records
 * the workers still hold and send within seconds of Redis coming back:
 * nothing is judged before Redis has been up for the grace.
 */
static int
admind_la_tick(long long *up_since, char *err, size_t errlen)
{
    MYSQL          *mysql;
    unsigned long   lapsed;

    if (admind_redis_ping(err, errlen) != ADMIND_OK) {
        *up_since = -1;
        return ADMIND_ERROR;
    }

    if (*up_since < 0) {
        *up_since = admind_la_ms(CLOCK_MONOTONIC);
    }

    if (admind_la_ms(CLOCK_MONOTONIC) - *up_since
        < (long long) admind_la_conf->lease_audit_grace_ms)
    {
        return ADMIND_OK;
    }

    mysql = admind_db_get(err, errlen);
    if (mysql == NULL) {
        return ADMIND_ERROR;
    }

    return admind_lease_audit_run(admind_la_conf, mysql, &lapsed, err,
                                  errlen);
}


static long long
admind_la_worker_tick(admind_worker_t *w)
{
    char  err[ADMIND_ERRLEN];

    if (admind_la_tick(&admind_la_up_since, err, sizeof(err)) != ADMIND_OK) {
        admind_worker_failed(w, err);

    } else {
        admind_worker_works(w);
    }

    return (long long) admind_la_conf->lease_audit_interval_ms;
}


static admind_worker_t  admind_la_worker = {
    .name = "lease audit", .tick = admind_la_worker_tick
};


int
admind_lease_audit_start(const admind_conf_t *conf, char *err,
    size_t errlen)
{
    admind_la_conf = conf;
    admind_la_up_since = -1;
    admind_la_worker.first_ms = (long long) conf->lease_audit_interval_ms;

    return admind_worker_start(&admind_la_worker, err, errlen);
}


void
admind_lease_audit_stop(void)
{
    admind_worker_stop(&admind_la_worker);
}
