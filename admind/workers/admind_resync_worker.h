/*
 * QuotaLane admind: the resync worker.
 *
 * A thread that checks every resync_check_ms whether Redis still holds
 * the hot state (<prefix>synced exists) and rebuilds it from MySQL when
 * it does not (Redis restarted empty or was flushed), when a publish
 * failed, and every resync_interval_seconds as a safety net.
 */

#ifndef _ADMIND_RESYNC_WORKER_H_INCLUDED_
#define _ADMIND_RESYNC_WORKER_H_INCLUDED_


#include "admind.h"


/* one resync on the calling thread, logged with its counts */
int admind_resync_run(const char *reason);

int admind_resync_start(const admind_conf_t *conf, char *err,
    size_t errlen);

/* asks the thread to stop and joins it */
void admind_resync_stop(void);


#endif /* _ADMIND_RESYNC_WORKER_H_INCLUDED_ */
