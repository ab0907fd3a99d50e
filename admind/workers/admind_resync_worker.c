/*
 * QuotaLane admind: the resync worker.
 *
 * The thread has its own MySQL and Redis connections (thread-specific,
 * like the HTTP threads'), and sleeps on a condition variable so that a
 * stop request ends the wait at once.  Failures are retried with a
 * growing pause, so a Redis that stays down costs one log line per
 * outage rather than one per second.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admind_config.h"
#include "admind_log.h"
#include "admind_db.h"
#include "admind_redis.h"
#include "admind_hotstate.h"
#include "admind_worker.h"
#include "admind_resync_worker.h"


/* the longest pause between attempts while something is down */
#define ADMIND_RESYNC_BACKOFF_MAX_MS  30000


static const admind_conf_t  *admind_resync_conf;


/* the worker's state between ticks */
typedef struct {
    long long   last_full;      /* the last full rebuild, monotonic ms */
    unsigned    failures;       /* in a row: the backoff */
    unsigned    down:1;         /* Redis unreachable */
} admind_resync_state_t;


static admind_resync_state_t  admind_resync_state;


static long long
admind_resync_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


int
admind_resync_run(const char *reason)
{
    char                     err[ADMIND_ERRLEN];
    MYSQL                   *mysql;
    long long                start;
    admind_hotstate_stats_t  st;

    start = admind_resync_ms();

    mysql = admind_db_get(err, sizeof(err));

    if (mysql == NULL
        || admind_hotstate_resync(mysql, &st, err, sizeof(err)) != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_WARN, "hot state resync failed",
                   "reason", json_string(reason),
                   "error", admind_log_str(err), NULL);
        return ADMIND_ERROR;
    }

    admind_log(ADMIND_LOG_INFO, "hot state resynced",
               "reason", json_string(reason),
               "keys", json_integer((json_int_t) st.keys),
               "accounts", json_integer((json_int_t) st.accounts),
               "groups", json_integer((json_int_t) st.groups),
               "sets", json_integer((json_int_t) st.sets),
               "stale_deleted", json_integer((json_int_t) st.stale),
               "skipped", st.skipped ? json_integer((json_int_t) st.skipped)
                                     : NULL,
               "ms", json_integer(admind_resync_ms() - start), NULL);

    return ADMIND_OK;
}


/* 1: synced exists, 0: it does not, -1: Redis did not answer */
static int
admind_resync_synced(char *err, size_t errlen)
{
    int          rc;
    char         name[512];
    redisReply  *reply;

    admind_hotstate_name(name, sizeof(name), "synced");

    reply = admind_redis_command(err, errlen, "EXISTS %s", name);
    if (reply == NULL) {
        return -1;
    }

    rc = reply->type == REDIS_REPLY_INTEGER && reply->integer > 0;
    freeReplyObject(reply);

    return rc;
}


/*
 * One check: the hot state is rebuilt when its marker is missing, when a
 * write-through failed or periodically; on failure again, less often.
 */
static long long
admind_resync_tick(admind_worker_t *w)
{
    int                     synced;
    char                    err[ADMIND_ERRLEN];
    long long               pause, interval;
    const char             *reason;
    admind_resync_state_t  *st = w->data;

    pause = admind_resync_conf->resync_check_ms;
    interval = (long long) admind_resync_conf->resync_interval_seconds
               * 1000;

    synced = admind_resync_synced(err, sizeof(err));

    if (synced < 0) {
        if (!st->down) {
            admind_log(ADMIND_LOG_WARN, "redis unreachable; the hot state "
                       "is rebuilt when it is back",
                       "error", admind_log_str(err), NULL);
            st->down = 1;
        }
        return pause;
    }

    if (st->down) {
        admind_log(ADMIND_LOG_INFO, "redis reachable again", NULL);
        st->down = 0;
    }

    if (!synced) {
        reason = "missing";

    } else if (admind_hotstate_dirty()) {
        reason = "write_failed";

    } else if (interval && admind_resync_ms() - st->last_full >= interval) {
        reason = "periodic";

    } else {
        return pause;
    }

    if (admind_resync_run(reason) == ADMIND_OK) {
        st->last_full = admind_resync_ms();
        st->failures = 0;
        return pause;
    }

    /* MySQL or Redis trouble: retry, less often each time */
    if (st->failures < 16) {
        st->failures++;
    }

    pause <<= st->failures;

    return pause > ADMIND_RESYNC_BACKOFF_MAX_MS ? ADMIND_RESYNC_BACKOFF_MAX_MS
                                                : pause;
}


static admind_worker_t  admind_resync_worker = {
    .name = "resync", .tick = admind_resync_tick,
    .data = &admind_resync_state
};


int
admind_resync_start(const admind_conf_t *conf, char *err, size_t errlen)
{
    admind_resync_conf = conf;

    memset(&admind_resync_state, 0, sizeof(admind_resync_state));
    admind_resync_state.last_full = admind_resync_ms();
    admind_resync_worker.first_ms = conf->resync_check_ms;

    return admind_worker_start(&admind_resync_worker, err, errlen);
}


void
admind_resync_stop(void)
{
    admind_worker_stop(&admind_resync_worker);
}
