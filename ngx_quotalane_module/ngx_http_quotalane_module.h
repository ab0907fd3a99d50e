/*
 * QuotaLane gateway module: shared declarations.
 */

#ifndef _NGX_HTTP_QUOTALANE_MODULE_H_INCLUDED_
#define _NGX_HTTP_QUOTALANE_MODULE_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ql_account_type.h"
#include "ql_apikey.h"
#include "ql_json_member.h"
#include "ql_crypto.h"
#include "ql_platform.h"
#include "ql_pricing.h"
#include "ql_route.h"
#include "ql_trace.h"
#include "ql_sigv4.h"
#include "ql_bedrock_stream.h"
#include "ngx_http_quotalane_metrics.h"
#include "ql_usage_strip.h"
#include "ql_unwrap.h"
#include "ql_usage.h"
#include "ngx_http_quotalane_cache.h"
#include "ngx_http_quotalane_redis.h"
#include "ngx_http_quotalane_scripts.h"


#define NGX_HTTP_QUOTALANE_REDIS_FAIL_CLOSED  0
#define NGX_HTTP_QUOTALANE_REDIS_FAIL_CACHE   1

/* a password file larger than this is not a password file */
#define NGX_HTTP_QUOTALANE_SECRET_MAX         4096


typedef struct {
    ngx_http_quotalane_redis_conf_t    redis;
    ngx_url_t                         *redis_url;
    ngx_str_t                          prefix;
    ngx_uint_t                         redis_fail;

    size_t                             key_cache_size;
    ngx_msec_t                         key_cache_ttl;
    ngx_msec_t                         key_cache_negative_ttl;
    ngx_http_quotalane_cache_t        *key_cache;

    ngx_str_t                          master_key_file;
    ql_master_key_t                   *master_key;

    ngx_http_quotalane_redis_script_t *key_script;
    ngx_http_quotalane_redis_script_t *select_script;
    ngx_http_quotalane_redis_script_t *feedback_script;
    ngx_http_quotalane_redis_script_t *usage_script;

    ngx_str_t                          pricing_file;
    ql_pricing_t                      *pricing;
    ngx_msec_t                         lease_time;
    ngx_msec_t                         usage_drain_timeout;
    time_t                             session_ttl;

    ngx_msec_t                         cooldown_rate_limit;
    ngx_msec_t                         cooldown_overloaded;
    ngx_msec_t                         cooldown_auth;
    ngx_msec_t                         cooldown_error;
    ngx_uint_t                         health_penalty;
    ngx_uint_t                         health_recovery;
    ngx_uint_t                         circuit_threshold;
    ngx_msec_t                         circuit_open_time;
    ngx_uint_t                         failover_attempts;

    ngx_uint_t                         gateways;  /* locations using us */
} ngx_http_quotalane_main_conf_t;


typedef struct {
    /* NULL when the gateway is off in this location */
    const ql_platform_t               *platform;
    const ql_pool_t                   *pool;      /* scheduled from */
    size_t                             body_limit;

    /* quotalane_error: the shape nginx's own errors are answered in */
    const ql_platform_t               *error_platform;

    /* per worker: this location's, intercepting failover errors only */
    void                             **passthrough_conf;
} ngx_http_quotalane_loc_conf_t;


/* An API key record as admind publishes it (proto/redis_layout.md). */
typedef struct {
    ngx_str_t                          id;
    ngx_str_t                          user_id;
    ngx_str_t                          status;
    time_t                             expires_at;
    ngx_str_t                          permissions;
    ngx_str_t                          allowed_clients;
    ngx_str_t                          blocked_models;
    ngx_int_t                          concurrency_limit;
    ngx_str_t                          account_id;
    ngx_str_t                          group_id;

    /* limits, passed to the select script as they are (decimal) */
    ngx_str_t                          rate_window;
    ngx_str_t                          rate_requests;
    ngx_str_t                          rate_tokens;
    ngx_str_t                          rate_cost;
    ngx_str_t                          daily_cost_limit;
    ngx_str_t                          weekly_cost_limit;
    ngx_int_t                          weekly_reset;  /* hours after Mon 0h */
    ngx_str_t                          total_cost_limit;
    ngx_str_t                          quota_limit;
    ngx_str_t                          quota_bucket;
} ngx_http_quotalane_key_t;


