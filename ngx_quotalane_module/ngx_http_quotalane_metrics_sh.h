/*
 * The metrics' layout in shared memory, for the code that counts
 * (ngx_http_quotalane_metrics.c) and the one that shows them
 * (ngx_http_quotalane_metrics_prometheus.c).
 */

#ifndef _NGX_HTTP_QUOTALANE_METRICS_SH_H_INCLUDED_
#define _NGX_HTTP_QUOTALANE_METRICS_SH_H_INCLUDED_


#include "ngx_http_quotalane_metrics.h"


#define NGX_HTTP_QUOTALANE_METRICS_SIZE   (256 * 1024)
#define NGX_HTTP_QUOTALANE_MODEL_NAME     64

/* histogram bounds: Redis round trips in us, request times in ms */
#define NGX_HTTP_QUOTALANE_US_BUCKETS     10
#define NGX_HTTP_QUOTALANE_MS_BUCKETS     12

extern const uint64_t  ngx_http_quotalane_us_bounds[];
extern const uint64_t  ngx_http_quotalane_ms_bounds[];

typedef struct {
    ngx_atomic_t   bucket[NGX_HTTP_QUOTALANE_MS_BUCKETS + 1];  /* +Inf */
    ngx_atomic_t   count;
    ngx_atomic_t   sum;
} ngx_http_quotalane_histogram_t;


/* token kinds, as the usage record has them */
enum {
    NGX_HTTP_QUOTALANE_TOK_INPUT = 0,
    NGX_HTTP_QUOTALANE_TOK_OUTPUT,
    NGX_HTTP_QUOTALANE_TOK_CACHE_WRITE,
    NGX_HTTP_QUOTALANE_TOK_CACHE_READ,
    NGX_HTTP_QUOTALANE_TOKS
};

typedef struct {
    ngx_atomic_t   state;           /* 0 free, 1 being named, 2 ready */
    u_char         name[NGX_HTTP_QUOTALANE_MODEL_NAME];
    ngx_atomic_t   tokens[NGX_HTTP_QUOTALANE_TOKS];
    ngx_atomic_t   cost_micros;
    ngx_atomic_t   requests;
} ngx_http_quotalane_model_t;


typedef struct {
    ngx_atomic_t   requests[QL_PLATFORM_COUNT][NGX_HTTP_QUOTALANE_OUTCOMES];
    ngx_atomic_t   upstream[QL_PLATFORM_COUNT][6];      /* 1xx..5xx, other */
    ngx_atomic_t   failovers[QL_PLATFORM_COUNT][6];
    ngx_atomic_t   picks[QL_PLATFORM_COUNT][NGX_HTTP_QUOTALANE_PICKS];
    ngx_atomic_t   redis[NGX_HTTP_QUOTALANE_SCRIPTS]
                        [NGX_HTTP_QUOTALANE_REDIS_RESULTS];
    ngx_http_quotalane_histogram_t  redis_usec[NGX_HTTP_QUOTALANE_SCRIPTS];
    ngx_atomic_t   redis_lost;
    ngx_atomic_t   key_cache[3];                        /* miss hit unknown */
    ngx_atomic_t   gauges[NGX_HTTP_QUOTALANE_GAUGES];
    ngx_http_quotalane_histogram_t  overhead_ms;
    ngx_http_quotalane_histogram_t  ttfb_ms;
    ngx_http_quotalane_model_t      models[NGX_HTTP_QUOTALANE_METRICS_MODELS];
    ngx_http_quotalane_model_t      other;
} ngx_http_quotalane_metrics_sh_t;


/* the zone's counters; NULL until the zone is mapped */
ngx_http_quotalane_metrics_sh_t *ngx_http_quotalane_metrics_sh(void);


#endif /* _NGX_HTTP_QUOTALANE_METRICS_SH_H_INCLUDED_ */
