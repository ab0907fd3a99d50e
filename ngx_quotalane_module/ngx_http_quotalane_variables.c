/*
 * Variables the module exposes to nginx.conf (proxy headers, logs).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


static ngx_int_t ngx_http_quotalane_platform_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_quotalane_vars[] = {

    { ngx_string("quotalane_platform"), NULL,
      ngx_http_quotalane_platform_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

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


/* The platform of a request the gateway handled; empty otherwise. */
static ngx_int_t
ngx_http_quotalane_platform_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_quotalane_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_quotalane_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = (u_char *) ctx->platform->name;
    v->len = ngx_strlen(ctx->platform->name);
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}
