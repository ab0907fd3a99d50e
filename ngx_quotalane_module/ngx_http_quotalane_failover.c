/*
 * Failover.  An upstream 401/403/429/529/5xx or connection error, caught
 * before any byte went to the client (proxy_intercept_errors + error_page
 * to a named gateway location, see conf/quotalane_proxy.conf), brings the
 * request back to the access phase: the failed account is cooled down,
 * its lease given back and excluded, and the scheduler picks again, up to
 * quotalane_failover_attempts times.  Then the client gets the last
 * failure in its platform's error shape.
 *
 * nginx clears module contexts on such a redirect; a pool cleanup entry
 * keeps ours findable.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


static void
ngx_http_quotalane_ctx_keeper(void *data)
{
    /* holds the ctx pointer only: nothing to free */
}


ngx_int_t
ngx_http_quotalane_ctx_keep(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_quotalane_ctx_keeper;
    cln->data = ctx;

    return NGX_OK;
}


ngx_http_quotalane_ctx_t *
ngx_http_quotalane_ctx_restore(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t        *cln;
    ngx_http_quotalane_ctx_t  *ctx;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_quotalane_ctx_keeper) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_quotalane_module);
            return ctx;
        }
    }

    return NULL;
}


static ngx_int_t
ngx_http_quotalane_exclude(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, ctx->excluded.len + 1 + ctx->account.id.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, ctx->excluded.data, ctx->excluded.len);
    ctx->excluded.data = p;
    p += ctx->excluded.len;

    if (ctx->excluded.len) {
        *p++ = ',';
    }

    p = ngx_cpymem(p, ctx->account.id.data, ctx->account.id.len);
    ctx->excluded.len = p - ctx->excluded.data;

    return NGX_OK;
}


/* The client's answer when no attempt succeeded: the last failure. */
ngx_int_t
ngx_http_quotalane_failover_error(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    switch (ctx->failed_status) {

    case 429:
        return ngx_http_quotalane_send_error(r, ctx, QL_ERR_RATE_LIMIT,
                   "The upstream accounts are rate limited; try again "
                   "later.");

    case 503:
    case 529:
        return ngx_http_quotalane_send_error(r, ctx, QL_ERR_OVERLOADED,
                   "The upstream accounts are overloaded; try again "
                   "shortly.");

    /* the account's credential, not the client's key: no 401 to it */
    case 401:
    case 403:
        return ngx_http_quotalane_send_error(r, ctx, QL_ERR_API,
                   "The upstream account's credential was refused; try "
                   "again shortly.");

    default:
        return ngx_http_quotalane_send_error(r, ctx, QL_ERR_API,
                   "The upstream request failed.");
    }
}


/*
 * Called when a request that already went upstream comes back to the
 * access phase.  NGX_OK: pick again; otherwise what the handler returns.
 */
ngx_int_t
ngx_http_quotalane_failover(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ngx_uint_t                       status;
    ngx_http_upstream_t             *u;
    ngx_http_quotalane_main_conf_t  *qmcf;

    u = r->upstream;

    if (u && u->headers_in.status_n) {
        status = u->headers_in.status_n;

    } else if (u && u->state && u->state->status) {
        status = u->state->status;

    } else {
        status = NGX_HTTP_BAD_GATEWAY;
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "quotalane: account %V failed with %ui (attempt %ui)",
                  &ctx->account.id, status, ctx->attempts + 1);

    ngx_http_quotalane_metrics_failover(ctx->platform->id, status);
    ngx_http_quotalane_feedback(r, ctx, status, u);
    ngx_http_quotalane_lease_release(ctx);

    if (ngx_http_quotalane_exclude(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    ctx->failed_status = status;

    if (status == 429) {
        ctx->retry_after = ngx_http_quotalane_feedback_retry_after(u);
    }

    if (++ctx->attempts > qmcf->failover_attempts) {
        return ngx_http_quotalane_failover_error(r, ctx);
    }

    /* the next pick reads the client's body, not the one sent last */
    if (ctx->body_replaced
        && ngx_http_quotalane_body_set(r, &ctx->body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&ctx->account, sizeof(ngx_http_quotalane_account_t));
    ngx_str_null(&ctx->upstream_uri);
    ngx_str_null(&ctx->upstream_authorization);
    ngx_str_null(&ctx->upstream_x_api_key);
    ngx_str_null(&ctx->upstream_anthropic_beta);
    ctx->error_message = NULL;
    ctx->retry_after = 0;
    ctx->state = NGX_HTTP_QUOTALANE_STATE_BODY_DONE;

    return NGX_OK;
}
