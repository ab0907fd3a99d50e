/*
 * Variables the module exposes to nginx.conf: the upstream request
 * (proxy_pass, proxy_set_header) and the request's identity for logs.
 * Credential variables are for proxy_set_header only: never log them.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


static ngx_int_t ngx_http_quotalane_platform_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_quotalane_str_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_quotalane_usage_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_quotalane_timing_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


/* what $quotalane_overhead_ms and its neighbours say */
enum {
    NGX_HTTP_QUOTALANE_VAR_OVERHEAD = 0,
    NGX_HTTP_QUOTALANE_VAR_TTFB,
    NGX_HTTP_QUOTALANE_VAR_FAILOVERS,
    NGX_HTTP_QUOTALANE_VAR_STICKY
};


#define ngx_http_quotalane_usage_var(name, field)                            \
    { ngx_string(name), NULL, ngx_http_quotalane_usage_variable,             \
      offsetof(ngx_http_quotalane_ctx_t, field),                             \
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_NOHASH, 0 }


#define ngx_http_quotalane_str_var(name, field)                              \
    { ngx_string(name), NULL, ngx_http_quotalane_str_variable,               \
      offsetof(ngx_http_quotalane_ctx_t, field),                             \
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_NOHASH, 0 }


static ngx_http_variable_t  ngx_http_quotalane_vars[] = {

    { ngx_string("quotalane_platform"), NULL,
      ngx_http_quotalane_platform_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_NOHASH, 0 },

    ngx_http_quotalane_str_var("quotalane_request_id", request_id_str),
    ngx_http_quotalane_str_var("quotalane_trace_id", trace_id_str),
    ngx_http_quotalane_str_var("quotalane_traceparent", traceparent_str),
    ngx_http_quotalane_str_var("quotalane_key_id", key.id),
    ngx_http_quotalane_str_var("quotalane_user_id", key.user_id),
    ngx_http_quotalane_str_var("quotalane_account_id", account.id),
    ngx_http_quotalane_str_var("quotalane_model", model),
    ngx_http_quotalane_str_var("quotalane_upstream_scheme", account.scheme),
    ngx_http_quotalane_str_var("quotalane_upstream_host", account.host),
    ngx_http_quotalane_str_var("quotalane_upstream_uri", upstream_uri),
    ngx_http_quotalane_str_var("quotalane_upstream_authorization",
                               upstream_authorization),
    ngx_http_quotalane_str_var("quotalane_upstream_x_api_key",
                               upstream_x_api_key),
    ngx_http_quotalane_str_var("quotalane_upstream_api_key",
                               upstream_api_key),
    ngx_http_quotalane_str_var("quotalane_upstream_goog_api_key",
                               upstream_goog_api_key),
    ngx_http_quotalane_str_var("quotalane_upstream_chatgpt_account_id",
                               account.chatgpt_account_id),
    ngx_http_quotalane_str_var("quotalane_upstream_anthropic_beta",
                               upstream_anthropic_beta),
    ngx_http_quotalane_str_var("quotalane_upstream_amz_date",
                               upstream_amz_date),
    ngx_http_quotalane_str_var("quotalane_upstream_amz_security_token",
                               upstream_amz_security_token),

    ngx_http_quotalane_usage_var("quotalane_input_tokens",
                                 usage.input_tokens),
    ngx_http_quotalane_usage_var("quotalane_output_tokens",
                                 usage.output_tokens),
    ngx_http_quotalane_usage_var("quotalane_cache_creation_tokens",
                                 usage.cache_creation_tokens),
    ngx_http_quotalane_usage_var("quotalane_cache_read_tokens",
                                 usage.cache_read_tokens),
    ngx_http_quotalane_usage_var("quotalane_cost_micros", cost.micro),

    { ngx_string("quotalane_overhead_ms"), NULL,
      ngx_http_quotalane_timing_variable, NGX_HTTP_QUOTALANE_VAR_OVERHEAD,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_NOHASH, 0 },

    { ngx_string("quotalane_ttfb_ms"), NULL,
      ngx_http_quotalane_timing_variable, NGX_HTTP_QUOTALANE_VAR_TTFB,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_NOHASH, 0 },

    { ngx_string("quotalane_failovers"), NULL,
      ngx_http_quotalane_timing_variable, NGX_HTTP_QUOTALANE_VAR_FAILOVERS,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_NOHASH, 0 },

    { ngx_string("quotalane_sticky"), NULL,
      ngx_http_quotalane_timing_variable, NGX_HTTP_QUOTALANE_VAR_STICKY,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_NOHASH, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_quotalane_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_quotalane_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static void
ngx_http_quotalane_set_value(ngx_http_variable_value_t *v, u_char *data,
    size_t len)
{
    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
}


/*
 * The request's platform, else the gateway location's: error_page names
 * its target with it also for errors raised before the access phase
 * (client_max_body_size).
 */
static ngx_int_t
ngx_http_quotalane_platform_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_quotalane_ctx_t       *ctx;
    ngx_http_quotalane_loc_conf_t  *qlcf;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_quotalane_module);

    if (ctx != NULL) {
        ngx_http_quotalane_set_value(v, ctx->platform_name.data,
                                     ctx->platform_name.len);
        return NGX_OK;
    }

    qlcf = ngx_http_get_module_loc_conf(r, ngx_http_quotalane_module);

    if (qlcf->platform == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_quotalane_set_value(v, (u_char *) qlcf->platform->name,
                                 ngx_strlen(qlcf->platform->name));

    return NGX_OK;
}


static ngx_int_t
ngx_http_quotalane_str_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                 *s;
    ngx_http_quotalane_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_quotalane_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((u_char *) ctx + data);

    /* an empty value makes proxy_set_header drop the header */
    ngx_http_quotalane_set_value(v, s->data, s->len);

    return NGX_OK;
}


/* A usage count (uint64_t in ctx); final once the response is over. */
static ngx_int_t
ngx_http_quotalane_usage_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                    *p;
    ngx_http_quotalane_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_quotalane_module);

    if (ctx == NULL || ctx->account.id.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_quotalane_usage_final(r->main, ctx);

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_quotalane_set_value(v, p,
        ngx_sprintf(p, "%uL", *(uint64_t *) ((u_char *) ctx + data)) - p);

    return NGX_OK;
}


/*
 * The gateway's own time before proxying (ms), the upstream's time from
 * the pick to its first byte (ms; 0 before one came), how many accounts
 * failed before the one that answered, and whether the session's account
 * took it (1 or 0); only for requests that reached an account.
 */
static ngx_int_t
ngx_http_quotalane_timing_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                    *p;
    uint64_t                   n, overhead;
    ngx_http_quotalane_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_quotalane_module);

    if (ctx == NULL || ctx->picked_ms == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    overhead = ctx->picked_ms - ctx->start_ms;

    switch (data) {
    case NGX_HTTP_QUOTALANE_VAR_OVERHEAD:
        n = overhead;
        break;

    case NGX_HTTP_QUOTALANE_VAR_TTFB:
        n = ctx->ttfb_ms > overhead ? ctx->ttfb_ms - overhead : 0;
        break;

    case NGX_HTTP_QUOTALANE_VAR_STICKY:
        n = ctx->sticky;
        break;

    default:
        n = ctx->attempts;
        break;
    }

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_quotalane_set_value(v, p, ngx_sprintf(p, "%uL", n) - p);

    return NGX_OK;
}
