/*
 * `quotalane_upstream` in an upstream{} block: a balancer that connects to
 * the address of the account the scheduler picked for this request.  Put
 * `keepalive` after it to reuse upstream connections across requests.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


static ngx_int_t ngx_http_quotalane_upstream_init(ngx_conf_t *cf,
    ngx_http_upstream_srv_conf_t *us);
static ngx_int_t ngx_http_quotalane_upstream_init_peer(ngx_http_request_t *r,
    ngx_http_upstream_srv_conf_t *us);
static ngx_int_t ngx_http_quotalane_upstream_get_peer(
    ngx_peer_connection_t *pc, void *data);
static void ngx_http_quotalane_upstream_free_peer(ngx_peer_connection_t *pc,
    void *data, ngx_uint_t state);
#if (NGX_HTTP_SSL)
static ngx_int_t ngx_http_quotalane_upstream_set_session(
    ngx_peer_connection_t *pc, void *data);
static void ngx_http_quotalane_upstream_save_session(
    ngx_peer_connection_t *pc, void *data);
#endif


char *
ngx_http_quotalane_upstream(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_addr_t                    *addr;
    ngx_url_t                      u;
    ngx_http_upstream_server_t    *us;
    ngx_http_upstream_srv_conf_t  *uscf;

    uscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_upstream_module);

    if (uscf->peer.init_upstream) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "load balancing method redefined");
    }

    uscf->peer.init_upstream = ngx_http_quotalane_upstream_init;

    /*
     * nginx insists on a server in every upstream block; ours is never
     * used, the peer comes from the request.
     */
    if (uscf->servers->nelts == 0) {
        ngx_memzero(&u, sizeof(ngx_url_t));
        ngx_str_set(&u.url, "127.0.0.1:1");
        u.default_port = 80;

        if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        addr = u.addrs;

        us = ngx_array_push(uscf->servers);
        if (us == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(us, sizeof(ngx_http_upstream_server_t));
        us->addrs = addr;
        us->naddrs = 1;
        us->weight = 1;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_quotalane_upstream_init(ngx_conf_t *cf,
    ngx_http_upstream_srv_conf_t *us)
{
    us->peer.init = ngx_http_quotalane_upstream_init_peer;

    return NGX_OK;
}


static ngx_int_t
ngx_http_quotalane_upstream_init_peer(ngx_http_request_t *r,
    ngx_http_upstream_srv_conf_t *us)
{
    ngx_http_quotalane_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_quotalane_module);

    if (ctx == NULL || ctx->state != NGX_HTTP_QUOTALANE_STATE_ALLOWED) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "quotalane: upstream used in a location without "
                      "\"quotalane_gateway\"");
        return NGX_ERROR;
    }

    r->upstream->peer.data = ctx;
    r->upstream->peer.get = ngx_http_quotalane_upstream_get_peer;
    r->upstream->peer.free = ngx_http_quotalane_upstream_free_peer;
    r->upstream->peer.tries = 1;
#if (NGX_HTTP_SSL)
    r->upstream->peer.set_session = ngx_http_quotalane_upstream_set_session;
    r->upstream->peer.save_session = ngx_http_quotalane_upstream_save_session;
#endif

    return NGX_OK;
}


static ngx_int_t
ngx_http_quotalane_upstream_get_peer(ngx_peer_connection_t *pc, void *data)
{
    ngx_http_quotalane_ctx_t  *ctx = data;

    pc->sockaddr = ctx->account.addr.sockaddr;
    pc->socklen = ctx->account.addr.socklen;
    pc->name = &ctx->account.addr.name;
    pc->cached = 0;
    pc->connection = NULL;

    return NGX_OK;
}


static void
ngx_http_quotalane_upstream_free_peer(ngx_peer_connection_t *pc, void *data,
    ngx_uint_t state)
{
    pc->tries = 0;
}


#if (NGX_HTTP_SSL)

/* TLS sessions are not resumed across accounts: nothing to hand over. */
static ngx_int_t
ngx_http_quotalane_upstream_set_session(ngx_peer_connection_t *pc,
    void *data)
{
    return NGX_OK;
}


static void
ngx_http_quotalane_upstream_save_session(ngx_peer_connection_t *pc,
    void *data)
{
}

#endif
