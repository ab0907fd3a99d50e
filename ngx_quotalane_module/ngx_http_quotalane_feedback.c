/*
 * Feedback: the upstream's answer tells the scheduler about the account.
 * 429 cools it down until the vendor's reset time, 529, 401/403 and
 * 5xx (and connection errors) for configured times; failures cost health,
 * and low health opens the account's circuit.  Successes give health
 * back, reported only when the account was below full health.  The
 * vendor's usage windows (Claude's unified 5-hour and 7-day limits),
 * read from every answer, go with the usage record (usage.lua).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"
#include "ql_rate_window.h"


static ngx_int_t ngx_http_quotalane_header_filter(ngx_http_request_t *r);
static void ngx_http_quotalane_windows(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_http_upstream_t *u);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


ngx_int_t
ngx_http_quotalane_feedback_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_quotalane_header_filter;

    return NGX_OK;
}


/* the request's ids on every answer of the gateway, for support */
static void
ngx_http_quotalane_id_headers(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h != NULL) {
        h->hash = 1;
        ngx_str_set(&h->key, "x-quotalane-request-id");
        h->value = ctx->request_id_str;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h != NULL) {
        h->hash = 1;
        ngx_str_set(&h->key, "x-quotalane-trace-id");
        h->value = ctx->trace_id_str;
    }
}


static ngx_int_t
ngx_http_quotalane_header_filter(ngx_http_request_t *r)
{
    ngx_http_quotalane_ctx_t  *ctx;

    ctx = (r == r->main) ? ngx_http_get_module_ctx(r, ngx_http_quotalane_module)
                         : NULL;

    if (ctx != NULL && ctx->trace_id_str.len) {
        ngx_http_quotalane_id_headers(r, ctx);
    }

    if (ctx != NULL && r->upstream
        && ctx->state == NGX_HTTP_QUOTALANE_STATE_ALLOWED)
    {
        ngx_http_quotalane_metrics_upstream(ctx->platform->id,
                                            r->headers_out.status);

        if (!ctx->responding) {
            ctx->responding = 1;
            ngx_http_quotalane_metrics_gauge(
                NGX_HTTP_QUOTALANE_GAUGE_RESPONSES, 1);
        }

        ngx_http_quotalane_feedback(r, ctx, r->headers_out.status,
                                    r->upstream);
        ngx_http_quotalane_windows(r, ctx, r->upstream);
        ngx_http_quotalane_usage_start(r, ctx);
    }

    return ngx_http_next_header_filter(r);
}


/* the usage windows the answer reports, if any */
static void
ngx_http_quotalane_windows(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_http_upstream_t *u)
{
    u_char             *p;
    size_t              len;
    ngx_uint_t          i;
    ngx_list_part_t    *part;
    ngx_table_elt_t    *h;
    ql_rate_windows_t   ws;

    ws.n = 0;

    for (part = &u->headers_in.headers.part; part; part = part->next) {
        h = part->elts;
        for (i = 0; i < part->nelts; i++) {
            (void) ql_rate_windows_header(&ws, h[i].key.data, h[i].key.len,
                                          h[i].value.data, h[i].value.len);
        }
    }

    if (ws.n == 0) {
        return;
    }

    p = ngx_pnalloc(r->pool, QL_RATE_WINDOWS_TEXT_MAX);
    if (p == NULL) {
        return;
    }

    len = ql_rate_windows_format(&ws, (char *) p, QL_RATE_WINDOWS_TEXT_MAX);

    ctx->windows.data = p;
    ctx->windows.len = len;
    ctx->windows_until = (ngx_msec_t) ql_rate_windows_blocked_until(&ws)
                         * 1000;
}


ngx_uint_t
ngx_http_quotalane_feedback_retryable(ngx_uint_t status)
{
    return status == 429 || status == 529 || status == 500
           || status == 502 || status == 503 || status == 504;
}


/* the upstream answer's header of that name (any case), or NULL */
ngx_table_elt_t *
ngx_http_quotalane_upstream_header(ngx_http_upstream_t *u, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);

    for (part = &u->headers_in.headers.part; part; part = part->next) {
        h = part->elts;
        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == len
                && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
            {
                return &h[i];
            }
        }
    }

    return NULL;
}


/*
 * When a rate-limited account may be used again, in unix ms: the vendor's
 * unified reset time, else retry-after (seconds or an HTTP date), else
 * 0.
 */
static ngx_msec_t
ngx_http_quotalane_rate_limit_reset(ngx_http_upstream_t *u, time_t now)
{
    time_t            t;
    ngx_int_t         n;
    ngx_table_elt_t  *h;

    h = ngx_http_quotalane_upstream_header(u,
                                       "anthropic-ratelimit-unified-reset");
    if (h) {
        n = ngx_atoi(h->value.data, h->value.len);
        if (n != NGX_ERROR && n > now) {
            return (ngx_msec_t) n * 1000;
        }
    }

    h = ngx_http_quotalane_upstream_header(u, "retry-after");
    if (h) {
        n = ngx_atoi(h->value.data, h->value.len);
        if (n != NGX_ERROR) {
            return (ngx_msec_t) (now + n) * 1000;
        }

        t = ngx_parse_http_time(h->value.data, h->value.len);
        if (t != NGX_ERROR && t > now) {
            return (ngx_msec_t) t * 1000;
        }
    }

    return 0;
}


