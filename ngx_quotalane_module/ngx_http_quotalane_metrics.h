/*
 * Metrics: counters, gauges and histograms in one shared memory zone,
 * summed across workers by construction (atomic adds) and kept across
 * reloads; `quotalane_metrics;` in a location serves them in the
 * Prometheus text format.  Labels are bounded: platforms, outcomes,
 * status classes, scripts, and models of the price table ("other" for
 * the rest, at most NGX_HTTP_QUOTALANE_METRICS_MODELS); nothing per key
 * or user.
 */

#ifndef _NGX_HTTP_QUOTALANE_METRICS_H_INCLUDED_
#define _NGX_HTTP_QUOTALANE_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ql_platform.h"
#include "ql_usage.h"


#define NGX_HTTP_QUOTALANE_METRICS_MODELS  128


/* what a request came to: a rejection's kind, or proxied */
#define NGX_HTTP_QUOTALANE_OUTCOME_PROXIED  QL_ERR_COUNT
#define NGX_HTTP_QUOTALANE_OUTCOMES         (QL_ERR_COUNT + 1)


typedef enum {
    NGX_HTTP_QUOTALANE_SCRIPT_KEY = 0,
    NGX_HTTP_QUOTALANE_SCRIPT_SELECT,
    NGX_HTTP_QUOTALANE_SCRIPT_FEEDBACK,
    NGX_HTTP_QUOTALANE_SCRIPT_USAGE,
    NGX_HTTP_QUOTALANE_SCRIPT_OTHER,        /* plain commands */
    NGX_HTTP_QUOTALANE_SCRIPTS
} ngx_http_quotalane_script_e;


typedef enum {
    NGX_HTTP_QUOTALANE_REDIS_OK = 0,
    NGX_HTTP_QUOTALANE_REDIS_ERROR,         /* an error reply */
    NGX_HTTP_QUOTALANE_REDIS_FAILED,        /* timeout, connection lost */
    NGX_HTTP_QUOTALANE_REDIS_RESULTS
} ngx_http_quotalane_redis_result_e;


typedef enum {
    NGX_HTTP_QUOTALANE_GAUGE_RESPONSES = 0, /* answers streaming now */
    NGX_HTTP_QUOTALANE_GAUGE_USAGE_WAITING, /* records waiting for Redis */
    NGX_HTTP_QUOTALANE_GAUGES
} ngx_http_quotalane_gauge_e;


/* the zone; once, at configuration (postconfiguration) */
ngx_int_t ngx_http_quotalane_metrics_init(ngx_conf_t *cf);

/* the location handler of `quotalane_metrics;` */
char *ngx_http_quotalane_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

void ngx_http_quotalane_metrics_request(ngx_uint_t platform,
    ngx_uint_t outcome);
void ngx_http_quotalane_metrics_upstream(ngx_uint_t platform,
    ngx_uint_t status);
void ngx_http_quotalane_metrics_failover(ngx_uint_t platform,
    ngx_uint_t status);
/* how the scheduler came to an account */
typedef enum {
    NGX_HTTP_QUOTALANE_PICK_FRESH = 0,      /* Headroom over the pool */
    NGX_HTTP_QUOTALANE_PICK_STICKY,         /* the session's account */
    NGX_HTTP_QUOTALANE_PICK_BOUND,          /* the key's account or group */
    NGX_HTTP_QUOTALANE_PICK_CACHED,         /* Redis down: the last pick */
    NGX_HTTP_QUOTALANE_PICKS
} ngx_http_quotalane_pick_e;

void ngx_http_quotalane_metrics_pick(ngx_uint_t platform, ngx_uint_t kind);
void ngx_http_quotalane_metrics_redis(ngx_uint_t script, ngx_uint_t result,
    uint64_t usec);
void ngx_http_quotalane_metrics_redis_lost(void);
void ngx_http_quotalane_metrics_key_cache(ngx_uint_t result);
void ngx_http_quotalane_metrics_gauge(ngx_uint_t gauge, ngx_int_t delta);

/*
 * A proxied request's end: the gateway's own time before proxying and
 * the upstream's time to first byte (ms), its tokens and cost by model
 * (name: the price table's entry, NULL for other).
 */
void ngx_http_quotalane_metrics_done(ngx_msec_t overhead_ms,
    ngx_msec_t ttfb_ms, const char *model, const ql_usage_t *u,
    uint64_t cost_micro);

/* a monotonic clock in microseconds, for Redis round trips */
uint64_t ngx_http_quotalane_metrics_usec(void);


#endif /* _NGX_HTTP_QUOTALANE_METRICS_H_INCLUDED_ */
