/*
 * Access phase of a `quotalane_gateway` location: a state machine that
 * authenticates the key, reads the body, asks the scheduler for an account
 * and leaves the request ready for proxy_pass.  Each Redis call suspends
 * the request; the reply resumes it by running the phases again.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/rand.h>

#include "ngx_http_quotalane_module.h"


/* r->main->limit_*_status values (ngx_http_limit_{conn,req}_module.c) */
#define NGX_HTTP_QUOTALANE_LIMIT_CONN_REJECTED  2
#define NGX_HTTP_QUOTALANE_LIMIT_REQ_REJECTED   3


static void ngx_http_quotalane_trace(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
static ngx_http_quotalane_ctx_t *ngx_http_quotalane_ctx_create(
    ngx_http_request_t *r, ngx_http_quotalane_loc_conf_t *qlcf);
static void ngx_http_quotalane_cleanup(void *data);
static ngx_int_t ngx_http_quotalane_suspend(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_http_quotalane_state_e state);
static void ngx_http_quotalane_resume(ngx_http_quotalane_ctx_t *ctx);
static ngx_int_t ngx_http_quotalane_start(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
static void ngx_http_quotalane_key_handler(void *data, redisReply *reply);
static ngx_int_t ngx_http_quotalane_key_from_stale_cache(
    ngx_http_request_t *r, ngx_http_quotalane_ctx_t *ctx);
static ngx_int_t ngx_http_quotalane_read_body(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
static void ngx_http_quotalane_body_handler(ngx_http_request_t *r);
static void ngx_http_quotalane_select_unavailable(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
static void ngx_http_quotalane_select_handler(void *data, redisReply *reply);


ngx_int_t
ngx_http_quotalane_access_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_quotalane_ctx_t       *ctx;
    ngx_http_quotalane_loc_conf_t  *qlcf;

    qlcf = ngx_http_get_module_loc_conf(r, ngx_http_quotalane_module);

    if (qlcf->platform == NULL || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_quotalane_module);

    if (ctx == NULL) {
        ctx = ngx_http_quotalane_ctx_restore(r);

        if (ctx == NULL) {
            ctx = ngx_http_quotalane_ctx_create(r, qlcf);
            if (ctx == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            /*
             * Refused by limit_conn or limit_req, whose 429 or 503
             * error_page brought here to the failover location: that
             * must not admit it.
             */
            if (r->main->limit_conn_status
                == NGX_HTTP_QUOTALANE_LIMIT_CONN_REJECTED
                || r->main->limit_req_status
                   == NGX_HTTP_QUOTALANE_LIMIT_REQ_REJECTED)
            {
                return ngx_http_quotalane_send_error(r, ctx,
                           QL_ERR_RATE_LIMIT,
                           "Too many requests from your address at once; "
                           "try again shortly.");
            }

            /*
             * Any other error that error_page brought here was not an
             * upstream's (the module would have a context): an access
             * rule's 403, a handler's 500.  It stands; nothing is
             * admitted past it.
             */
            if (r->err_status) {
                return ngx_http_quotalane_send_error(r, ctx,
                           r->err_status == NGX_HTTP_FORBIDDEN
                           || r->err_status == NGX_HTTP_UNAUTHORIZED
                           ? QL_ERR_PERMISSION : QL_ERR_API,
                           r->err_status == NGX_HTTP_FORBIDDEN
                           || r->err_status == NGX_HTTP_UNAUTHORIZED
                           ? "Access denied." : "The request failed.");
            }

        } else if (ctx->state == NGX_HTTP_QUOTALANE_STATE_ALLOWED) {
            /* back from a failed upstream attempt */
            rc = ngx_http_quotalane_failover(r, ctx);
            if (rc != NGX_OK) {
                return rc;
            }
        }
    }

    for ( ;; ) {

        switch (ctx->state) {

        case NGX_HTTP_QUOTALANE_STATE_START:
            rc = ngx_http_quotalane_start(r, ctx);
            if (rc != NGX_OK) {
                return rc;
            }
            break;

        case NGX_HTTP_QUOTALANE_STATE_KEY_DONE:
            if (ctx->error_message) {
                return ngx_http_quotalane_send_error(r, ctx, ctx->error_kind,
                                                     ctx->error_message);
            }

            if (ngx_http_quotalane_key_check(r, ctx) != NGX_OK) {
                return ngx_http_quotalane_send_error(r, ctx, ctx->error_kind,
                                                     ctx->error_message);
            }

            return ngx_http_quotalane_read_body(r, ctx);

        case NGX_HTTP_QUOTALANE_STATE_BODY_DONE:
            rc = ngx_http_quotalane_body_model(r, ctx);
            if (rc == NGX_OK) {
                rc = ngx_http_quotalane_key_check_model(ctx);
            }

            if (rc == NGX_ERROR) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (rc != NGX_OK) {
                return ngx_http_quotalane_send_error(r, ctx, ctx->error_kind,
                                                     ctx->error_message);
            }

            if (ngx_http_quotalane_select(r, ctx,
                                          ngx_http_quotalane_select_handler)
                == NGX_OK)
            {
                return ngx_http_quotalane_suspend(r, ctx,
                                       NGX_HTTP_QUOTALANE_STATE_SELECT_WAIT);
            }

            ngx_http_quotalane_select_unavailable(r, ctx);
            break;

        case NGX_HTTP_QUOTALANE_STATE_SELECT_DONE:
            /* nothing left to fail over to: the last failure stands */
            if (ctx->failed_status
                && (ctx->error_kind == QL_ERR_OVERLOADED
                    || ctx->error_kind == QL_ERR_UNAVAILABLE)
                && ctx->error_message)
            {
                return ngx_http_quotalane_failover_error(r, ctx);
            }

            if (ctx->error_message) {
                return ngx_http_quotalane_send_error(r, ctx, ctx->error_kind,
                                                     ctx->error_message);
            }

            rc = ngx_http_quotalane_upstream_prepare(r, ctx);
            if (rc == NGX_ERROR) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (rc != NGX_OK) {
                return ngx_http_quotalane_send_error(r, ctx, ctx->error_kind,
                                                     ctx->error_message);
            }

            if (ngx_http_quotalane_passthrough(r) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ctx->state = NGX_HTTP_QUOTALANE_STATE_ALLOWED;

            /* the gateway's own time, failovers' picks included */
            ctx->picked_ms = ngx_http_quotalane_now_ms();

            return NGX_DECLINED;

        case NGX_HTTP_QUOTALANE_STATE_ALLOWED:
            return NGX_DECLINED;

        default:
            /* still waiting: the phases ran for an unrelated event */
            return NGX_AGAIN;
        }
    }
}


/*
 * Request ids must be unique, not secret (they name leases and usage
 * records): a random per-worker prefix drawn once, then a counter.  No
 * RAND_bytes() per request, which took locks and showed in profiles.
 */
static void
ngx_http_quotalane_request_id(u_char id[32])
{
    static u_char    prefix[16];
    static uint64_t  counter;

    if (counter == 0
        && RAND_bytes(prefix, sizeof(prefix) - sizeof(uint64_t)) != 1)
    {
        ngx_memcpy(prefix, &ngx_pid, sizeof(ngx_pid));
    }

    counter++;
    ngx_memcpy(prefix + sizeof(prefix) - sizeof(uint64_t), &counter,
               sizeof(uint64_t));

    ngx_hex_dump(id, prefix, sizeof(prefix));
}


static ngx_http_quotalane_ctx_t *
ngx_http_quotalane_ctx_create(ngx_http_request_t *r,
    ngx_http_quotalane_loc_conf_t *qlcf)
{
    ngx_http_cleanup_t        *cln;
    ngx_http_quotalane_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_quotalane_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->request = r;
    ctx->platform = qlcf->platform;
    ctx->pool = qlcf->pool;
    ctx->start_ms = ngx_http_quotalane_now_ms();

    ngx_http_quotalane_request_id(ctx->request_id);
    ctx->request_id_str.data = ctx->request_id;
    ctx->request_id_str.len = sizeof(ctx->request_id);
    ngx_http_quotalane_trace(r, ctx);
    ctx->platform_name.data = (u_char *) ctx->platform->name;
    ctx->platform_name.len = ngx_strlen(ctx->platform->name);

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_quotalane_cleanup;
    cln->data = ctx;

    if (ngx_http_quotalane_ctx_keep(r, ctx) != NGX_OK) {
        return NULL;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_quotalane_module);

    return ctx;
}


/*
 * The client's trace (its traceparent), or one started with the request
 * id; this hop, the parent of the upstream's, is the id's second half.
 */
static void
ngx_http_quotalane_trace(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    char              flags[QL_TRACE_FLAGS_LEN];
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    ngx_memcpy(ctx->trace_id, ctx->request_id, QL_TRACE_ID_LEN);
    flags[0] = '0';
    flags[1] = '0';

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;
        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == 11
                && ngx_strncasecmp(h[i].key.data, (u_char *) "traceparent",
                                   11) == 0
                && ql_trace_parse(h[i].value.data, h[i].value.len,
                                  (char *) ctx->trace_id, flags))
            {
                goto found;
            }
        }
    }

found:

    ql_trace_format((char *) ctx->trace_id,
                    (char *) ctx->request_id + QL_TRACE_SPAN_LEN, flags,
                    (char *) ctx->traceparent);

    ctx->trace_id_str.data = ctx->trace_id;
    ctx->trace_id_str.len = QL_TRACE_ID_LEN;
    ctx->traceparent_str.data = ctx->traceparent;
    ctx->traceparent_str.len = QL_TRACEPARENT_LEN;
}


/* The request is going away: a pending Redis reply must not touch it. */
static void
ngx_http_quotalane_cleanup(void *data)
{
    ngx_http_quotalane_ctx_t  *ctx = data;

    if (ctx->op == NULL) {
        return;
    }

    if (ctx->state == NGX_HTTP_QUOTALANE_STATE_SELECT_WAIT) {
        ngx_http_quotalane_lease_orphan(ctx->request, ctx);

    } else {
        ngx_http_quotalane_redis_cancel(ctx->op);
    }

    ctx->op = NULL;
}


static ngx_int_t
ngx_http_quotalane_suspend(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_http_quotalane_state_e state)
{
    ctx->state = state;

    /* notice a client that goes away while we wait */
    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    return NGX_AGAIN;
}


static void
ngx_http_quotalane_resume(ngx_http_quotalane_ctx_t *ctx)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ctx->request;
    c = r->connection;

    ctx->op = NULL;

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);

    /* r may be gone now */
    ngx_http_run_posted_requests(c);
}