/* The account the scheduler picked, ready for proxy_pass. */
typedef struct {
    ngx_str_t                          id;
    ngx_str_t                          type;
    ngx_str_t                          scheme;
    ngx_str_t                          host;
    ngx_addr_t                         addr;
    ngx_str_t                          path_prefix;
    const ql_account_type_t           *row;          /* by type */
    ngx_str_t                          envelope;     /* encrypted */
    ngx_str_t                          cred_version;
    ngx_str_t                          credential;   /* decrypted */

    /* the model the vendor gets, if the account maps it; else empty */
    ngx_str_t                          upstream_model;
    ngx_str_t                          chatgpt_account_id;
    ngx_str_t                          project_id;
    ngx_str_t                          azure_deployment;
    ngx_str_t                          azure_api_version;
    ngx_str_t                          aws_region;
    ngx_str_t                          aws_access_key_id;  /* "": bearer */
    ql_sigv4_key_t                    *sigv4;   /* cached with the secret */
    unsigned                           degraded:1;   /* report successes */
    unsigned                           leased:1;     /* picked by Redis */
} ngx_http_quotalane_account_t;


/*
 * A response transform (ngx_http_quotalane_transform.c): an incremental
 * ql_ transform's state and its feed and finish, which hand their output
 * to emit(data, p, len); both return 0, or -1 on failure.
 */
typedef int (*ngx_http_quotalane_xform_feed_pt)(void *state,
    const unsigned char *p, size_t len, ql_emit_pt emit, void *data);
typedef int (*ngx_http_quotalane_xform_finish_pt)(void *state,
    ql_emit_pt emit, void *data);

typedef struct ngx_http_quotalane_ctx_s  ngx_http_quotalane_ctx_t;

typedef struct {
    ngx_http_quotalane_xform_feed_pt    feed;
    ngx_http_quotalane_xform_finish_pt  finish;
    void                               *state;

    /* the usage parser reads the output, not the vendor's bytes */
    ngx_http_quotalane_ctx_t           *usage;

    ngx_http_request_t                 *request;  /* set once it applies */
    ngx_chain_t                       **last_out;
    ngx_buf_t                          *buf;
    ngx_chain_t                        *free;
    ngx_chain_t                        *busy;
    unsigned                            done:1;
    unsigned                            bedrock:1;  /* errors, too */
} ngx_http_quotalane_xform_t;


typedef enum {
    NGX_HTTP_QUOTALANE_STATE_START = 0,
    NGX_HTTP_QUOTALANE_STATE_KEY_WAIT,
    NGX_HTTP_QUOTALANE_STATE_KEY_DONE,
    NGX_HTTP_QUOTALANE_STATE_BODY_WAIT,
    NGX_HTTP_QUOTALANE_STATE_BODY_DONE,
    NGX_HTTP_QUOTALANE_STATE_SELECT_WAIT,
    NGX_HTTP_QUOTALANE_STATE_SELECT_DONE,
    NGX_HTTP_QUOTALANE_STATE_ALLOWED,
    NGX_HTTP_QUOTALANE_STATE_REJECTED
} ngx_http_quotalane_state_e;


/* Per-request state, created in the access phase. */
struct ngx_http_quotalane_ctx_s {
    ngx_http_request_t                *request;
    const ql_platform_t               *platform;
    const ql_pool_t                   *pool;     /* ccr: by the model */
    const ql_route_t                  *route;    /* NULL: not declared */
    ql_route_match_t                   match;
    ngx_http_quotalane_state_e         state;
    ngx_http_quotalane_redis_op_t     *op;       /* pending Redis call */

