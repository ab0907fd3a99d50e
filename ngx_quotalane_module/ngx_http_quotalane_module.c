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
static char *ngx_http_quotalane_redis_password_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_quotalane_gateway(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_quotalane_key_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_quotalane_load_pricing(ngx_conf_t *cf,
    ngx_http_quotalane_main_conf_t *qmcf);
static ngx_int_t ngx_http_quotalane_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_quotalane_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_quotalane_init_process(ngx_cycle_t *cycle);
static void ngx_http_quotalane_exit_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_http_quotalane_redis_fail_modes[] = {
    { ngx_string("closed"), NGX_HTTP_QUOTALANE_REDIS_FAIL_CLOSED },
    { ngx_string("cache"), NGX_HTTP_QUOTALANE_REDIS_FAIL_CACHE },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_quotalane_commands[] = {

    { ngx_string("quotalane_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_quotalane_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("quotalane_redis_user"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, redis.user),
      NULL },

    { ngx_string("quotalane_redis_password"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, redis.password),
      NULL },

    { ngx_string("quotalane_redis_password_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_quotalane_redis_password_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("quotalane_redis_db"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, redis.db),
      NULL },

    { ngx_string("quotalane_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, redis.timeout),
      NULL },

    { ngx_string("quotalane_redis_backoff_max"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, redis.backoff_max),
      NULL },

    { ngx_string("quotalane_redis_prefix"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, prefix),
      NULL },

    { ngx_string("quotalane_redis_fail"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, redis_fail),
      &ngx_http_quotalane_redis_fail_modes },

    { ngx_string("quotalane_key_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
      ngx_http_quotalane_key_cache,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("quotalane_master_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, master_key_file),
      NULL },

    { ngx_string("quotalane_pricing_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, pricing_file),
      NULL },

    { ngx_string("quotalane_lease_time"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, lease_time),
      NULL },

    { ngx_string("quotalane_usage_drain_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, usage_drain_timeout),
      NULL },

    { ngx_string("quotalane_session_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, session_ttl),
      NULL },

    { ngx_string("quotalane_cooldown_rate_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, cooldown_rate_limit),
      NULL },

    { ngx_string("quotalane_cooldown_overloaded"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, cooldown_overloaded),
      NULL },

    { ngx_string("quotalane_cooldown_auth"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, cooldown_auth),
      NULL },

    { ngx_string("quotalane_cooldown_error"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, cooldown_error),
      NULL },

    { ngx_string("quotalane_health_penalty"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, health_penalty),
      NULL },

    { ngx_string("quotalane_health_recovery"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, health_recovery),
      NULL },

    { ngx_string("quotalane_circuit_threshold"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, circuit_threshold),
      NULL },

    { ngx_string("quotalane_circuit_open_time"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, circuit_open_time),
      NULL },

    { ngx_string("quotalane_failover_attempts"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_quotalane_main_conf_t, failover_attempts),
      NULL },

    { ngx_string("quotalane_upstream"),
      NGX_HTTP_UPS_CONF|NGX_CONF_NOARGS,
      ngx_http_quotalane_upstream,
      0,
      0,
      NULL },

    { ngx_string("quotalane_body_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_quotalane_loc_conf_t, body_limit),
      NULL },

    { ngx_string("quotalane_gateway"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_quotalane_gateway,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("quotalane_error"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_quotalane_error_page,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("quotalane_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_quotalane_metrics,
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
    ngx_http_quotalane_init_process,       /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_quotalane_exit_process,       /* exit process */
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

    qmcf->redis.scripts = ngx_array_create(cf->pool, 4,
                                   sizeof(ngx_http_quotalane_redis_script_t));
    if (qmcf->redis.scripts == NULL) {
        return NULL;
    }

    qmcf->redis.db = NGX_CONF_UNSET;
    qmcf->redis.timeout = NGX_CONF_UNSET_MSEC;
    qmcf->redis.backoff_max = NGX_CONF_UNSET_MSEC;
    qmcf->redis_fail = NGX_CONF_UNSET_UINT;
    qmcf->key_cache_size = NGX_CONF_UNSET_SIZE;
    qmcf->lease_time = NGX_CONF_UNSET_MSEC;
    qmcf->usage_drain_timeout = NGX_CONF_UNSET_MSEC;
    qmcf->session_ttl = NGX_CONF_UNSET;
    qmcf->cooldown_rate_limit = NGX_CONF_UNSET_MSEC;
    qmcf->cooldown_overloaded = NGX_CONF_UNSET_MSEC;
    qmcf->cooldown_auth = NGX_CONF_UNSET_MSEC;
    qmcf->cooldown_error = NGX_CONF_UNSET_MSEC;
    qmcf->health_penalty = NGX_CONF_UNSET_UINT;
    qmcf->health_recovery = NGX_CONF_UNSET_UINT;
    qmcf->circuit_threshold = NGX_CONF_UNSET_UINT;
    qmcf->circuit_open_time = NGX_CONF_UNSET_MSEC;
    qmcf->failover_attempts = NGX_CONF_UNSET_UINT;

    return qmcf;
}


static char *
ngx_http_quotalane_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_quotalane_main_conf_t  *qmcf = conf;

    char                                err[256];
    ngx_str_t                           name, path;
    ngx_uint_t                          i;
    ngx_http_quotalane_redis_script_t  *script;

    struct {
        const char                          *name;
        ngx_str_t                           *body;
        ngx_http_quotalane_redis_script_t  **slot;
    } scripts[] = {
        { "key", &ngx_http_quotalane_key_lua, &qmcf->key_script },
        { "select", &ngx_http_quotalane_select_lua, &qmcf->select_script },
        { "feedback", &ngx_http_quotalane_feedback_lua,
          &qmcf->feedback_script },
        { "usage", &ngx_http_quotalane_usage_lua, &qmcf->usage_script },
    };

    ngx_conf_init_value(qmcf->redis.db, 0);
    ngx_conf_init_msec_value(qmcf->redis.timeout, 1000);
    ngx_conf_init_msec_value(qmcf->redis.backoff_max, 2000);
    ngx_conf_init_uint_value(qmcf->redis_fail,
                             NGX_HTTP_QUOTALANE_REDIS_FAIL_CLOSED);
    ngx_conf_init_msec_value(qmcf->lease_time, 60000);
    ngx_conf_init_msec_value(qmcf->usage_drain_timeout, 10000);
    ngx_conf_init_value(qmcf->session_ttl, 3600);
    ngx_conf_init_msec_value(qmcf->cooldown_rate_limit, 60000);
    ngx_conf_init_msec_value(qmcf->cooldown_overloaded, 600000);
    ngx_conf_init_msec_value(qmcf->cooldown_auth, 1800000);
    ngx_conf_init_msec_value(qmcf->cooldown_error, 300000);
    ngx_conf_init_uint_value(qmcf->health_penalty, 20);
    ngx_conf_init_uint_value(qmcf->health_recovery, 5);
    ngx_conf_init_uint_value(qmcf->circuit_threshold, 30);
    ngx_conf_init_msec_value(qmcf->circuit_open_time, 60000);
    ngx_conf_init_uint_value(qmcf->failover_attempts, 2);

    if (qmcf->lease_time < 300) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"quotalane_lease_time\" must be at least 300ms");
        return NGX_CONF_ERROR;
    }

    /* Redis refuses EX 0: every sticky request would fail */
    if (qmcf->session_ttl < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"quotalane_session_ttl\" must be at least 1s");
        return NGX_CONF_ERROR;
    }

    if (qmcf->prefix.data == NULL) {
        ngx_str_set(&qmcf->prefix, "ql:{main}:");
    }

    if (qmcf->redis_url) {
        qmcf->redis.addr = &qmcf->redis_url->addrs[0];
    }

    if (qmcf->redis.user.len && qmcf->redis.password.data == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"quotalane_redis_user\" requires "
                           "\"quotalane_redis_password_file\" or "
                           "\"quotalane_redis_password\"");
        return NGX_CONF_ERROR;
    }

    if (qmcf->key_cache_size == NGX_CONF_UNSET_SIZE) {
        ngx_str_set(&name, "quotalane_keys");
        qmcf->key_cache_size = 4 * 1024 * 1024;
        qmcf->key_cache_ttl = 5000;
        qmcf->key_cache_negative_ttl = 2000;
        qmcf->key_cache = ngx_http_quotalane_cache_create(cf, &name,
                              qmcf->key_cache_size, qmcf->key_cache_ttl,
                              qmcf->key_cache_negative_ttl);
        if (qmcf->key_cache == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    /* secrets are read here, by the master, never by the workers */
    if (qmcf->master_key_file.len) {
        path = qmcf->master_key_file;
        if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        qmcf->master_key = ngx_pcalloc(cf->pool, sizeof(ql_master_key_t));
        if (qmcf->master_key == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ql_master_key_load((const char *) path.data, qmcf->master_key,
                               err, sizeof(err))
            != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s", err);
            return NGX_CONF_ERROR;
        }
    }

    /* the array never grows past these: pointers into it stay valid */
    for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        script = ngx_array_push(qmcf->redis.scripts);
        if (script == NULL) {
            return NGX_CONF_ERROR;
        }

        script->name.data = (u_char *) scripts[i].name;
        script->name.len = ngx_strlen(scripts[i].name);
        script->body = *scripts[i].body;

        /* in ngx_http_quotalane_script_e's order: key, select, ... */
        script->metric = i;
        ngx_http_quotalane_redis_script_init(script);
        *scripts[i].slot = script;
    }

    if (qmcf->pricing_file.len
        && ngx_http_quotalane_load_pricing(cf, qmcf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void
ngx_http_quotalane_free_pricing(void *data)
{
    ql_pricing_free(data);
}


/* Prices are read at configuration time; `nginx -s reload` rereads them. */
static ngx_int_t
ngx_http_quotalane_load_pricing(ngx_conf_t *cf,
    ngx_http_quotalane_main_conf_t *qmcf)
{
    char                 err[512];
    ngx_str_t            path;
    ngx_pool_cleanup_t  *cln;

    path = qmcf->pricing_file;
    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    if (ql_pricing_load_file((const char *) path.data, &qmcf->pricing, err,
                             sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "pricing file \"%V\": %s",
                           &path, err);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_quotalane_free_pricing;
    cln->data = qmcf->pricing;

    return NGX_OK;
}


/* quotalane_key_cache 4m [ttl=5s] [negative_ttl=2s] */
static char *
ngx_http_quotalane_key_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_quotalane_main_conf_t  *qmcf = conf;

    ssize_t      size;
    ngx_str_t   *value, name, s;
    ngx_int_t    ms;
    ngx_uint_t   i;

    if (qmcf->key_cache_size != NGX_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[1]);
    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid key cache size \"%V\" (at least %uz)",
                           &value[1], 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    qmcf->key_cache_size = size;
    qmcf->key_cache_ttl = 5000;
    qmcf->key_cache_negative_ttl = 2000;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;
            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR) {
                goto invalid;
            }
            qmcf->key_cache_ttl = ms;
            continue;
        }

        if (ngx_strncmp(value[i].data, "negative_ttl=", 13) == 0) {
            s.data = value[i].data + 13;
            s.len = value[i].len - 13;
            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR) {
                goto invalid;
            }
            qmcf->key_cache_negative_ttl = ms;
            continue;
        }

        goto invalid;
    }

    ngx_str_set(&name, "quotalane_keys");

    qmcf->key_cache = ngx_http_quotalane_cache_create(cf, &name, size,
                          qmcf->key_cache_ttl, qmcf->key_cache_negative_ttl);
    if (qmcf->key_cache == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);
    return NGX_CONF_ERROR;
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
     *     qlcf->pool = NULL;
     *     qlcf->error_platform = NULL;
     */

    qlcf->body_limit = NGX_CONF_UNSET_SIZE;

    return qlcf;
}


/*
 * The body is read whole into memory: one nginx spilled to a temp file
 * would have to be read back with a blocking disk read in the worker.
 * So the buffer must hold the largest body the location accepts (nginx
 * allocates only what Content-Length needs).  The core module's settings
 * are merged before ours.
 */
static ngx_int_t
ngx_http_quotalane_check_body_buffer(ngx_conf_t *cf,
    ngx_http_quotalane_loc_conf_t *conf)
{
    size_t                     limit;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->client_body_in_file_only) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"client_body_in_file_only\" cannot be used "
                           "with \"quotalane_gateway\"");
        return NGX_ERROR;
    }

    limit = conf->body_limit;

    if (clcf->client_max_body_size
        && (size_t) clcf->client_max_body_size < limit)
    {
        limit = (size_t) clcf->client_max_body_size;
    }

    if (clcf->client_body_buffer_size < limit) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"client_body_buffer_size\" %uz is smaller "
                           "than the largest body this gateway accepts, "
                           "%uz (the smaller of \"quotalane_body_limit\" "
                           "and \"client_max_body_size\"): bodies would be "
                           "read back from temp files with blocking reads",
                           clcf->client_body_buffer_size, limit);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static char *
ngx_http_quotalane_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_quotalane_loc_conf_t  *prev = parent;
    ngx_http_quotalane_loc_conf_t  *conf = child;

    ngx_http_quotalane_main_conf_t  *qmcf;

    if (conf->platform == NULL) {
        conf->platform = prev->platform;
        conf->pool = prev->pool;
    }

    ngx_conf_merge_size_value(conf->body_limit, prev->body_limit,
                              32 * 1024 * 1024);

    if (conf->platform == NULL) {
        return NGX_CONF_OK;
    }

    if (ngx_http_quotalane_check_body_buffer(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    qmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_quotalane_module);
    qmcf->gateways++;

    if (qmcf->redis_url == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"quotalane_gateway\" requires "
                           "\"quotalane_redis\" in the http block");
        return NGX_CONF_ERROR;
    }

    if (qmcf->master_key == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"quotalane_gateway\" requires "
                           "\"quotalane_master_key_file\" in the "
                           "http block");
        return NGX_CONF_ERROR;
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

    if (qmcf->redis_url != NULL) {
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

    qmcf->redis_url = u;

    return NGX_CONF_OK;
}


/*
 * quotalane_redis_password_file /path: the first line of the file, read
 * now by the master (workers may not be able to read it), so that the
 * password stays out of nginx.conf.
 */
static char *
ngx_http_quotalane_redis_password_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_quotalane_main_conf_t  *qmcf = conf;

    u_char           *buf;
    size_t            len, size;
    ssize_t           n;
    ngx_str_t        *value, path;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    if (qmcf->redis.password.data != NULL) {
        return "is duplicate (or \"quotalane_redis_password\" is set)";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = path;
    file.log = cf->log;

    file.fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot open redis password file \"%V\"", &path);
        return NGX_CONF_ERROR;
    }

    buf = NULL;
    size = 0;
    n = NGX_ERROR;

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &path);
        goto done;
    }

    if (ngx_file_size(&fi) > NGX_HTTP_QUOTALANE_SECRET_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "redis password file \"%V\" is larger than %d "
                           "bytes", &path, NGX_HTTP_QUOTALANE_SECRET_MAX);
        goto done;
    }

    if (fi.st_mode & S_IROTH) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "redis password file \"%V\" is readable by all "
                           "users", &path);
    }

    size = (size_t) ngx_file_size(&fi);

    buf = ngx_pnalloc(cf->pool, size + 1);
    if (buf == NULL) {
        goto done;
    }

    n = ngx_read_file(&file, buf, size, 0);
    if (n == NGX_ERROR) {
        goto done;
    }

    /* "echo secret > file" adds a newline that is no part of the secret */
    len = (size_t) n;

    if (len && buf[len - 1] == LF) {
        len--;
        if (len && buf[len - 1] == CR) {
            len--;
        }
    }

    if (len == 0 || ngx_strlchr(buf, buf + len, LF) != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "redis password file \"%V\" must hold one "
                           "non-empty line", &path);
        n = NGX_ERROR;
        goto done;
    }

    buf[len] = '\0';
    qmcf->redis.password.data = buf;
    qmcf->redis.password.len = len;

done:

    if (ngx_close_file(file.fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", &path);
    }

    if (n == NGX_ERROR) {
        if (buf != NULL) {
            ngx_explicit_memzero(buf, size);
        }

        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * quotalane_gateway claude | gemini | openai | bedrock [pool=<name>]: the
 * platform's routes and error shape, scheduled from the pool of the same
 * name unless another is named (openai pool=azure, claude pool=droid).
 */
static char *
ngx_http_quotalane_gateway(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_quotalane_loc_conf_t  *qlcf = conf;

    ngx_str_t            *value, pool;
    const ql_pool_t      *p;
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

    pool = value[1];

    if (cf->args->nelts == 3) {
        if (value[2].len <= 5
            || ngx_strncmp(value[2].data, "pool=", 5) != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        pool.data = value[2].data + 5;
        pool.len = value[2].len - 5;
    }

    p = ql_pool_by_name(pool.data, pool.len);
    if (p == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "unknown pool \"%V\"",
                           &pool);
        return NGX_CONF_ERROR;
    }

    qlcf->platform = platform;
    qlcf->pool = p;

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

    if (ngx_http_quotalane_metrics_init(cf) != NGX_OK
        || ngx_http_quotalane_feedback_init(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /*
     * Before the usage filter, which therefore runs first and reads the
     * vendor's bytes (a stripped usage chunk still counts); a transform
     * whose output is what usage must be read from feeds it itself.
     */
    if (ngx_http_quotalane_transform_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_quotalane_usage_init(cf);
}


static ngx_int_t
ngx_http_quotalane_init_process(ngx_cycle_t *cycle)
{
    ngx_http_quotalane_main_conf_t  *qmcf;

    qmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_quotalane_module);

    /* no gateway location, no connection */
    if (qmcf == NULL || qmcf->gateways == 0 || qmcf->redis_url == NULL) {
        return NGX_OK;
    }

    ngx_http_quotalane_usage_init_process(qmcf);

    return ngx_http_quotalane_redis_init_process(cycle, &qmcf->redis);
}


static void
ngx_http_quotalane_exit_process(ngx_cycle_t *cycle)
{
    /* durable Redis operations hand their records back first */
    ngx_http_quotalane_redis_exit_process();
    ngx_http_quotalane_usage_exit_process();
    ngx_http_quotalane_select_exit_process();
    ngx_http_quotalane_credential_exit_process();
}
