/*
 * QuotaLane admind: the resync worker.
 *
 * The thread has its own MySQL and Redis connections (thread-specific,
 * like the HTTP threads'), and sleeps on a condition variable so that a
 * stop request ends the wait at once.  Failures are retried with a
 * growing pause, so a Redis that stays down costs one log line per
 * outage rather than one per second.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admind_config.h"
#include "admind_log.h"
#include "admind_db.h"
#include "admind_redis.h"
#include "admind_hotstate.h"
#include "admind_resync_worker.h"


/* the longest pause between attempts while something is down */
#define ADMIND_RESYNC_BACKOFF_MAX_MS  30000


static const admind_conf_t  *admind_resync_conf;
static pthread_t             admind_resync_thread;
static pthread_mutex_t       admind_resync_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t        admind_resync_cond;
static unsigned              admind_resync_running;
static unsigned              admind_resync_stopping;


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


/* waits ms or until stopped; returns nonzero when stopping */
static int
admind_resync_wait(long long ms)
{
    int              stop;
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;

    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }

    pthread_mutex_lock(&admind_resync_mutex);

    while (!admind_resync_stopping) {
        if (pthread_cond_timedwait(&admind_resync_cond,
                                   &admind_resync_mutex, &ts)
            == ETIMEDOUT)
        {
            break;
        }
    }

    stop = admind_resync_stopping;

    pthread_mutex_unlock(&admind_resync_mutex);

    return stop;
}


static void *
admind_resync_loop(void *data)
{
    int          synced, down;
    char         err[ADMIND_ERRLEN];
    unsigned     failures;
    long long    pause, last_full, interval;
    const char  *reason;

    (void) data;

    pause = admind_resync_conf->resync_check_ms;
    interval = (long long) admind_resync_conf->resync_interval_seconds
               * 1000;
    last_full = admind_resync_ms();
    down = 0;
    failures = 0;

    while (!admind_resync_wait(pause)) {
        pause = admind_resync_conf->resync_check_ms;

        synced = admind_resync_synced(err, sizeof(err));

        if (synced < 0) {
            if (!down) {
                admind_log(ADMIND_LOG_WARN, "redis unreachable; the hot "
                           "state is rebuilt when it is back",
                           "error", admind_log_str(err), NULL);
                down = 1;
            }
            continue;
        }

        if (down) {
            admind_log(ADMIND_LOG_INFO, "redis reachable again", NULL);
            down = 0;
        }

        if (!synced) {
            reason = "missing";

        } else if (admind_hotstate_dirty()) {
            reason = "write_failed";

        } else if (interval && admind_resync_ms() - last_full >= interval) {
            reason = "periodic";

        } else {
            continue;
        }

        if (admind_resync_run(reason) == ADMIND_OK) {
            last_full = admind_resync_ms();
            failures = 0;
            continue;
        }

        /* MySQL or Redis trouble: retry, less often each time */
        if (failures < 16) {
            failures++;
        }

        pause = (long long) admind_resync_conf->resync_check_ms << failures;
        if (pause > ADMIND_RESYNC_BACKOFF_MAX_MS) {
            pause = ADMIND_RESYNC_BACKOFF_MAX_MS;
        }
    }

    admind_redis_close();
    admind_db_close();

    return NULL;
}


int
admind_resync_start(const admind_conf_t *conf, char *err, size_t errlen)
{
    int                 rc;
    pthread_condattr_t  attr;

    admind_resync_conf = conf;
    admind_resync_stopping = 0;

    /* the waits are measured on the monotonic clock, as elsewhere */
    if (pthread_condattr_init(&attr) != 0
        || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0
        || pthread_cond_init(&admind_resync_cond, &attr) != 0)
    {
        snprintf(err, errlen, "cannot create a condition variable");
        return ADMIND_ERROR;
    }

    pthread_condattr_destroy(&attr);

    rc = pthread_create(&admind_resync_thread, NULL, admind_resync_loop,
                        NULL);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the resync thread: %s",
                 strerror(rc));
        pthread_cond_destroy(&admind_resync_cond);
        return ADMIND_ERROR;
    }

    admind_resync_running = 1;

    return ADMIND_OK;
}


void
admind_resync_stop(void)
{
    if (!admind_resync_running) {
        return;
    }

    pthread_mutex_lock(&admind_resync_mutex);
    admind_resync_stopping = 1;
    pthread_cond_signal(&admind_resync_cond);
    pthread_mutex_unlock(&admind_resync_mutex);

    pthread_join(admind_resync_thread, NULL);
    pthread_cond_destroy(&admind_resync_cond);

    admind_resync_running = 0;
}
