/*
 * QuotaLane admind: the usage stream consumer.
 *
 * A thread with its own MySQL and Redis connections reads the usage
 * records the gateway appends to <prefix>usage (proto/usage_record.md)
 * as consumer "<hostname>:<pid>" of the group "admind", stores them in
 * usage_records (admind_usage_store.c) and only then acknowledges them.
 *
 *   - The group is created at ID 0 (MKSTREAM), so records written before
 *     any admind ran are read too.
 *   - Acknowledged records are deleted from the stream (XACK and XDEL in
 *     one MULTI): the stream holds exactly what is not stored yet, and
 *     does not grow while admind keeps up.  Its length is the backlog
 *     /healthz reports.
 *   - After a restart the consumer first reads its own pending list
 *     (records delivered but never acknowledged); records pending with
 *     another consumer for usage_claim_idle_ms (a crashed admind) are
 *     taken over with XAUTOCLAIM at startup and every usage_claim_idle_ms.
 *   - MySQL down: nothing is acknowledged, the batch is retried with a
 *     growing pause (up to usage_retry_max_ms); records wait in the
 *     stream.  Redis down: reconnect with the same pause.
 *   - A record that cannot be stored (no request_id, corrupt numbers) is
 *     logged, copied to <prefix>usage:dead with the reason and
 *     acknowledged, so it never blocks the records behind it.
 */

#ifndef _ADMIND_USAGE_CONSUMER_H_INCLUDED_
#define _ADMIND_USAGE_CONSUMER_H_INCLUDED_


#include "admind.h"


#define ADMIND_USAGE_GROUP  "admind"


typedef struct {
    long long   backlog;        /* XLEN: records not stored yet */
    long long   pending;        /* of those, delivered to a consumer */
    long long   dead;           /* XLEN of the dead-letter stream */
} admind_usage_backlog_t;


int admind_usage_consumer_start(const admind_conf_t *conf, char *err,
    size_t errlen);

/* asks the thread to stop, and joins it (within usage_block_ms or so) */
void admind_usage_consumer_stop(void);

/* on the calling thread's Redis connection, for /healthz */
int admind_usage_backlog(const admind_conf_t *conf,
    admind_usage_backlog_t *b, char *err, size_t errlen);


#endif /* _ADMIND_USAGE_CONSUMER_H_INCLUDED_ */
