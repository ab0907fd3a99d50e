/*
 * `quotalane_error <platform>`: a content handler that answers nginx's
 * own errors (bad framing, header or body too large, a limit_conn
 * refusal) in the platform's error JSON instead of nginx's HTML.  Meant
 * for an internal location that error_page sends those statuses to (a
 * URI, not a named location: a request whose request line was refused
 * has no URI to take there); reached without an error it answers 404.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


static ngx_int_t
ngx_http_quotalane_error_page_handler(ngx_http_request_t *r)
{
    ngx_uint_t                      status;
    const char                     *message;
    ql_error_kind_t                 kind;
    ngx_http_quotalane_loc_conf_t  *qlcf;

    qlcf = ngx_http_get_module_loc_conf(r, ngx_http_quotalane_module);

    status = r->err_status ? r->err_status : NGX_HTTP_NOT_FOUND;

    kind = ql_error_kind_by_status(status, &message);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    return ngx_http_quotalane_error_output(r, qlcf->error_platform, status,
                                           kind, message, 0);
}


/* quotalane_error claude | gemini | openai | bedrock */
char *
ngx_http_quotalane_error_page(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_quotalane_loc_conf_t  *qlcf = conf;

    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    if (qlcf->error_platform != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    qlcf->error_platform = ql_platform_by_name(value[1].data, value[1].len);
    if (qlcf->error_platform == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown platform \"%V\" (expected one of: %s)",
                           &value[1], ql_platform_names());
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_quotalane_error_page_handler;

    return NGX_CONF_OK;
}
