/*
 * Shared memory L1 cache: slab pool + rbtree keyed by digest + LRU queue.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_quotalane_cache.h"


#define NGX_HTTP_QUOTALANE_CACHE_DIGEST  64


typedef struct {
    ngx_rbtree_t               rbtree;
    ngx_rbtree_node_t          sentinel;
    ngx_queue_t                lru;
} ngx_http_quotalane_cache_sh_t;


/* Lives right after the rbtree node's key, as in limit_req. */
typedef struct {
    u_char                     color;
    u_char                     unknown;
    u_short                    len;
    ngx_queue_t                queue;
    ngx_msec_t                 expires;
    u_char                     digest[NGX_HTTP_QUOTALANE_CACHE_DIGEST];
    u_char                     data[1];
} ngx_http_quotalane_cache_node_t;


static ngx_int_t ngx_http_quotalane_cache_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_quotalane_cache_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_http_quotalane_cache_node_t *ngx_http_quotalane_cache_find(
    ngx_http_quotalane_cache_sh_t *sh, ngx_rbtree_key_t hash, u_char *digest);
static void ngx_http_quotalane_cache_delete(ngx_http_quotalane_cache_t *cache,
    ngx_http_quotalane_cache_node_t *cn);


ngx_http_quotalane_cache_t *
ngx_http_quotalane_cache_create(ngx_conf_t *cf, ngx_str_t *name, size_t size,
    ngx_msec_t ttl, ngx_msec_t negative_ttl)
{
    ngx_http_quotalane_cache_t  *cache;

    cache = ngx_pcalloc(cf->pool, sizeof(ngx_http_quotalane_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    cache->ttl = ttl;
    cache->negative_ttl = negative_ttl;

    cache->shm_zone = ngx_shared_memory_add(cf, name, size,
                                            &ngx_http_quotalane_cache_create);
    if (cache->shm_zone == NULL) {
        return NULL;
    }

    cache->shm_zone->init = ngx_http_quotalane_cache_init_zone;
    cache->shm_zone->data = cache;

    return cache;
}


static ngx_int_t
ngx_http_quotalane_cache_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_quotalane_cache_t  *ocache = data;

    size_t                          len;
    ngx_http_quotalane_cache_t     *cache;
    ngx_http_quotalane_cache_sh_t  *sh;

    cache = shm_zone->data;

    /* the zone survives reloads: keep what the old cycle cached */
    if (ocache) {
        cache->sh = ocache->sh;
        cache->shpool = ocache->shpool;
        return NGX_OK;
    }

    cache->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        cache->sh = cache->shpool->data;
        return NGX_OK;
    }

    sh = ngx_slab_alloc(cache->shpool, sizeof(ngx_http_quotalane_cache_sh_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    cache->sh = sh;
    cache->shpool->data = sh;

    ngx_rbtree_init(&sh->rbtree, &sh->sentinel,
                    ngx_http_quotalane_cache_insert);
    ngx_queue_init(&sh->lru);

    len = sizeof(" in quotalane key cache \"\"") + shm_zone->shm.name.len;

    cache->shpool->log_ctx = ngx_slab_alloc(cache->shpool, len);
    if (cache->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(cache->shpool->log_ctx, " in quotalane key cache \"%V\"%Z",
                &shm_zone->shm.name);

    cache->shpool->log_nomem = 0;

    return NGX_OK;
}


static void
ngx_http_quotalane_cache_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t                **p;
    ngx_http_quotalane_cache_node_t   *cn, *cnt;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            cn = (ngx_http_quotalane_cache_node_t *) &node->color;
            cnt = (ngx_http_quotalane_cache_node_t *) &temp->color;

            p = (ngx_memcmp(cn->digest, cnt->digest,
                            NGX_HTTP_QUOTALANE_CACHE_DIGEST) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static ngx_rbtree_key_t
ngx_http_quotalane_cache_hash(u_char *digest)
{
    return ngx_crc32_short(digest, NGX_HTTP_QUOTALANE_CACHE_DIGEST);
}


static ngx_http_quotalane_cache_node_t *
ngx_http_quotalane_cache_find(ngx_http_quotalane_cache_sh_t *sh,
    ngx_rbtree_key_t hash, u_char *digest)
{
    ngx_int_t                         rc;
    ngx_rbtree_node_t                *node, *sentinel;
    ngx_http_quotalane_cache_node_t  *cn;

    node = sh->rbtree.root;
    sentinel = sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        cn = (ngx_http_quotalane_cache_node_t *) &node->color;

        rc = ngx_memcmp(digest, cn->digest, NGX_HTTP_QUOTALANE_CACHE_DIGEST);

        if (rc == 0) {
            return cn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_quotalane_cache_delete(ngx_http_quotalane_cache_t *cache,
    ngx_http_quotalane_cache_node_t *cn)
{
    ngx_rbtree_node_t              *node;
    ngx_http_quotalane_cache_sh_t  *sh = cache->sh;

    node = (ngx_rbtree_node_t *)
               ((u_char *) cn - offsetof(ngx_rbtree_node_t, color));

    ngx_queue_remove(&cn->queue);
    ngx_rbtree_delete(&sh->rbtree, node);
    ngx_slab_free_locked(cache->shpool, node);
}


ngx_http_quotalane_cache_result_e
ngx_http_quotalane_cache_get(ngx_http_quotalane_cache_t *cache,
    u_char *digest, size_t digest_len, ngx_uint_t allow_stale,
    ngx_pool_t *pool, ngx_str_t *value)
{
    ngx_http_quotalane_cache_node_t    *cn;
    ngx_http_quotalane_cache_result_e   rc;

    if (digest_len != NGX_HTTP_QUOTALANE_CACHE_DIGEST) {
        return NGX_HTTP_QUOTALANE_CACHE_MISS;
    }

    rc = NGX_HTTP_QUOTALANE_CACHE_MISS;

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = ngx_http_quotalane_cache_find(cache->sh,
                                       ngx_http_quotalane_cache_hash(digest),
                                       digest);
    if (cn == NULL) {
        goto done;
    }

    if (!allow_stale
        && (ngx_msec_int_t) (cn->expires - ngx_current_msec) <= 0)
    {
        goto done;
    }

    if (cn->unknown) {
        rc = NGX_HTTP_QUOTALANE_CACHE_UNKNOWN;
        goto done;
    }

    value->data = ngx_pnalloc(pool, cn->len);
    if (value->data == NULL) {
        goto done;
    }

    ngx_memcpy(value->data, cn->data, cn->len);
    value->len = cn->len;

    ngx_queue_remove(&cn->queue);
    ngx_queue_insert_head(&((ngx_http_quotalane_cache_sh_t *) cache->sh)->lru,
                          &cn->queue);

    rc = NGX_HTTP_QUOTALANE_CACHE_HIT;

done:

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return rc;
}


void
ngx_http_quotalane_cache_put(ngx_http_quotalane_cache_t *cache,
    u_char *digest, size_t digest_len, ngx_str_t *value)
{
    size_t                            size, len;
    ngx_uint_t                        tries;
    ngx_queue_t                      *q;
    ngx_rbtree_key_t                  hash;
    ngx_rbtree_node_t                *node;
    ngx_http_quotalane_cache_sh_t    *sh;
    ngx_http_quotalane_cache_node_t  *cn;

    len = value ? value->len : 0;

    if (digest_len != NGX_HTTP_QUOTALANE_CACHE_DIGEST || len > 65535) {
        return;
    }

    hash = ngx_http_quotalane_cache_hash(digest);
    size = offsetof(ngx_rbtree_node_t, color)
           + offsetof(ngx_http_quotalane_cache_node_t, data) + len;

    sh = cache->sh;

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = ngx_http_quotalane_cache_find(sh, hash, digest);
    if (cn) {
        ngx_http_quotalane_cache_delete(cache, cn);
    }

    /* evict least recently used entries until the new one fits */
    node = ngx_slab_alloc_locked(cache->shpool, size);

    for (tries = 0; node == NULL && tries < 64 && !ngx_queue_empty(&sh->lru);
         tries++)
    {
        q = ngx_queue_last(&sh->lru);
        cn = ngx_queue_data(q, ngx_http_quotalane_cache_node_t, queue);
        ngx_http_quotalane_cache_delete(cache, cn);
        node = ngx_slab_alloc_locked(cache->shpool, size);
    }

    if (node == NULL) {
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return;
    }

    node->key = hash;
    cn = (ngx_http_quotalane_cache_node_t *) &node->color;

    cn->unknown = (value == NULL);
    cn->len = (u_short) len;
    cn->expires = ngx_current_msec
                  + (value ? cache->ttl : cache->negative_ttl);
    ngx_memcpy(cn->digest, digest, NGX_HTTP_QUOTALANE_CACHE_DIGEST);

    if (len) {
        ngx_memcpy(cn->data, value->data, len);
    }

    ngx_rbtree_insert(&sh->rbtree, node);
    ngx_queue_insert_head(&sh->lru, &cn->queue);

    ngx_shmtx_unlock(&cache->shpool->mutex);
}
