/*
 * `quotalane_metrics;`: the shared counters in the Prometheus text
 * format (version 0.0.4), like stub_status for the gateway.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_metrics_sh.h"


/* what a request came to, by ql_error_kind_t, then proxied */
static const char  *ngx_http_quotalane_outcome_names[] = {
    "invalid_request", "authentication", "billing", "permission",
    "not_found", "request_too_large", "uri_too_long", "rate_limit",
    "api_error", "not_implemented", "unavailable", "overloaded",
    "method_not_allowed", "proxied"
};

static const char  *ngx_http_quotalane_failover_names[] = {
    "401", "403", "429", "5xx", "529", "other"
};

static const char  *ngx_http_quotalane_class_names[] = {
    "1xx", "2xx", "3xx", "4xx", "5xx", "other"
};

static const char  *ngx_http_quotalane_script_names[] = {
    "key", "select", "feedback", "usage", "command"
};

static const char  *ngx_http_quotalane_result_names[] = {
    "ok", "error", "failed"
};

static const char  *ngx_http_quotalane_cache_names[] = {
    "miss", "hit", "negative_hit"
};

static const char  *ngx_http_quotalane_pick_names[] = {
    "fresh", "sticky", "bound", "cached"
};

static const char  *ngx_http_quotalane_tok_names[] = {
    "input", "output", "cache_write", "cache_read"
};


/* room for everything but the models, and per model */
#define NGX_HTTP_QUOTALANE_PROM_BASE   65536
#define NGX_HTTP_QUOTALANE_PROM_MODEL  1024


static u_char *
ngx_http_quotalane_prom_head(u_char *p, u_char *last, const char *name,
    const char *type, const char *help)
{
    return ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s %s\n", name, help,
                        name, type);
}


/* a histogram's series; scale 1000: the bounds and sum in ms or us */
static u_char *
ngx_http_quotalane_prom_histogram(u_char *p, u_char *last, const char *name,
    const char *labels, ngx_http_quotalane_histogram_t *h,
    const uint64_t *bounds, ngx_uint_t n, ngx_uint_t per_second)
{
    ngx_uint_t    i;
    ngx_atomic_t  cum;

    cum = 0;

    for (i = 0; i < n; i++) {
        cum += h->bucket[i];
        p = ngx_slprintf(p, last, "%s_bucket{%s%sle=\"%uL.%06uL\"} %uA\n",
                         name, labels, labels[0] ? "," : "",
                         bounds[i] / per_second,
                         (bounds[i] % per_second) * (1000000 / per_second),
                         cum);
    }

    cum += h->bucket[n];

    p = ngx_slprintf(p, last, "%s_bucket{%s%sle=\"+Inf\"} %uA\n", name,
                     labels, labels[0] ? "," : "", cum);
    p = ngx_slprintf(p, last, "%s_sum%s%s%s %uA.%06uA\n", name,
                     labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
                     h->sum / per_second,
                     (h->sum % per_second) * (1000000 / per_second));

    return ngx_slprintf(p, last, "%s_count%s%s%s %uA\n", name,
                        labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
                        h->count);
}


static u_char *
ngx_http_quotalane_prom_models(u_char *p, u_char *last,
    ngx_http_quotalane_metrics_sh_t *sh)
{
    ngx_uint_t                   i, k, n;
    const char                  *name;
    ngx_http_quotalane_model_t  *m;

    static const char  *families[][2] = {
        { "quotalane_tokens_total", "Tokens of proxied requests by model "
          "(the price table's name, other for the rest) and kind." },
        { "quotalane_cost_micros_total", "Cost of proxied requests by "
          "model, micro-dollars." },
        { "quotalane_model_requests_total", "Proxied requests by model." }
    };

    /* one family after the other, as the format wants them */
    for (n = 0; n < 3; n++) {
        p = ngx_http_quotalane_prom_head(p, last, families[n][0], "counter",
                                         families[n][1]);

        for (i = 0; i <= NGX_HTTP_QUOTALANE_METRICS_MODELS; i++) {
            m = i < NGX_HTTP_QUOTALANE_METRICS_MODELS ? &sh->models[i]
                                                        : &sh->other;
            if (i < NGX_HTTP_QUOTALANE_METRICS_MODELS && m->state != 2) {
                continue;
            }

            name = i < NGX_HTTP_QUOTALANE_METRICS_MODELS
                   ? (const char *) m->name : "other";

            if (n == 0) {
                for (k = 0; k < NGX_HTTP_QUOTALANE_TOKS; k++) {
                    p = ngx_slprintf(p, last, "%s{model=\"%s\",kind=\"%s\"} "
                                     "%uA\n", families[n][0], name,
                                     ngx_http_quotalane_tok_names[k],
                                     m->tokens[k]);
                }

            } else {
                p = ngx_slprintf(p, last, "%s{model=\"%s\"} %uA\n",
                                 families[n][0], name,
                                 n == 1 ? m->cost_micros : m->requests);
            }
        }
    }

    return p;
}


