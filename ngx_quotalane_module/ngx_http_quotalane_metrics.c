/*
 * Metrics (see ngx_http_quotalane_metrics.h).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <time.h>

#include "ngx_http_quotalane_metrics.h"
#include "ngx_http_quotalane_metrics_sh.h"


/* histogram bounds: Redis round trips in us, request times in ms */
const uint64_t  ngx_http_quotalane_us_bounds[] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 1000000
};

const uint64_t  ngx_http_quotalane_ms_bounds[] = {
    1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30000
};


static ngx_http_quotalane_metrics_sh_t  *ngx_http_quotalane_sh;
static ngx_shm_zone_t                   *ngx_http_quotalane_metrics_zone;


static ngx_int_t
ngx_http_quotalane_metrics_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    /* the counters outlive reloads: the old cycle's are the new one's */
    if (data) {
        zone->data = data;
        return NGX_OK;
    }

    if (zone->shm.exists) {
        zone->data = shpool->data;
        return NGX_OK;
    }

    zone->data = ngx_slab_calloc(shpool,
                                 sizeof(ngx_http_quotalane_metrics_sh_t));
    if (zone->data == NULL) {
        return NGX_ERROR;
    }

    shpool->data = zone->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_quotalane_metrics_init(ngx_conf_t *cf)
{
    ngx_str_t  name = ngx_string("quotalane_metrics");

    ngx_http_quotalane_metrics_zone = ngx_shared_memory_add(cf, &name,
                                          NGX_HTTP_QUOTALANE_METRICS_SIZE,
                                          &ngx_http_quotalane_metrics_zone);
    if (ngx_http_quotalane_metrics_zone == NULL) {
        return NGX_ERROR;
    }

    ngx_http_quotalane_metrics_zone->init =
                                        ngx_http_quotalane_metrics_init_zone;

    return NGX_OK;
}


/* the counters, or NULL before the zone is there (configuration) */
ngx_http_quotalane_metrics_sh_t *
ngx_http_quotalane_metrics_sh(void)
{
    if (ngx_http_quotalane_sh == NULL && ngx_http_quotalane_metrics_zone) {
        ngx_http_quotalane_sh = ngx_http_quotalane_metrics_zone->data;
    }

    return ngx_http_quotalane_sh;
}


#define ngx_http_quotalane_inc(a, n)                                          \
    (void) ngx_atomic_fetch_add(&(a), (ngx_atomic_int_t) (n))


static void
ngx_http_quotalane_observe(ngx_http_quotalane_histogram_t *h,
    const uint64_t *bounds, ngx_uint_t nbounds, uint64_t v)
{
    ngx_uint_t  i;

    for (i = 0; i < nbounds && v > bounds[i]; i++) { /* void */ }

    ngx_http_quotalane_inc(h->bucket[i], 1);
    ngx_http_quotalane_inc(h->count, 1);
    ngx_http_quotalane_inc(h->sum, v);
}


