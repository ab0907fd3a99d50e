/*
 * QuotaLane gateway module: directives, configuration and the access
 * phase entry point of a `quotalane_gateway` location.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


static void *ngx_http_quotalane_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_quotalane_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_quotalane_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_quotalane_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_quotalane_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_quotalane_gateway(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_quotalane_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_quotalane_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_quotalane_access_handler(ngx_http_request_t *r);


static ngx_command_t  ngx_http_quotalane_commands[] = {

    { ngx_string("quotalane_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_quotalane_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("quotalane_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, redis_timeout),
      NULL },

    { ngx_string("quotalane_gateway"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_quotalane_gateway,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_quotalane_module_ctx = {
    ngx_http_quotalane_preconfiguration,   /* preconfiguration */
    ngx_http_quotalane_postconfiguration,  /* postconfiguration */

    ngx_http_quotalane_create_main_conf,   /* create main configuration */
    ngx_http_quotalane_init_main_conf,     /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_quotalane_create_loc_conf,    /* create location configuration */
    ngx_http_quotalane_merge_loc_conf      /* merge location configuration */
};


ngx_module_t  ngx_http_quotalane_module = {
    NGX_MODULE_V1,
    &ngx_http_quotalane_module_ctx,        /* module context */
    ngx_http_quotalane_commands,           /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_quotalane_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_quotalane_main_conf_t  *qmcf;

    qmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_quotalane_main_conf_t));
    if (qmcf == NULL) {
        return NULL;
    }

    qmcf->redis_timeout = NGX_CONF_UNSET_MSEC;

    return qmcf;
}


static char *
ngx_http_quotalane_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_quotalane_main_conf_t  *qmcf = conf;

    ngx_conf_init_msec_value(qmcf->redis_timeout, 1000);

    return NGX_CONF_OK;
}


static void *
ngx_http_quotalane_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_quotalane_loc_conf_t  *qlcf;

    qlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_quotalane_loc_conf_t));
    if (qlcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     qlcf->platform = NULL;
     */

    return qlcf;
}


static char *
ngx_http_quotalane_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_quotalane_loc_conf_t  *prev = parent;
    ngx_http_quotalane_loc_conf_t  *conf = child;

    ngx_http_quotalane_main_conf_t  *qmcf;

    if (conf->platform == NULL) {
        conf->platform = prev->platform;
    }

    if (conf->platform != NULL) {
        qmcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_quotalane_module);
        if (qmcf->redis == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"quotalane_gateway\" requires "
                               "\"quotalane_redis\" in the http block");
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* quotalane_redis 127.0.0.1:6379 | unix:/path/redis.sock */
static char *
ngx_http_quotalane_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_quotalane_main_conf_t  *qmcf = conf;

    ngx_str_t  *value;
    ngx_url_t  *u;

    if (qmcf->redis != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    u = ngx_pcalloc(cf->pool, sizeof(ngx_url_t));
    if (u == NULL) {
        return NGX_CONF_ERROR;
    }

    u->url = value[1];
    u->default_port = 6379;
    u->no_resolve = 1;

    if (ngx_parse_url(cf->pool, u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid redis address \"%V\"%s%s", &u->url,
                           u->err ? ": " : "", u->err ? u->err : "");
        return NGX_CONF_ERROR;
    }

    /*
     * Name resolution would block a worker: only literal addresses
     * and unix sockets are accepted.
     */
    if (u->naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "redis address \"%V\" must be an IP address "
                           "with port or unix:/path", &u->url);
        return NGX_CONF_ERROR;
    }

    qmcf->redis = u;

    return NGX_CONF_OK;
}


/* quotalane_gateway claude | gemini | openai | bedrock */
static char *
ngx_http_quotalane_gateway(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_quotalane_loc_conf_t  *qlcf = conf;

    ngx_str_t            *value;
    const ql_platform_t  *platform;

    if (qlcf->platform != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    platform = ql_platform_by_name(value[1].data, value[1].len);
    if (platform == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown platform \"%V\" (expected one of: %s)",
                           &value[1], ql_platform_names());
        return NGX_CONF_ERROR;
    }

    qlcf->platform = platform;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_quotalane_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_quotalane_add_variables(cf);
}


static ngx_int_t
ngx_http_quotalane_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_quotalane_access_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_quotalane_access_handler(ngx_http_request_t *r)
{
    ngx_http_quotalane_ctx_t       *ctx;
    ngx_http_quotalane_loc_conf_t  *qlcf;

    qlcf = ngx_http_get_module_loc_conf(r, ngx_http_quotalane_module);

    if (qlcf->platform == NULL || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_quotalane_module);
    if (ctx != NULL) {
        return NGX_DECLINED;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_quotalane_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->platform = qlcf->platform;

    ngx_http_set_ctx(r, ctx, ngx_http_quotalane_module);

    return NGX_DECLINED;
}
