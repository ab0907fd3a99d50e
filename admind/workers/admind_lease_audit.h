/*
 * QuotaLane admind: the lease audit.
 *
 * A thread that, every lease_audit_interval_ms, takes the leases in
 * <redis_prefix>leases that expired more than lease_audit_grace_ms ago
 * (their request never sent its usage record: the nginx worker died) and
 * stores each in lease_lapses, with a log line naming the request id; a
 * record stored later removes the row again.  Nothing is judged before
 * Redis has been reachable for the grace (records held back by an outage
 * come first).
 */

#ifndef _ADMIND_LEASE_AUDIT_H_INCLUDED_
#define _ADMIND_LEASE_AUDIT_H_INCLUDED_


#include <mysql.h>

#include "admind.h"


int admind_lease_audit_start(const admind_conf_t *conf, char *err,
    size_t errlen);

/* asks the thread to stop and joins it */
void admind_lease_audit_stop(void);

/* one pass on the caller's connections; *lapsed: leases newly counted */
int admind_lease_audit_run(const admind_conf_t *conf, MYSQL *mysql,
    unsigned long *lapsed, char *err, size_t errlen);

/* requests that took a lease and have no usage record (for /healthz) */
int admind_lease_audit_count(MYSQL *mysql, long long *n, char *err,
    size_t errlen);


#endif /* _ADMIND_LEASE_AUDIT_H_INCLUDED_ */