uint64_t
ngx_http_quotalane_metrics_usec(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


void
ngx_http_quotalane_metrics_request(ngx_uint_t platform, ngx_uint_t outcome)
{
    ngx_http_quotalane_metrics_sh_t  *sh = ngx_http_quotalane_metrics_sh();

    if (sh && platform < QL_PLATFORM_COUNT
        && outcome < NGX_HTTP_QUOTALANE_OUTCOMES)
    {
        ngx_http_quotalane_inc(sh->requests[platform][outcome], 1);
    }
}


void
ngx_http_quotalane_metrics_upstream(ngx_uint_t platform, ngx_uint_t status)
{
    ngx_uint_t                        c;
    ngx_http_quotalane_metrics_sh_t  *sh = ngx_http_quotalane_metrics_sh();

    c = (status >= 100 && status < 600) ? status / 100 - 1 : 5;

    if (sh && platform < QL_PLATFORM_COUNT) {
        ngx_http_quotalane_inc(sh->upstream[platform][c], 1);
    }
}


void
ngx_http_quotalane_metrics_failover(ngx_uint_t platform, ngx_uint_t status)
{
    ngx_uint_t                        c;
    ngx_http_quotalane_metrics_sh_t  *sh = ngx_http_quotalane_metrics_sh();

    c = status == 401 ? 0 : status == 403 ? 1 : status == 429 ? 2
        : status == 529 ? 4 : (status >= 500 && status < 600) ? 3 : 5;

    if (sh && platform < QL_PLATFORM_COUNT) {
        ngx_http_quotalane_inc(sh->failovers[platform][c], 1);
    }
}


void
ngx_http_quotalane_metrics_pick(ngx_uint_t platform, ngx_uint_t kind)
{
    ngx_http_quotalane_metrics_sh_t  *sh = ngx_http_quotalane_metrics_sh();

    if (sh && platform < QL_PLATFORM_COUNT
        && kind < NGX_HTTP_QUOTALANE_PICKS)
    {
        ngx_http_quotalane_inc(sh->picks[platform][kind], 1);
    }
}


void
ngx_http_quotalane_metrics_redis(ngx_uint_t script, ngx_uint_t result,
    uint64_t usec)
{
    ngx_http_quotalane_metrics_sh_t  *sh = ngx_http_quotalane_metrics_sh();

    if (sh == NULL || script >= NGX_HTTP_QUOTALANE_SCRIPTS
        || result >= NGX_HTTP_QUOTALANE_REDIS_RESULTS)
    {
        return;
    }

    ngx_http_quotalane_inc(sh->redis[script][result], 1);

    if (result == NGX_HTTP_QUOTALANE_REDIS_OK) {
        ngx_http_quotalane_observe(&sh->redis_usec[script],
                                   ngx_http_quotalane_us_bounds,
                                   NGX_HTTP_QUOTALANE_US_BUCKETS, usec);
    }
}


void
ngx_http_quotalane_metrics_redis_lost(void)
{
    ngx_http_quotalane_metrics_sh_t  *sh = ngx_http_quotalane_metrics_sh();

    if (sh) {
        ngx_http_quotalane_inc(sh->redis_lost, 1);
    }
}


void
ngx_http_quotalane_metrics_key_cache(ngx_uint_t result)
{
    ngx_http_quotalane_metrics_sh_t  *sh = ngx_http_quotalane_metrics_sh();

    if (sh && result < 3) {
        ngx_http_quotalane_inc(sh->key_cache[result], 1);
    }
}


void
ngx_http_quotalane_metrics_gauge(ngx_uint_t gauge, ngx_int_t delta)
{
    ngx_http_quotalane_metrics_sh_t  *sh = ngx_http_quotalane_metrics_sh();

    if (sh && gauge < NGX_HTTP_QUOTALANE_GAUGES) {
        ngx_http_quotalane_inc(sh->gauges[gauge], delta);
    }
}


/* the model's slot: found, or taken for it; "other" when full */
static ngx_http_quotalane_model_t *
ngx_http_quotalane_metrics_model(ngx_http_quotalane_metrics_sh_t *sh,
    const char *name)
{
    size_t                       len;
    ngx_uint_t                   i, h, n;
    ngx_http_quotalane_model_t  *m;

    if (name == NULL) {
        return &sh->other;
    }

    len = ngx_strlen(name);
    if (len == 0 || len >= NGX_HTTP_QUOTALANE_MODEL_NAME) {
        return &sh->other;
    }

    h = ngx_hash_key((u_char *) name, len);

    for (n = 0; n < NGX_HTTP_QUOTALANE_METRICS_MODELS; n++) {
        i = (h + n) % NGX_HTTP_QUOTALANE_METRICS_MODELS;
        m = &sh->models[i];

        if (m->state == 2) {
            if (ngx_strcmp(m->name, name) == 0) {
                return m;
            }

            continue;
        }

        /* a free slot: name it, unless another worker is naming it */
        if (m->state == 0 && ngx_atomic_cmp_set(&m->state, 0, 1)) {
            ngx_memcpy(m->name, name, len + 1);
            ngx_memory_barrier();
            m->state = 2;
            return m;
        }
    }

    return &sh->other;
}


void
ngx_http_quotalane_metrics_done(ngx_msec_t overhead_ms, ngx_msec_t ttfb_ms,
    const char *model, const ql_usage_t *u, uint64_t cost_micro)
{
    ngx_http_quotalane_model_t       *m;
    ngx_http_quotalane_metrics_sh_t  *sh = ngx_http_quotalane_metrics_sh();

    if (sh == NULL) {
        return;
    }

    ngx_http_quotalane_observe(&sh->overhead_ms, ngx_http_quotalane_ms_bounds,
                               NGX_HTTP_QUOTALANE_MS_BUCKETS, overhead_ms);
    ngx_http_quotalane_observe(&sh->ttfb_ms, ngx_http_quotalane_ms_bounds,
                               NGX_HTTP_QUOTALANE_MS_BUCKETS, ttfb_ms);

    m = ngx_http_quotalane_metrics_model(sh, model);

    ngx_http_quotalane_inc(m->requests, 1);
    ngx_http_quotalane_inc(m->tokens[NGX_HTTP_QUOTALANE_TOK_INPUT],
                           u->input_tokens);
    ngx_http_quotalane_inc(m->tokens[NGX_HTTP_QUOTALANE_TOK_OUTPUT],
                           u->output_tokens);
    ngx_http_quotalane_inc(m->tokens[NGX_HTTP_QUOTALANE_TOK_CACHE_WRITE],
                           u->cache_creation_tokens);
    ngx_http_quotalane_inc(m->tokens[NGX_HTTP_QUOTALANE_TOK_CACHE_READ],
                           u->cache_read_tokens);
    ngx_http_quotalane_inc(m->cost_micros, cost_micro);
}
