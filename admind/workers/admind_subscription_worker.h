/*
 * QuotaLane admind: the subscription worker.
 *
 * A thread that runs admind_quota_tick() (admind_quota.h) at startup and
 * every subscription_tick_seconds: expiry and auto-renewal of
 * subscriptions, and the plan quota of every subscribed user written
 * into their key records.  Several admind processes may run it at once:
 * each due row is locked and updated under its version.
 */

#ifndef _ADMIND_SUBSCRIPTION_WORKER_H_INCLUDED_
#define _ADMIND_SUBSCRIPTION_WORKER_H_INCLUDED_


#include "admind.h"


int admind_subscription_worker_start(const admind_conf_t *conf, char *err,
    size_t errlen);

/* asks the thread to stop and joins it */
void admind_subscription_worker_stop(void);


#endif /* _ADMIND_SUBSCRIPTION_WORKER_H_INCLUDED_ */
