/*
 * Non-blocking Redis client driven by the nginx event loop: one pipelined
 * connection per worker; hiredis only parses replies.
 */

#ifndef _NGX_HTTP_QUOTALANE_REDIS_H_INCLUDED_
#define _NGX_HTTP_QUOTALANE_REDIS_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>

#include <hiredis/hiredis.h>


typedef struct ngx_http_quotalane_redis_op_s  ngx_http_quotalane_redis_op_t;

/*
 * Called once per operation with the reply, or with NULL when the
 * operation failed (timeout, connection lost).  The reply is freed when
 * the handler returns.  Never called from within redis_send().
 */
typedef void (*ngx_http_quotalane_redis_handler_pt)(void *data,
    redisReply *reply);


/* A Lua script the client keeps loaded (EVALSHA, EVAL on NOSCRIPT). */
typedef struct {
    ngx_str_t                  name;
    ngx_str_t                  body;
    u_char                     sha1[40];
    ngx_uint_t                 metric;    /* ngx_http_quotalane_script_e */
} ngx_http_quotalane_redis_script_t;


typedef struct {
    ngx_addr_t                *addr;
    ngx_str_t                  user;      /* ACL user, or none: "default" */
    ngx_str_t                  password;
    ngx_int_t                  db;
    ngx_msec_t                 timeout;
    ngx_msec_t                 backoff_max;
    ngx_array_t               *scripts;  /* redis_script_t */
} ngx_http_quotalane_redis_conf_t;


ngx_int_t ngx_http_quotalane_redis_script_init(
    ngx_http_quotalane_redis_script_t *script);

ngx_int_t ngx_http_quotalane_redis_init_process(ngx_cycle_t *cycle,
    ngx_http_quotalane_redis_conf_t *conf);
void ngx_http_quotalane_redis_exit_process(void);

/*
 * Queues a command.  Returns the operation (a handle for cancel()), or
 * NULL if Redis is unavailable right now; the handler is then never
 * called.  A NULL handler makes the command fire-and-forget.
 */
ngx_http_quotalane_redis_op_t *ngx_http_quotalane_redis_send(int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_quotalane_redis_handler_pt handler, void *data);

/* EVALSHA of a loaded script; args are KEYS (nkeys of them) then ARGV. */
ngx_http_quotalane_redis_op_t *ngx_http_quotalane_redis_eval(
    ngx_http_quotalane_redis_script_t *script, int nkeys, int nargs,
    const char **args, const size_t *argslen,
    ngx_http_quotalane_redis_handler_pt handler, void *data);

/* The owner goes away: the reply, when it comes, is dropped. */
void ngx_http_quotalane_redis_cancel(ngx_http_quotalane_redis_op_t *op);

/*
 * The owner goes away but the reply still matters (it may hold a lease to
 * give back): handler gets it with data, which the client then frees
 * with ngx_free().
 */
void ngx_http_quotalane_redis_orphan(ngx_http_quotalane_redis_op_t *op,
    ngx_http_quotalane_redis_handler_pt handler, void *data);

/*
 * The operation's handler must hear of it even if the worker exits
 * first (with a NULL reply): records that must not vanish silently.
 */
void ngx_http_quotalane_redis_durable(ngx_http_quotalane_redis_op_t *op);

/* Whether the connection is up (for serve-from-cache decisions). */
ngx_uint_t ngx_http_quotalane_redis_available(void);

#endif /* _NGX_HTTP_QUOTALANE_REDIS_H_INCLUDED_ */