    u_char                             digest[QL_APIKEY_DIGEST_HEX];
    ngx_http_quotalane_key_t           key;
    ngx_str_t                          key_record;  /* serialized */
    ngx_str_t                          body;        /* as the client sent */
    ngx_str_t                          model;
    ngx_str_t                          sched_model; /* "ccr," stripped */
    unsigned                           stream:1;       /* "stream":true */
    unsigned                           client_usage:1; /* include_usage */
    unsigned                           strip_usage:1;  /* we asked for it */
    unsigned                           body_replaced:1; /* bufs are ours */
    u_char                             session[32];   /* hex, or empty */
    unsigned                           has_session:1;
    u_char                             request_id[32];
    ngx_str_t                          request_id_str; /* for variables */

    /* W3C trace context: the client's trace, or ours; our hop upstream */
    u_char                             trace_id[QL_TRACE_ID_LEN];
    u_char                             traceparent[QL_TRACEPARENT_LEN];
    ngx_str_t                          trace_id_str;
    ngx_str_t                          traceparent_str;
    ngx_str_t                          platform_name;
    ngx_uint_t                         retry_after;    /* seconds, 429 */

    /* the vendor's usage windows, for the account record (usage.lua) */
    ngx_str_t                          windows;
    ngx_msec_t                         windows_until;  /* unix ms, 0 */

    /* failover: accounts that failed this request, and how often */
    ngx_str_t                          excluded;
    ngx_uint_t                         attempts;
    ngx_uint_t                         failed_status;
    ngx_pool_cleanup_t                *holder;        /* current lease */

    /* usage, read from the answer as it streams by */
    ngx_msec_t                         start_ms;      /* unix ms */
    ngx_msec_t                         picked_ms;     /* ready to proxy */
    ngx_msec_t                         ttfb_ms;
    ngx_uint_t                         upstream_status;
    ql_usage_parser_t                 *usage_parser;
    ql_usage_t                         usage;
    ql_cost_t                          cost;
    ngx_http_quotalane_xform_t        *xform;         /* NULL: as is */
    unsigned                           body_done:1;   /* last_buf passed */
    unsigned                           usage_final:1;
    unsigned                           recorded:1;
    unsigned                           responding:1;  /* a gauge's +1 */
    unsigned                           sticky:1;      /* session's pick */

    ngx_http_quotalane_account_t       account;
    ngx_str_t                          upstream_uri;
    ngx_str_t                          upstream_authorization;
    ngx_str_t                          upstream_x_api_key;
    ngx_str_t                          upstream_api_key;
    ngx_str_t                          upstream_goog_api_key;
    ngx_str_t                          upstream_anthropic_beta;
    ngx_str_t                          upstream_amz_date;     /* SigV4 */
    ngx_str_t                          upstream_amz_security_token;

    /* set by a Redis reply, acted on when the phases run again */
    ql_error_kind_t                    error_kind;
    const char                        *error_message;
};


ngx_int_t ngx_http_quotalane_add_variables(ngx_conf_t *cf);

ngx_int_t ngx_http_quotalane_access_handler(ngx_http_request_t *r);

/* key: extraction, records, policy */
ngx_int_t ngx_http_quotalane_key_extract(ngx_http_request_t *r,
    ngx_str_t *key);
ngx_int_t ngx_http_quotalane_key_fetch(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx,
    ngx_http_quotalane_redis_handler_pt handler);
ngx_int_t ngx_http_quotalane_key_record_from_reply(ngx_pool_t *pool,
    redisReply *reply, ngx_str_t *record);
ngx_int_t ngx_http_quotalane_key_parse(ngx_str_t *record,
    ngx_http_quotalane_key_t *key);
