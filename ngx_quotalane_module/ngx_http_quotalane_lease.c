/*
 * Leases: from the pick on, a request holds a slot of its key and of its
 * account (ZSET members scored by their expiry).  The lease is renewed
 * while the request runs (long streams) and given back when the request
 * ends, however it ends; a worker killed mid-request frees its slots when
 * the lease expires.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


#define NGX_HTTP_QUOTALANE_LEASE_KEY_MAX  256


/* Who holds which slots; also what an orphaned select reply must undo. */
typedef struct {
    ngx_str_t                  prefix;
    ngx_str_t                  key_id;
    ngx_str_t                  account_id;
    u_char                     request_id[32];
    ngx_msec_t                 lease_time;
    ngx_event_t                renew;
} ngx_http_quotalane_holder_t;


static void ngx_http_quotalane_lease_renew(ngx_event_t *ev);
static void ngx_http_quotalane_lease_end(void *data);
static void ngx_http_quotalane_lease_send(ngx_http_quotalane_holder_t *h,
    ngx_msec_t expiry);
static void ngx_http_quotalane_orphan_reply(void *data, redisReply *reply);


/*
 * ZADD XX (renew, expiry > 0) or ZREM (release) of the request in the
 * key's and the account's lease sets and in the set of all leases (which
 * admind audits for requests that never reported); fire-and-forget,
 * pipelined with whatever else is queued.
 */
static void
ngx_http_quotalane_lease_send(ngx_http_quotalane_holder_t *h,
    ngx_msec_t expiry)
{
    u_char       set[NGX_HTTP_QUOTALANE_LEASE_KEY_MAX];
    u_char       score[NGX_INT64_LEN];
    const char  *argv[5];
    size_t       argvlen[5];
    ngx_uint_t   i, n;

    if (h->prefix.len + sizeof("kconc:") + ngx_max(h->key_id.len,
                                                   h->account_id.len)
        > sizeof(set))
    {
        return;
    }

    if (expiry) {
        argv[0] = "ZADD";
        argv[2] = "XX";
        argvlen[2] = 2;
        argv[3] = (const char *) score;
        argvlen[3] = ngx_sprintf(score, "%M", expiry) - score;
        argv[4] = (const char *) h->request_id;
        argvlen[4] = sizeof(h->request_id);
        n = 5;

    } else {
        argv[0] = "ZREM";
        argv[2] = (const char *) h->request_id;
        argvlen[2] = sizeof(h->request_id);
        n = 3;
    }

    argvlen[0] = 4;
    argv[1] = (const char *) set;

    for (i = 0; i < 3; i++) {
        switch (i) {
        case 0:
            argvlen[1] = ngx_sprintf(set, "%Vkconc:%V", &h->prefix,
                                     &h->key_id) - set;
            break;
        case 1:
            argvlen[1] = ngx_sprintf(set, "%Vaconc:%V", &h->prefix,
                                     &h->account_id) - set;
            break;
        default:
            argvlen[1] = ngx_sprintf(set, "%Vleases", &h->prefix) - set;
        }

        (void) ngx_http_quotalane_redis_send(n, argv, argvlen, NULL, NULL);
    }
}


ngx_int_t
ngx_http_quotalane_lease_start(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ngx_pool_cleanup_t              *cln;
    ngx_http_quotalane_holder_t     *h;
    ngx_http_quotalane_main_conf_t  *qmcf;

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    /* a pool cleanup runs whatever happens to the request and its ctx */
    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_quotalane_holder_t));
    if (cln == NULL) {
        return NGX_ERROR;
    }

    h = cln->data;
    ngx_memzero(h, sizeof(ngx_http_quotalane_holder_t));

    h->prefix = qmcf->prefix;
    h->key_id = ctx->key.id;
    h->account_id = ctx->account.id;
    h->lease_time = qmcf->lease_time;
    ngx_memcpy(h->request_id, ctx->request_id, sizeof(h->request_id));

    h->renew.handler = ngx_http_quotalane_lease_renew;
    h->renew.data = h;
    h->renew.log = r->connection->log;
    h->renew.cancelable = 1;

    ngx_add_timer(&h->renew, h->lease_time / 3);

    cln->handler = ngx_http_quotalane_lease_end;

    ctx->holder = cln;
    ctx->account.leased = 1;

    return NGX_OK;
}