/* Seconds until a 429'd account resets, for the client's retry-after. */
ngx_uint_t
ngx_http_quotalane_feedback_retry_after(ngx_http_upstream_t *u)
{
    time_t      now;
    ngx_msec_t  reset;

    now = ngx_time();
    reset = u ? ngx_http_quotalane_rate_limit_reset(u, now) : 0;

    if (reset <= (ngx_msec_t) now * 1000) {
        return 1;
    }

    return (reset - (ngx_msec_t) now * 1000 + 999) / 1000;
}


/* Sets argument i to [p, last); returns last, where the next one goes. */
static u_char *
ngx_http_quotalane_feedback_arg(const char **args, size_t *argslen,
    ngx_uint_t i, u_char *p, u_char *last)
{
    args[i] = (const char *) p;
    argslen[i] = last - p;

    return last;
}


/* slots by the names feedback.lua reads them by: KEY_ACCOUNT, ARG_NOW... */
#define ngx_http_quotalane_feedback_set(args, argslen, name, p, last)         \
    ngx_http_quotalane_feedback_arg(args, argslen,                            \
                                    NGX_HTTP_QUOTALANE_FEEDBACK_##name,       \
                                    p, last)


void
ngx_http_quotalane_feedback(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_uint_t status, ngx_http_upstream_t *u)
{
    u_char                          *p, *last, buf[7 * NGX_INT64_LEN];
    u_char                           key[256], refused[256], events[256];
    const char                      *args[NGX_HTTP_QUOTALANE_FEEDBACK_NARGS];
    size_t                           argslen[NGX_HTTP_QUOTALANE_FEEDBACK_NARGS];
    ngx_uint_t                       success;
    ngx_msec_t                       now, until;
    ngx_time_t                      *tp;
    ngx_http_quotalane_main_conf_t  *qmcf;

    /* only accounts the scheduler leased (not serve-from-cache picks) */
    if (!ctx->account.leased) {
        return;
    }

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    tp = ngx_timeofday();
    now = (ngx_msec_t) tp->sec * 1000 + tp->msec;
    until = 0;
    success = 0;

    if (status < 400) {
        if (!ctx->account.degraded) {
            return;
        }
        success = 1;

    } else if (status == 429) {
        until = ngx_http_quotalane_rate_limit_reset(u, tp->sec);
        if (until <= now) {
            until = now + qmcf->cooldown_rate_limit;
        }

    } else if (status == 529) {
        until = now + qmcf->cooldown_overloaded;

    } else if (status == 401 || status == 403) {
        until = now + qmcf->cooldown_auth;

    } else if (status >= 500) {
        until = now + qmcf->cooldown_error;

    } else {
        /* other 4xx are the client's doing, not the account's */
        return;
    }

    if (qmcf->prefix.len + sizeof("account:") + ctx->account.id.len
        > sizeof(key))
    {
        return;
    }

    p = ngx_sprintf(key, "%Vaccount:%V", &qmcf->prefix, &ctx->account.id);
    ngx_http_quotalane_feedback_set(args, argslen, KEY_ACCOUNT, key, p);

    p = ngx_snprintf(refused, sizeof(refused), "%Voauth:refused",
                     &qmcf->prefix);
    ngx_http_quotalane_feedback_set(args, argslen, KEY_REFUSED, refused, p);

    p = ngx_snprintf(events, sizeof(events), "%Vevents", &qmcf->prefix);
    ngx_http_quotalane_feedback_set(args, argslen, KEY_EVENTS, events, p);

    p = (u_char *) (success ? "1" : "0");
    ngx_http_quotalane_feedback_set(args, argslen, ARG_SUCCESS, p, p + 1);

    /* an OAuth token the vendor refused: admind refreshes it at once */
    p = (u_char *) ((status == 401 && ctx->account.row->oauth) ? "1" : "0");
    ngx_http_quotalane_feedback_set(args, argslen, ARG_AUTH_FAILED, p, p + 1);

    p = buf;
    last = buf + sizeof(buf);

    p = ngx_http_quotalane_feedback_set(args, argslen, ARG_NOW, p,
                                        ngx_slprintf(p, last, "%M", now));
    p = ngx_http_quotalane_feedback_set(args, argslen, ARG_COOL_UNTIL, p,
                                        ngx_slprintf(p, last, "%M", until));
    p = ngx_http_quotalane_feedback_set(args, argslen, ARG_PENALTY, p,
                                        ngx_slprintf(p, last, "%ui",
                                                     qmcf->health_penalty));
    p = ngx_http_quotalane_feedback_set(args, argslen, ARG_RECOVERY, p,
                                        ngx_slprintf(p, last, "%ui",
                                                     qmcf->health_recovery));
    p = ngx_http_quotalane_feedback_set(args, argslen, ARG_THRESHOLD, p,
                                        ngx_slprintf(p, last, "%ui",
                                                     qmcf->circuit_threshold));
    p = ngx_http_quotalane_feedback_set(args, argslen, ARG_STATUS, p,
                                        ngx_slprintf(p, last, "%ui", status));
    (void) ngx_http_quotalane_feedback_set(args, argslen, ARG_OPEN_MS, p,
                                           ngx_slprintf(p, last, "%M",
                                                   qmcf->circuit_open_time));

    if (!success) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "quotalane: account %V answered %ui, cooling it down",
                      &ctx->account.id, status);
    }

    /* fire-and-forget, pipelined */
    (void) ngx_http_quotalane_redis_eval(qmcf->feedback_script,
                                         NGX_HTTP_QUOTALANE_FEEDBACK_NKEYS,
                                         NGX_HTTP_QUOTALANE_FEEDBACK_NARGS,
                                         args, argslen, NULL, NULL);
}
