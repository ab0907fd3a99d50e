/*
 * QuotaLane admind: the subscription worker.
 *
 * Its own MySQL and Redis connections (thread-specific), a wait on a
 * condition variable that a stop request ends at once, and one log line
 * per outage rather than one per tick.
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
#include "admind_quota.h"
#include "admind_subscription_worker.h"


static const admind_conf_t  *admind_sub_conf;
static pthread_t             admind_sub_thread;
static pthread_mutex_t       admind_sub_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t        admind_sub_cond;
static unsigned              admind_sub_running;
static unsigned              admind_sub_stopping;


/* waits ms or until stopped; returns nonzero when stopping */
static int
admind_sub_wait(long long ms)
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

    pthread_mutex_lock(&admind_sub_mutex);

    while (!admind_sub_stopping) {
        if (pthread_cond_timedwait(&admind_sub_cond, &admind_sub_mutex, &ts)
            == ETIMEDOUT)
        {
            break;
        }
    }

    stop = admind_sub_stopping;

    pthread_mutex_unlock(&admind_sub_mutex);

    return stop;
}


static void *
admind_sub_loop(void *data)
{
    int                    failing;
    char                   err[ADMIND_ERRLEN];
    MYSQL                 *mysql;
    long long              pause;
    admind_quota_stats_t   st;

    (void) data;

    failing = 0;
    pause = 0;

    while (!admind_sub_wait(pause)) {
        pause = (long long) admind_sub_conf->subscription_tick_seconds
                * 1000;

        mysql = admind_db_get(err, sizeof(err));

        if (mysql == NULL
            || admind_quota_tick(mysql, &st, err, sizeof(err)) != ADMIND_OK)
        {
            if (!failing) {
                admind_log(ADMIND_LOG_WARN, "subscription tick failed; "
                           "retried every tick",
                           "error", admind_log_str(err), NULL);
                failing = 1;
            }
            continue;
        }

        if (failing) {
            admind_log(ADMIND_LOG_INFO, "subscription tick works again",
                       NULL);
            failing = 0;
        }

        admind_log(st.expired || st.renewed ? ADMIND_LOG_INFO
                                            : ADMIND_LOG_DEBUG,
                   "subscription tick",
                   "expired", json_integer((json_int_t) st.expired),
                   "renewed", json_integer((json_int_t) st.renewed),
                   "keys", json_integer((json_int_t) st.keys), NULL);
    }

    admind_redis_close();
    admind_db_close();

    return NULL;
}


int
admind_subscription_worker_start(const admind_conf_t *conf, char *err,
    size_t errlen)
{
    int                 rc;
    pthread_condattr_t  attr;

    admind_sub_conf = conf;
    admind_sub_stopping = 0;

    if (pthread_condattr_init(&attr) != 0
        || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0
        || pthread_cond_init(&admind_sub_cond, &attr) != 0)
    {
        snprintf(err, errlen, "cannot create a condition variable");
        return ADMIND_ERROR;
    }

    pthread_condattr_destroy(&attr);

    rc = pthread_create(&admind_sub_thread, NULL, admind_sub_loop, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the subscription thread: %s",
                 strerror(rc));
        pthread_cond_destroy(&admind_sub_cond);
        return ADMIND_ERROR;
    }

    admind_sub_running = 1;

    return ADMIND_OK;
}


void
admind_subscription_worker_stop(void)
{
    if (!admind_sub_running) {
        return;
    }

    pthread_mutex_lock(&admind_sub_mutex);
    admind_sub_stopping = 1;
    pthread_cond_signal(&admind_sub_cond);
    pthread_mutex_unlock(&admind_sub_mutex);

    pthread_join(admind_sub_thread, NULL);
    pthread_cond_destroy(&admind_sub_cond);

    admind_sub_running = 0;
}
