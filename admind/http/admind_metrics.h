/*
 * QuotaLane admind: GET /metrics, its own counters and the gateway's
 * state as Prometheus reads them: HTTP requests by route and status
 * class with latency, the usage pipeline (batches, their latency,
 * records stored and dead-lettered, the stream's backlog), MySQL and
 * Redis outages, and each account's state in Redis (status, health,
 * circuit, cooldown, exhausted window, leases in flight).
 *
 * Who may read it: a bearer token equal to metrics_token_file's, else
 * clients on loopback only.
 */

#ifndef _ADMIND_METRICS_H_INCLUDED_
#define _ADMIND_METRICS_H_INCLUDED_


#include "admind.h"
#include "admind_router.h"


extern const admind_route_t  admind_metrics_routes[];

/* a request answered; route NULL when none matched */
void admind_metrics_http(const admind_route_t *route, const char *method,
    unsigned status, double ms);

/* a usage batch committed (or not: stored 0) */
void admind_metrics_usage_batch(double ms, unsigned long long stored,
    unsigned long dead);

/* MySQL or Redis could not be reached */
void admind_metrics_db_unavailable(void);
void admind_metrics_redis_unavailable(void);


#endif /* _ADMIND_METRICS_H_INCLUDED_ */