ngx_int_t ngx_http_quotalane_key_check(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
ngx_int_t ngx_http_quotalane_key_check_model(ngx_http_quotalane_ctx_t *ctx);

/* route: method, path and query against the platform's route table */
ngx_int_t ngx_http_quotalane_route_method(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
ngx_int_t ngx_http_quotalane_route_allow(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
ngx_int_t ngx_http_quotalane_route_args(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_str_t *args);

/* body: read it, take the model */
ngx_int_t ngx_http_quotalane_body_model(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);

/* select: the account pick (select.lua) */
ngx_int_t ngx_http_quotalane_select(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx,
    ngx_http_quotalane_redis_handler_pt handler);
ngx_int_t ngx_http_quotalane_select_reply(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, redisReply *reply);
ngx_int_t ngx_http_quotalane_select_fallback(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
void ngx_http_quotalane_select_exit_process(void);

/* credential: the picked account's secret, decrypted and cached */
ngx_str_t *ngx_http_quotalane_credential(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
void ngx_http_quotalane_credential_exit_process(void);

/* upstream: the request as the account's vendor gets it, the balancer */
ngx_int_t ngx_http_quotalane_upstream_prepare(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
ngx_int_t ngx_http_quotalane_body_set(ngx_http_request_t *r,
    ngx_str_t *body);

/* passthrough: the vendor's own errors reach the client */
ngx_int_t ngx_http_quotalane_passthrough(ngx_http_request_t *r);

/* bedrock: the model id, the body and the SigV4 signature Bedrock takes */
ngx_int_t ngx_http_quotalane_bedrock_model(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
ngx_int_t ngx_http_quotalane_bedrock_body(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_str_t *body);
ngx_int_t ngx_http_quotalane_bedrock_sign(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
ngx_int_t ngx_http_quotalane_bedrock_xform(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_http_quotalane_xform_t *x);
ngx_int_t ngx_http_quotalane_bedrock_xform_header(ngx_http_request_t *r,
    ngx_http_quotalane_xform_t *x);

/* lease: renewal while the request runs, release when it ends */
ngx_int_t ngx_http_quotalane_lease_start(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
void ngx_http_quotalane_lease_release(ngx_http_quotalane_ctx_t *ctx);
void ngx_http_quotalane_lease_handoff(ngx_http_quotalane_ctx_t *ctx);

/* feedback: what upstream answers say about accounts */
ngx_int_t ngx_http_quotalane_feedback_init(ngx_conf_t *cf);
void ngx_http_quotalane_feedback(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_uint_t status,
    ngx_http_upstream_t *u);
ngx_uint_t ngx_http_quotalane_feedback_retryable(ngx_uint_t status);
ngx_uint_t ngx_http_quotalane_feedback_retry_after(ngx_http_upstream_t *u);
ngx_table_elt_t *ngx_http_quotalane_upstream_header(ngx_http_upstream_t *u,
    const char *name);

/* transform: the answer as the client must see it */
ngx_int_t ngx_http_quotalane_transform_init(ngx_conf_t *cf);
ngx_int_t ngx_http_quotalane_transform_set(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);

/* usage: body filter, pricing, the record at the log phase */
ngx_int_t ngx_http_quotalane_usage_init(ngx_conf_t *cf);
void ngx_http_quotalane_usage_init_process(
    ngx_http_quotalane_main_conf_t *qmcf);
void ngx_http_quotalane_usage_exit_process(void);
void ngx_http_quotalane_usage_start(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
void ngx_http_quotalane_usage_final(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
ngx_msec_t ngx_http_quotalane_now_ms(void);
void ngx_http_quotalane_periods(ngx_http_quotalane_key_t *key, time_t now,
    time_t *day, time_t *week);

/* failover: a failed attempt comes back here through error_page */
ngx_http_quotalane_ctx_t *ngx_http_quotalane_ctx_restore(
    ngx_http_request_t *r);
ngx_int_t ngx_http_quotalane_ctx_keep(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
ngx_int_t ngx_http_quotalane_failover(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
ngx_int_t ngx_http_quotalane_failover_error(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);
void ngx_http_quotalane_lease_orphan(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx);

/* the platform's own error JSON; finalizes the request */
ngx_int_t ngx_http_quotalane_send_error(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ql_error_kind_t kind,
    const char *message);

/* sends it; returns what a content handler returns */
ngx_int_t ngx_http_quotalane_error_output(ngx_http_request_t *r,
    const ql_platform_t *platform, ngx_uint_t status, ql_error_kind_t kind,
    const char *message, ngx_uint_t retry_after);

char *ngx_http_quotalane_error_page(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

char *ngx_http_quotalane_upstream(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

extern ngx_module_t  ngx_http_quotalane_module;

#endif /* _NGX_HTTP_QUOTALANE_MODULE_H_INCLUDED_ */
