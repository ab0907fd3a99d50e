/*
 * QuotaLane gateway module: shared declarations.
 */

#ifndef NGX_HTTP_QUOTALANE_MODULE_H
#define NGX_HTTP_QUOTALANE_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ql_platform.h"


typedef struct {
    ngx_url_t                 *redis;
    ngx_msec_t                 redis_timeout;
} ngx_http_quotalane_main_conf_t;


typedef struct {
    /* NULL when the gateway is off in this location */
    const ql_platform_t       *platform;
} ngx_http_quotalane_loc_conf_t;


/* Per-request state, created in the access phase. */
typedef struct {
    const ql_platform_t       *platform;
} ngx_http_quotalane_ctx_t;


ngx_int_t ngx_http_quotalane_add_variables(ngx_conf_t *cf);

extern ngx_module_t  ngx_http_quotalane_module;

#endif /* NGX_HTTP_QUOTALANE_MODULE_H */