static ngx_int_t
ngx_http_quotalane_start(ngx_http_request_t *r, ngx_http_quotalane_ctx_t *ctx)
{
    ngx_int_t                          rc;
    ngx_str_t                          key;
    ngx_http_quotalane_main_conf_t    *qmcf;
    ngx_http_quotalane_cache_result_e  cached;

    /* a request the vendor would refuse costs no Redis round trip */
    rc = ngx_http_quotalane_route_method(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_quotalane_key_extract(r, &key) != NGX_OK) {
        return ngx_http_quotalane_send_error(r, ctx, QL_ERR_AUTHENTICATION,
                   "Missing API key: send it in the x-api-key header or "
                   "as Authorization: Bearer.");
    }

    /* a malformed key never costs a Redis round trip */
    if (!ql_apikey_valid(key.data, key.len)) {
        return ngx_http_quotalane_send_error(r, ctx, QL_ERR_AUTHENTICATION,
                                             "Invalid API key.");
    }

    if (ql_apikey_digest(key.data, key.len, ctx->digest) != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    cached = ngx_http_quotalane_cache_get(qmcf->key_cache, ctx->digest,
                                          sizeof(ctx->digest), 0, r->pool,
                                          &ctx->key_record);
    ngx_http_quotalane_metrics_key_cache(cached);

    if (cached == NGX_HTTP_QUOTALANE_CACHE_UNKNOWN) {
        return ngx_http_quotalane_send_error(r, ctx, QL_ERR_AUTHENTICATION,
                                             "Invalid API key.");
    }

    if (cached == NGX_HTTP_QUOTALANE_CACHE_HIT) {
        if (ngx_http_quotalane_key_parse(&ctx->key_record, &ctx->key)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->state = NGX_HTTP_QUOTALANE_STATE_KEY_DONE;
        return NGX_OK;
    }

    if (ngx_http_quotalane_key_fetch(r, ctx, ngx_http_quotalane_key_handler)
        == NGX_OK)
    {
        return ngx_http_quotalane_suspend(r, ctx,
                                          NGX_HTTP_QUOTALANE_STATE_KEY_WAIT);
    }

    if (ngx_http_quotalane_key_from_stale_cache(r, ctx) == NGX_OK) {
        return NGX_OK;
    }

    return ngx_http_quotalane_send_error(r, ctx, QL_ERR_UNAVAILABLE,
               "The gateway cannot reach its state store; try again "
               "shortly.");
}


/* Redis is down: in serve-from-cache mode, an expired entry will do. */
static ngx_int_t
ngx_http_quotalane_key_from_stale_cache(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ngx_http_quotalane_main_conf_t  *qmcf;

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    if (qmcf->redis_fail != NGX_HTTP_QUOTALANE_REDIS_FAIL_CACHE
        || ngx_http_quotalane_cache_get(qmcf->key_cache, ctx->digest,
                                        sizeof(ctx->digest), 1, r->pool,
                                        &ctx->key_record)
           != NGX_HTTP_QUOTALANE_CACHE_HIT
        || ngx_http_quotalane_key_parse(&ctx->key_record, &ctx->key)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    ctx->state = NGX_HTTP_QUOTALANE_STATE_KEY_DONE;

    return NGX_OK;
}


static void
ngx_http_quotalane_key_handler(void *data, redisReply *reply)
{
    ngx_http_quotalane_ctx_t  *ctx = data;

    ngx_http_request_t              *r;
    ngx_http_quotalane_main_conf_t  *qmcf;

    r = ctx->request;
    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    ctx->state = NGX_HTTP_QUOTALANE_STATE_KEY_DONE;

    if (reply == NULL) {
        if (ngx_http_quotalane_key_from_stale_cache(r, ctx) != NGX_OK) {
            ctx->error_kind = QL_ERR_UNAVAILABLE;
            ctx->error_message = "The gateway cannot reach its state "
                                 "store; try again shortly.";
        }

        ngx_http_quotalane_resume(ctx);
        return;
    }

    switch (ngx_http_quotalane_key_record_from_reply(r->pool, reply,
                                                     &ctx->key_record))
    {
    case NGX_OK:
        ngx_http_quotalane_cache_put(qmcf->key_cache, ctx->digest,
                                     sizeof(ctx->digest), &ctx->key_record);

        if (ngx_http_quotalane_key_parse(&ctx->key_record, &ctx->key)
            != NGX_OK)
        {
            ctx->error_kind = QL_ERR_API;
            ctx->error_message = "Malformed key record.";
        }
        break;

    case NGX_DECLINED:
        ngx_http_quotalane_cache_put(qmcf->key_cache, ctx->digest,
                                     sizeof(ctx->digest), NULL);
        ctx->error_kind = QL_ERR_AUTHENTICATION;
        ctx->error_message = "Invalid API key.";
        break;

    case NGX_BUSY:
        ctx->error_kind = QL_ERR_UNAVAILABLE;
        ctx->error_message = "The gateway's state is being rebuilt; try "
                             "again shortly.";
        break;

    default:
        ctx->error_kind = QL_ERR_API;
        ctx->error_message = "Unexpected reply from the state store.";
        break;
    }

    ngx_http_quotalane_resume(ctx);
}


static ngx_int_t
ngx_http_quotalane_read_body(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ngx_int_t                       rc;
    ngx_http_quotalane_loc_conf_t  *qlcf;

    qlcf = ngx_http_get_module_loc_conf(r, ngx_http_quotalane_module);

    if (r->headers_in.content_length_n > (off_t) qlcf->body_limit) {
        return ngx_http_quotalane_send_error(r, ctx,
                                             QL_ERR_REQUEST_TOO_LARGE,
                                             "Request body is too large.");
    }

    ctx->state = NGX_HTTP_QUOTALANE_STATE_BODY_WAIT;

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_quotalane_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    /* the body handler runs the phases again, maybe already by now */
    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


static void
ngx_http_quotalane_body_handler(ngx_http_request_t *r)
{
    ngx_http_quotalane_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_quotalane_module);

    ctx->state = NGX_HTTP_QUOTALANE_STATE_BODY_DONE;

    /* proxy_pass sends the same body upstream */
    r->preserve_body = 1;

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


/* Redis is down: the last pick, if serving from cache, else 503. */
static void
ngx_http_quotalane_select_unavailable(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ctx->state = NGX_HTTP_QUOTALANE_STATE_SELECT_DONE;

    if (ngx_http_quotalane_select_fallback(r, ctx) == NGX_DECLINED) {
        ctx->error_kind = QL_ERR_UNAVAILABLE;
        ctx->error_message = "The gateway cannot reach its state store; "
                             "try again shortly.";
    }
}


static void
ngx_http_quotalane_select_handler(void *data, redisReply *reply)
{
    ngx_http_quotalane_ctx_t  *ctx = data;

    ctx->state = NGX_HTTP_QUOTALANE_STATE_SELECT_DONE;

    if (reply == NULL) {
        ngx_http_quotalane_select_unavailable(ctx->request, ctx);

    } else if (ngx_http_quotalane_select_reply(ctx->request, ctx, reply)
               == NGX_ERROR)
    {
        ctx->error_kind = QL_ERR_API;
        ctx->error_message = "Unexpected reply from the scheduler.";
    }

    ngx_http_quotalane_resume(ctx);
}
