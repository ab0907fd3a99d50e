/*
 * QuotaLane admind: a background worker (see admind_worker.h).
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admind_log.h"
#include "admind_db.h"
#include "admind_redis.h"
#include "admind_worker.h"


/* waits ms or until stopped; returns nonzero when stopping */
static int
admind_worker_wait(admind_worker_t *w, long long ms)
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

    pthread_mutex_lock(&w->mutex);

    while (!w->stopping) {
        if (pthread_cond_timedwait(&w->cond, &w->mutex, &ts) == ETIMEDOUT) {
            break;
        }
    }

    stop = w->stopping;

    pthread_mutex_unlock(&w->mutex);

    return stop;
}


static void *
admind_worker_loop(void *data)
{
    long long         pause;
    admind_worker_t  *w = data;

    for (pause = w->first_ms; !admind_worker_wait(w, pause);
         pause = w->tick(w))
    {
        /* void */
    }

    admind_redis_close();
    admind_db_close();

    return NULL;
}


int
admind_worker_start(admind_worker_t *w, char *err, size_t errlen)
{
    int                 rc;
    pthread_condattr_t  attr;

    w->stopping = 0;
    w->failing = 0;

    if (pthread_mutex_init(&w->mutex, NULL) != 0) {
        snprintf(err, errlen, "%s: cannot create a mutex", w->name);
        return ADMIND_ERROR;
    }

    /* the pauses are measured on the monotonic clock */
    if (pthread_condattr_init(&attr) != 0
        || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0
        || pthread_cond_init(&w->cond, &attr) != 0)
    {
        pthread_mutex_destroy(&w->mutex);
        snprintf(err, errlen, "%s: cannot create a condition variable",
                 w->name);
        return ADMIND_ERROR;
    }

    pthread_condattr_destroy(&attr);

    rc = pthread_create(&w->thread, NULL, admind_worker_loop, w);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the %s thread: %s", w->name,
                 strerror(rc));
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->mutex);
        return ADMIND_ERROR;
    }

    w->running = 1;

    return ADMIND_OK;
}


void
admind_worker_stop(admind_worker_t *w)
{
    if (!w->running) {
        return;
    }

    pthread_mutex_lock(&w->mutex);
    w->stopping = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mutex);

    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->mutex);

    w->running = 0;
}


int
admind_worker_stopping(admind_worker_t *w)
{
    int  stop;

    pthread_mutex_lock(&w->mutex);
    stop = w->stopping;
    pthread_mutex_unlock(&w->mutex);

    return stop;
}


void
admind_worker_failed(admind_worker_t *w, const char *err)
{
    char  what[96];

    if (w->failing) {
        return;
    }

    w->failing = 1;
    snprintf(what, sizeof(what), "%s failed; retried", w->name);
    admind_log(ADMIND_LOG_WARN, what, "error", admind_log_str(err), NULL);
}


void
admind_worker_works(admind_worker_t *w)
{
    char  what[96];

    if (!w->failing) {
        return;
    }

    w->failing = 0;
    snprintf(what, sizeof(what), "%s works again", w->name);
    admind_log(ADMIND_LOG_INFO, what, NULL);
}