static u_char *
ngx_http_quotalane_prom_render(u_char *p, u_char *last,
    ngx_http_quotalane_metrics_sh_t *sh)
{
    u_char                labels[64];
    ngx_uint_t            i, k;
    const ql_platform_t  *pl;

    p = ngx_http_quotalane_prom_head(p, last, "quotalane_requests_total",
            "counter", "Gateway requests by platform and outcome: proxied, "
            "or the kind of error the gateway answered.");

    for (i = 0; i < QL_PLATFORM_COUNT; i++) {
        pl = ql_platform_get((ql_platform_id_t) i);
        for (k = 0; k < NGX_HTTP_QUOTALANE_OUTCOMES; k++) {
            p = ngx_slprintf(p, last, "quotalane_requests_total{platform="
                             "\"%s\",outcome=\"%s\"} %uA\n", pl->name,
                             ngx_http_quotalane_outcome_names[k],
                             sh->requests[i][k]);
        }
    }

    p = ngx_http_quotalane_prom_head(p, last,
            "quotalane_upstream_responses_total", "counter",
            "Upstream answers passed to clients, by platform and class.");

    for (i = 0; i < QL_PLATFORM_COUNT; i++) {
        pl = ql_platform_get((ql_platform_id_t) i);
        for (k = 0; k < 6; k++) {
            p = ngx_slprintf(p, last, "quotalane_upstream_responses_total{"
                             "platform=\"%s\",class=\"%s\"} %uA\n", pl->name,
                             ngx_http_quotalane_class_names[k],
                             sh->upstream[i][k]);
        }
    }

    p = ngx_http_quotalane_prom_head(p, last, "quotalane_failovers_total",
            "counter", "Upstream failures retried on another account, by "
            "platform and the failed answer.");

    for (i = 0; i < QL_PLATFORM_COUNT; i++) {
        pl = ql_platform_get((ql_platform_id_t) i);
        for (k = 0; k < 6; k++) {
            p = ngx_slprintf(p, last, "quotalane_failovers_total{platform="
                             "\"%s\",status=\"%s\"} %uA\n", pl->name,
                             ngx_http_quotalane_failover_names[k],
                             sh->failovers[i][k]);
        }
    }

    p = ngx_http_quotalane_prom_head(p, last, "quotalane_picks_total",
            "counter", "Accounts the scheduler picked: fresh (Headroom), "
            "sticky (the session's), bound (the key's account or group), "
            "cached (Redis down: the last pick).");

    for (i = 0; i < QL_PLATFORM_COUNT; i++) {
        pl = ql_platform_get((ql_platform_id_t) i);
        for (k = 0; k < NGX_HTTP_QUOTALANE_PICKS; k++) {
            p = ngx_slprintf(p, last, "quotalane_picks_total{platform=\"%s\","
                             "kind=\"%s\"} %uA\n", pl->name,
                             ngx_http_quotalane_pick_names[k],
                             sh->picks[i][k]);
        }
    }

    p = ngx_http_quotalane_prom_head(p, last, "quotalane_redis_ops_total",
            "counter", "Redis calls by script and result (failed: timeout "
            "or connection lost).");

    for (i = 0; i < NGX_HTTP_QUOTALANE_SCRIPTS; i++) {
        for (k = 0; k < NGX_HTTP_QUOTALANE_REDIS_RESULTS; k++) {
            p = ngx_slprintf(p, last, "quotalane_redis_ops_total{script="
                             "\"%s\",result=\"%s\"} %uA\n",
                             ngx_http_quotalane_script_names[i],
                             ngx_http_quotalane_result_names[k],
                             sh->redis[i][k]);
        }
    }

    p = ngx_http_quotalane_prom_head(p, last,
            "quotalane_redis_op_duration_seconds", "histogram",
            "Redis round trips that succeeded, by script.");

    for (i = 0; i < NGX_HTTP_QUOTALANE_SCRIPTS; i++) {
        ngx_sprintf(labels, "script=\"%s\"%Z",
                    ngx_http_quotalane_script_names[i]);
        p = ngx_http_quotalane_prom_histogram(p, last,
                "quotalane_redis_op_duration_seconds", (char *) labels,
                &sh->redis_usec[i], ngx_http_quotalane_us_bounds,
                NGX_HTTP_QUOTALANE_US_BUCKETS, 1000000);
    }

    p = ngx_http_quotalane_prom_head(p, last,
            "quotalane_redis_disconnects_total", "counter",
            "Connections to Redis lost or refused (timeouts included).");
    p = ngx_slprintf(p, last, "quotalane_redis_disconnects_total %uA\n",
                     sh->redis_lost);

    p = ngx_http_quotalane_prom_head(p, last, "quotalane_key_cache_total",
            "counter", "Key lookups in the shared key cache by result.");

    for (k = 0; k < 3; k++) {
        p = ngx_slprintf(p, last, "quotalane_key_cache_total{result=\"%s\"} "
                         "%uA\n", ngx_http_quotalane_cache_names[k],
                         sh->key_cache[k]);
    }

    p = ngx_http_quotalane_prom_head(p, last, "quotalane_responses_active",
            "gauge", "Upstream answers being passed to clients now.");
    p = ngx_slprintf(p, last, "quotalane_responses_active %A\n",
                     (ngx_atomic_int_t)
                     sh->gauges[NGX_HTTP_QUOTALANE_GAUGE_RESPONSES]);

    p = ngx_http_quotalane_prom_head(p, last,
            "quotalane_usage_records_waiting", "gauge",
            "Usage records held in worker memory until Redis takes them.");
    p = ngx_slprintf(p, last, "quotalane_usage_records_waiting %A\n",
                     (ngx_atomic_int_t)
                     sh->gauges[NGX_HTTP_QUOTALANE_GAUGE_USAGE_WAITING]);

    p = ngx_http_quotalane_prom_head(p, last,
            "quotalane_gateway_overhead_seconds", "histogram",
            "Time from the request's start to its upstream pick (key, "
            "body, Redis), of proxied requests.");
    p = ngx_http_quotalane_prom_histogram(p, last,
            "quotalane_gateway_overhead_seconds", "", &sh->overhead_ms,
            ngx_http_quotalane_ms_bounds, NGX_HTTP_QUOTALANE_MS_BUCKETS,
            1000);

    p = ngx_http_quotalane_prom_head(p, last,
            "quotalane_upstream_ttfb_seconds", "histogram",
            "Time to the upstream's first byte, of proxied requests.");
    p = ngx_http_quotalane_prom_histogram(p, last,
            "quotalane_upstream_ttfb_seconds", "", &sh->ttfb_ms,
            ngx_http_quotalane_ms_bounds, NGX_HTTP_QUOTALANE_MS_BUCKETS,
            1000);

    return ngx_http_quotalane_prom_models(p, last, sh);
}


static ngx_int_t
ngx_http_quotalane_metrics_handler(ngx_http_request_t *r)
{
    size_t                            size;
    ngx_int_t                         rc;
    ngx_buf_t                        *b;
    ngx_chain_t                       out;
    ngx_http_quotalane_metrics_sh_t  *sh;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    sh = ngx_http_quotalane_metrics_sh();
    if (sh == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    size = NGX_HTTP_QUOTALANE_PROM_BASE
           + (NGX_HTTP_QUOTALANE_METRICS_MODELS + 1)
             * NGX_HTTP_QUOTALANE_PROM_MODEL;

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_http_quotalane_prom_render(b->pos, b->end, sh);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


char *
ngx_http_quotalane_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_quotalane_metrics_handler;

    return NGX_CONF_OK;
}
