/*
 * QuotaLane admind: a background worker.
 *
 * A thread that calls its tick, waits the pause the tick returned (on the
 * monotonic clock, ended at once by a stop) and ticks again, with its own
 * MySQL and Redis connections (thread-specific, closed when it ends).  A
 * failing tick says so once per outage, not once per tick.
 *
 *     static long long my_tick(admind_worker_t *w);
 *     static admind_worker_t  my_worker = {
 *         .name = "my worker", .tick = my_tick, .first_ms = 1000
 *     };
 *
 *     admind_worker_start(&my_worker, err, sizeof(err));
 *     ...
 *     admind_worker_stop(&my_worker);
 */

#ifndef _ADMIND_WORKER_H_INCLUDED_
#define _ADMIND_WORKER_H_INCLUDED_


#include <pthread.h>

#include "admind.h"


typedef struct admind_worker_s  admind_worker_t;

/* one tick; returns the pause in ms before the next */
typedef long long (*admind_worker_tick_pt)(admind_worker_t *w);


struct admind_worker_s {
    const char             *name;       /* in log lines: "lease audit" */
    admind_worker_tick_pt   tick;
    void                   *data;       /* the worker's own state */
    long long               first_ms;   /* the pause before the first tick */

    /* the abstraction's own */
    pthread_t               thread;
    pthread_mutex_t         mutex;
    pthread_cond_t          cond;
    unsigned                running:1;
    unsigned                stopping:1;
    unsigned                failing:1;
};


int admind_worker_start(admind_worker_t *w, char *err, size_t errlen);

/* asks the thread to stop, ends its pause and joins it */
void admind_worker_stop(admind_worker_t *w);

/* for a long tick: whether a stop was asked meanwhile */
int admind_worker_stopping(admind_worker_t *w);

/* a tick failed (logged on the first failure of an outage) or worked */
void admind_worker_failed(admind_worker_t *w, const char *err);
void admind_worker_works(admind_worker_t *w);


#endif /* _ADMIND_WORKER_H_INCLUDED_ */
