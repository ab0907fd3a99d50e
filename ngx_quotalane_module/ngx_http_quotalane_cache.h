/*
 * L1 cache of API key records in shared memory: all workers see one copy,
 * entries expire after a short TTL, least recently used go first when the
 * zone is full, and unknown keys are remembered briefly too.
 */

#ifndef _NGX_HTTP_QUOTALANE_CACHE_H_INCLUDED_
#define _NGX_HTTP_QUOTALANE_CACHE_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>


typedef enum {
    NGX_HTTP_QUOTALANE_CACHE_MISS = 0,
    NGX_HTTP_QUOTALANE_CACHE_HIT,
    NGX_HTTP_QUOTALANE_CACHE_UNKNOWN,   /* cached "no such key" */
} ngx_http_quotalane_cache_result_e;


typedef struct ngx_http_quotalane_cache_s  ngx_http_quotalane_cache_t;

struct ngx_http_quotalane_cache_s {
    ngx_shm_zone_t            *shm_zone;
    void                      *sh;
    ngx_slab_pool_t           *shpool;
    ngx_msec_t                 ttl;
    ngx_msec_t                 negative_ttl;
};


ngx_http_quotalane_cache_t *ngx_http_quotalane_cache_create(ngx_conf_t *cf,
    ngx_str_t *name, size_t size, ngx_msec_t ttl, ngx_msec_t negative_ttl);

/*
 * Looks a digest up.  With allow_stale, an expired entry still counts
 * (Redis is down and the operator chose serve-from-cache).  A hit's value
 * is copied into pool.
 */
ngx_http_quotalane_cache_result_e ngx_http_quotalane_cache_get(
    ngx_http_quotalane_cache_t *cache, u_char *digest, size_t digest_len,
    ngx_uint_t allow_stale, ngx_pool_t *pool, ngx_str_t *value);

/* Stores a value; a NULL value records an unknown key. */
void ngx_http_quotalane_cache_put(ngx_http_quotalane_cache_t *cache,
    u_char *digest, size_t digest_len, ngx_str_t *value);

#endif /* _NGX_HTTP_QUOTALANE_CACHE_H_INCLUDED_ */
