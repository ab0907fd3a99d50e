/*
 * Feedback: the upstream's answer tells the scheduler about the account.
 * 429 cools it down until the vendor's reset time, 529, 401/403 and
 * 5xx (and connection errors) for configured times; failures cost health,
 * and low health opens the account's circuit.  Successes give health
 * back, reported only when the account was below full health.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


static ngx_int_t ngx_http_quotalane_header_filter(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


ngx_int_t
ngx_http_quotalane_feedback_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_quotalane_header_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_quotalane_header_filter(ngx_http_request_t *r)
{
    ngx_http_quotalane_ctx_t  *ctx;

    if (r == r->main && r->upstream) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_quotalane_module);

        if (ctx && ctx->state == NGX_HTTP_QUOTALANE_STATE_ALLOWED) {
            ngx_http_quotalane_feedback(r, ctx, r->headers_out.status,
                                        r->upstream);
            ngx_http_quotalane_usage_start(r, ctx);
        }
    }

    return ngx_http_next_header_filter(r);
}


ngx_uint_t
ngx_http_quotalane_feedback_retryable(ngx_uint_t status)
{
    return status == 429 || status == 529 || status == 500
           || status == 502 || status == 503 || status == 504;
}


static ngx_table_elt_t *
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


void
ngx_http_quotalane_feedback(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_uint_t status, ngx_http_upstream_t *u)
{
    u_char                          *p, buf[6][NGX_INT64_LEN + 1];
    u_char                           key[256];
    const char                      *args[8];
    size_t                           argslen[8];
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

    argslen[0] = ngx_sprintf(key, "%Vaccount:%V", &qmcf->prefix,
                             &ctx->account.id) - key;
    args[0] = (const char *) key;

    args[2] = success ? "1" : "0";
    argslen[2] = 1;

    p = ngx_sprintf(buf[0], "%M", now);
    args[1] = (const char *) buf[0];
    argslen[1] = p - buf[0];

    p = ngx_sprintf(buf[1], "%M", until);
    args[3] = (const char *) buf[1];
    argslen[3] = p - buf[1];

    p = ngx_sprintf(buf[2], "%ui", qmcf->health_penalty);
    args[4] = (const char *) buf[2];
    argslen[4] = p - buf[2];

    p = ngx_sprintf(buf[3], "%ui", qmcf->health_recovery);
    args[5] = (const char *) buf[3];
    argslen[5] = p - buf[3];

    p = ngx_sprintf(buf[4], "%ui", qmcf->circuit_threshold);
    args[6] = (const char *) buf[4];
    argslen[6] = p - buf[4];

    p = ngx_sprintf(buf[5], "%M", qmcf->circuit_open_time);
    args[7] = (const char *) buf[5];
    argslen[7] = p - buf[5];

    if (!success) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "quotalane: account %V answered %ui, cooling it down",
                      &ctx->account.id, status);
    }

    /* fire-and-forget, pipelined */
    (void) ngx_http_quotalane_redis_eval(qmcf->feedback_script, 1, 8, args,
                                         argslen, NULL, NULL);
}