/* The usage record will give the lease back: only stop renewing it. */
void
ngx_http_quotalane_lease_handoff(ngx_http_quotalane_ctx_t *ctx)
{
    ngx_http_quotalane_holder_t  *h;

    if (ctx->holder == NULL || ctx->holder->handler == NULL) {
        return;
    }

    h = ctx->holder->data;

    if (h->renew.timer_set) {
        ngx_del_timer(&h->renew);
    }

    ctx->holder->handler = NULL;
    ctx->holder = NULL;
}


/* Gives the current lease back now (a failed attempt, before a retry). */
void
ngx_http_quotalane_lease_release(ngx_http_quotalane_ctx_t *ctx)
{
    if (ctx->holder == NULL || ctx->holder->handler == NULL) {
        return;
    }

    ctx->holder->handler(ctx->holder->data);
    ctx->holder->handler = NULL;
    ctx->holder = NULL;
    ctx->account.leased = 0;
}


static void
ngx_http_quotalane_lease_renew(ngx_event_t *ev)
{
    ngx_http_quotalane_holder_t  *h = ev->data;

    ngx_http_quotalane_lease_send(h, ngx_http_quotalane_now_ms()
                                     + h->lease_time);

    ngx_add_timer(ev, h->lease_time / 3);
}


/* The request is over (done, aborted, failed): give the slots back. */
static void
ngx_http_quotalane_lease_end(void *data)
{
    ngx_http_quotalane_holder_t  *h = data;

    if (h->renew.timer_set) {
        ngx_del_timer(&h->renew);
    }

    ngx_http_quotalane_lease_send(h, 0);
}


/*
 * The client left while its select call was in flight: if the reply
 * grants slots, they are given back at once instead of waiting for the
 * lease to expire.
 */
void
ngx_http_quotalane_lease_orphan(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    u_char                          *p;
    ngx_http_quotalane_holder_t     *h;
    ngx_http_quotalane_main_conf_t  *qmcf;

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    h = ngx_alloc(sizeof(ngx_http_quotalane_holder_t) + qmcf->prefix.len
                  + ctx->key.id.len, r->connection->log);
    if (h == NULL) {
        ngx_http_quotalane_redis_cancel(ctx->op);
        return;
    }

    ngx_memzero(h, sizeof(ngx_http_quotalane_holder_t));

    /* the request's memory goes away: copy what the reply will need */
    p = (u_char *) h + sizeof(ngx_http_quotalane_holder_t);
    h->prefix.data = p;
    h->prefix.len = qmcf->prefix.len;
    p = ngx_cpymem(p, qmcf->prefix.data, qmcf->prefix.len);
    h->key_id.data = p;
    h->key_id.len = ctx->key.id.len;
    ngx_memcpy(p, ctx->key.id.data, ctx->key.id.len);
    ngx_memcpy(h->request_id, ctx->request_id, sizeof(h->request_id));

    ngx_http_quotalane_redis_orphan(ctx->op, ngx_http_quotalane_orphan_reply,
                                    h);
}


static void
ngx_http_quotalane_orphan_reply(void *data, redisReply *reply)
{
    redisReply                   *status, *id;
    ngx_http_quotalane_holder_t  *h = data;

    /* select.lua's reply: only 'ok' took leases */
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != NGX_HTTP_QUOTALANE_SELECT_NREPLY)
    {
        return;
    }

    status = reply->element[NGX_HTTP_QUOTALANE_SELECT_REPLY_STATUS];
    id = reply->element[NGX_HTTP_QUOTALANE_SELECT_REPLY_ID];

    if (status->type != REDIS_REPLY_STRING || status->len != 2
        || ngx_strncmp(status->str, "ok", 2) != 0
        || id->type != REDIS_REPLY_STRING)
    {
        return;
    }

    h->account_id.data = (u_char *) id->str;
    h->account_id.len = id->len;

    ngx_http_quotalane_lease_send(h, 0);
}
