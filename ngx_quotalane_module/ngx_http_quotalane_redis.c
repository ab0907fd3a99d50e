/*
 * Non-blocking Redis client on ngx_event_connect_peer.
 *
 * One connection per worker carries every operation, pipelined: commands
 * are queued in order, written in batches from a posted write event, and
 * replies are matched to the queue head.  hiredis is used only to parse
 * replies, so no hiredis I/O ever runs (Debian's 0.14 has blocking DNS
 * and no timeouts in its async API); commands are encoded here.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>
#include <ngx_sha1.h>

#include "ngx_http_quotalane_redis.h"
#include "ngx_http_quotalane_metrics.h"


#define NGX_HTTP_QUOTALANE_REDIS_IOV      64
#define NGX_HTTP_QUOTALANE_REDIS_BACKOFF  100


typedef enum {
    NGX_HTTP_QUOTALANE_REDIS_DOWN = 0,
    NGX_HTTP_QUOTALANE_REDIS_CONNECTING,
    NGX_HTTP_QUOTALANE_REDIS_UP
} ngx_http_quotalane_redis_state_e;


struct ngx_http_quotalane_redis_op_s {
    ngx_queue_t                           queue;
    ngx_http_quotalane_redis_handler_pt   handler;
    void                                 *data;
    ngx_msec_t                            deadline;

    char                                 *cmd;
    size_t                                cmd_len;

    /* kept to resend as EVAL when the server lost the script */
    ngx_http_quotalane_redis_script_t    *script;
    int                                   argc;
    const char                          **args;
    size_t                               *argslen;

    unsigned                              internal:1;
    unsigned                              owns_data:1;
    unsigned                              durable:1;

    uint64_t                              start_us;  /* for the metrics */
};


typedef struct {
    ngx_http_quotalane_redis_conf_t      *conf;
    ngx_log_t                            *log;

    ngx_peer_connection_t                 peer;
    ngx_connection_t                     *connection;
    redisReader                          *reader;
    ngx_http_quotalane_redis_state_e      state;

    ngx_queue_t                           ops;
    ngx_queue_t                          *send_next;
    size_t                                send_offset;

    ngx_event_t                           timer;
    ngx_msec_t                            backoff;
    ngx_msec_t                            next_connect;
} ngx_http_quotalane_redis_client_t;


static ngx_int_t ngx_http_quotalane_redis_connect(
    ngx_http_quotalane_redis_client_t *rc);
static ngx_int_t ngx_http_quotalane_redis_queue_internal(
    ngx_http_quotalane_redis_client_t *rc, int argc, const char **argv,
    const size_t *argvlen);
static void ngx_http_quotalane_redis_done(ngx_http_quotalane_redis_op_t *op,
    redisReply *reply);
static ngx_http_quotalane_redis_op_t *ngx_http_quotalane_redis_op_create(
    int argc, const char **argv, const size_t *argvlen);
static void ngx_http_quotalane_redis_op_free(
    ngx_http_quotalane_redis_op_t *op);
static void ngx_http_quotalane_redis_enqueue(
    ngx_http_quotalane_redis_client_t *rc, ngx_http_quotalane_redis_op_t *op);
static void ngx_http_quotalane_redis_write_handler(ngx_event_t *wev);
static void ngx_http_quotalane_redis_read_handler(ngx_event_t *rev);
static void ngx_http_quotalane_redis_timer_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_quotalane_redis_dispatch(
    ngx_http_quotalane_redis_client_t *rc, redisReply *reply);
static ngx_int_t ngx_http_quotalane_redis_reformat_as_eval(
    ngx_http_quotalane_redis_op_t *op);
static void ngx_http_quotalane_redis_close(
    ngx_http_quotalane_redis_client_t *rc, const char *why);


static ngx_http_quotalane_redis_client_t  *ngx_http_quotalane_redis;


ngx_int_t
ngx_http_quotalane_redis_script_init(ngx_http_quotalane_redis_script_t *script)
{
    u_char     digest[20];
    ngx_sha1_t sha1;

    ngx_sha1_init(&sha1);
    ngx_sha1_update(&sha1, script->body.data, script->body.len);
    ngx_sha1_final(digest, &sha1);

    ngx_hex_dump(script->sha1, digest, sizeof(digest));

    return NGX_OK;
}


ngx_int_t
ngx_http_quotalane_redis_init_process(ngx_cycle_t *cycle,
    ngx_http_quotalane_redis_conf_t *conf)
{
    ngx_http_quotalane_redis_client_t  *rc;

    rc = ngx_pcalloc(cycle->pool, sizeof(ngx_http_quotalane_redis_client_t));
    if (rc == NULL) {
        return NGX_ERROR;
    }

    rc->conf = conf;
    rc->log = cycle->log;
    rc->backoff = NGX_HTTP_QUOTALANE_REDIS_BACKOFF;
    ngx_queue_init(&rc->ops);
    rc->send_next = ngx_queue_sentinel(&rc->ops);

    /*
     * Not cancelable: the timer is set only while operations are in
     * flight, and a worker shutting down (reload) must wait for their
     * replies, or their timeout: a request waiting on Redis gets its
     * answer, a usage record sent is known to be stored.
     */
    rc->timer.handler = ngx_http_quotalane_redis_timer_handler;
    rc->timer.data = rc;
    rc->timer.log = cycle->log;

    ngx_http_quotalane_redis = rc;

    /* connect eagerly so the first request does not pay for it */
    if (ngx_http_quotalane_redis_connect(rc) != NGX_OK) {
        ngx_http_quotalane_redis_close(rc, "connect failed");
    }

    return NGX_OK;
}


void
ngx_http_quotalane_redis_exit_process(void)
{
    ngx_queue_t                        *q;
    ngx_http_quotalane_redis_op_t      *op;
    ngx_http_quotalane_redis_client_t  *rc;

    rc = ngx_http_quotalane_redis;
    if (rc == NULL) {
        return;
    }

    /*
     * Requests are gone: drop pending operations without callbacks, but
     * the durable ones, whose owners account for them.
     */
    while (!ngx_queue_empty(&rc->ops)) {
        q = ngx_queue_head(&rc->ops);
        ngx_queue_remove(q);
        op = ngx_queue_data(q, ngx_http_quotalane_redis_op_t, queue);

        if (op->durable && op->handler) {
            ngx_http_quotalane_redis_done(op, NULL);
        }

        ngx_http_quotalane_redis_op_free(op);
    }

    if (rc->timer.timer_set) {
        ngx_del_timer(&rc->timer);
    }

    if (rc->connection) {
        ngx_close_connection(rc->connection);
        rc->connection = NULL;
    }

    if (rc->reader) {
        redisReaderFree(rc->reader);
        rc->reader = NULL;
    }

    ngx_http_quotalane_redis = NULL;
}


ngx_uint_t
ngx_http_quotalane_redis_available(void)
{
    ngx_http_quotalane_redis_client_t  *rc = ngx_http_quotalane_redis;

    return rc != NULL && rc->state == NGX_HTTP_QUOTALANE_REDIS_UP;
}


static ngx_int_t
ngx_http_quotalane_redis_connect(ngx_http_quotalane_redis_client_t *rc)
{
    int                                n;
    u_char                             dbbuf[NGX_INT_T_LEN];
    ngx_int_t                          rv;
    ngx_uint_t                         i;
    const char                        *argv[3];
    size_t                             argvlen[3];
    ngx_connection_t                  *c;
    ngx_http_quotalane_redis_conf_t   *conf;
    ngx_http_quotalane_redis_script_t *scripts;

    conf = rc->conf;

    rc->reader = redisReaderCreate();
    if (rc->reader == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&rc->peer, sizeof(ngx_peer_connection_t));
    rc->peer.sockaddr = conf->addr->sockaddr;
    rc->peer.socklen = conf->addr->socklen;
    rc->peer.name = &conf->addr->name;
    rc->peer.get = ngx_event_get_peer;
    rc->peer.log = rc->log;
    rc->peer.log_error = NGX_ERROR_ERR;

    rv = ngx_event_connect_peer(&rc->peer);

    if (rv == NGX_ERROR || rv == NGX_BUSY || rv == NGX_DECLINED) {
        if (rc->peer.connection) {
            ngx_close_connection(rc->peer.connection);
            rc->peer.connection = NULL;
        }
        return NGX_ERROR;
    }

    c = rc->peer.connection;
    c->data = rc;
    c->log = rc->log;
    c->read->log = rc->log;
    c->write->log = rc->log;
    c->read->handler = ngx_http_quotalane_redis_read_handler;
    c->write->handler = ngx_http_quotalane_redis_write_handler;

    rc->connection = c;
    rc->state = (rv == NGX_AGAIN) ? NGX_HTTP_QUOTALANE_REDIS_CONNECTING
                                  : NGX_HTTP_QUOTALANE_REDIS_UP;

    /* session set-up goes first in the pipeline */
    if (conf->password.len) {
        n = 0;
        argv[n] = "AUTH";
        argvlen[n++] = 4;

        if (conf->user.len) {
            argv[n] = (const char *) conf->user.data;
            argvlen[n++] = conf->user.len;
        }

        argv[n] = (const char *) conf->password.data;
        argvlen[n++] = conf->password.len;

        if (ngx_http_quotalane_redis_queue_internal(rc, n, argv, argvlen)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (conf->db) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = (const char *) dbbuf;
        argvlen[1] = ngx_sprintf(dbbuf, "%i", conf->db) - dbbuf;
        if (ngx_http_quotalane_redis_queue_internal(rc, 2, argv, argvlen)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (conf->scripts) {
        scripts = conf->scripts->elts;
        for (i = 0; i < conf->scripts->nelts; i++) {
            argv[0] = "SCRIPT";
            argvlen[0] = 6;
            argv[1] = "LOAD";
            argvlen[1] = 4;
            argv[2] = (const char *) scripts[i].body.data;
            argvlen[2] = scripts[i].body.len;
            if (ngx_http_quotalane_redis_queue_internal(rc, 3, argv, argvlen)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    if (rc->state == NGX_HTTP_QUOTALANE_REDIS_UP
        && !ngx_queue_empty(&rc->ops))
    {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    if (!rc->timer.timer_set) {
        ngx_add_timer(&rc->timer, conf->timeout);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rc->log, 0,
                   "quotalane redis: connecting to %V", &conf->addr->name);

    return NGX_OK;
}


static ngx_int_t
ngx_http_quotalane_redis_queue_internal(ngx_http_quotalane_redis_client_t *rc,
    int argc, const char **argv, const size_t *argvlen)
{
    ngx_http_quotalane_redis_op_t  *op;

    op = ngx_http_quotalane_redis_op_create(argc, argv, argvlen);
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->internal = 1;
    ngx_http_quotalane_redis_enqueue(rc, op);

    return NGX_OK;
}


/*
 * RESP encoding of a command (hiredis's formatter calls sprintf twice per
 * argument, which showed up in profiles).  Returns the length, or -1.
 */
static int
ngx_http_quotalane_redis_format(char **target, int argc, const char **argv,
    const size_t *argvlen)
{
    int      i;
    u_char  *p;
    size_t   len;

    len = 1 + NGX_INT_T_LEN + 2;
    for (i = 0; i < argc; i++) {
        len += 1 + NGX_SIZE_T_LEN + 2 + argvlen[i] + 2;
    }

    p = ngx_alloc(len, ngx_cycle->log);
    if (p == NULL) {
        return -1;
    }

    *target = (char *) p;

    p = ngx_sprintf(p, "*%d\r\n", argc);

    for (i = 0; i < argc; i++) {
        p = ngx_sprintf(p, "$%uz\r\n", argvlen[i]);
        p = ngx_cpymem(p, argv[i], argvlen[i]);
        *p++ = '\r';
        *p++ = '\n';
    }

    return (int) (p - (u_char *) *target);
}


static ngx_http_quotalane_redis_op_t *
ngx_http_quotalane_redis_op_create(int argc, const char **argv,
    const size_t *argvlen)
{
    int                             len;
    ngx_http_quotalane_redis_op_t  *op;

    op = ngx_calloc(sizeof(ngx_http_quotalane_redis_op_t), ngx_cycle->log);
    if (op == NULL) {
        return NULL;
    }

    len = ngx_http_quotalane_redis_format(&op->cmd, argc, argv, argvlen);
    if (len < 0) {
        ngx_free(op);
        return NULL;
    }

    op->cmd_len = len;
    op->start_us = ngx_http_quotalane_metrics_usec();

    return op;
}


/* The handler hears how the operation went; the metrics too. */
static void
ngx_http_quotalane_redis_done(ngx_http_quotalane_redis_op_t *op,
    redisReply *reply)
{
    ngx_http_quotalane_metrics_redis(op->script ? op->script->metric
                                         : NGX_HTTP_QUOTALANE_SCRIPT_OTHER,
                                     reply == NULL
                                     ? NGX_HTTP_QUOTALANE_REDIS_FAILED
                                     : reply->type == REDIS_REPLY_ERROR
                                       ? NGX_HTTP_QUOTALANE_REDIS_ERROR
                                       : NGX_HTTP_QUOTALANE_REDIS_OK,
                                     ngx_http_quotalane_metrics_usec()
                                     - op->start_us);

    if (op->handler) {
        op->handler(op->data, reply);
    }
}


static void
ngx_http_quotalane_redis_op_free(ngx_http_quotalane_redis_op_t *op)
{
    if (op->owns_data) {
        ngx_free(op->data);
    }

    if (op->cmd) {
        ngx_free(op->cmd);
    }

    if (op->args) {
        ngx_free(op->args);
    }

    ngx_free(op);
}


static void
ngx_http_quotalane_redis_enqueue(ngx_http_quotalane_redis_client_t *rc,
    ngx_http_quotalane_redis_op_t *op)
{
    op->deadline = ngx_current_msec + rc->conf->timeout;

    ngx_queue_insert_tail(&rc->ops, &op->queue);

    if (rc->send_next == ngx_queue_sentinel(&rc->ops)) {
        rc->send_next = &op->queue;
        rc->send_offset = 0;
    }

    if (!rc->timer.timer_set) {
        ngx_add_timer(&rc->timer, rc->conf->timeout);
    }

    /* batch every command queued in this event loop turn into one write */
    if (rc->state == NGX_HTTP_QUOTALANE_REDIS_UP
        && !rc->connection->write->posted)
    {
        ngx_post_event(rc->connection->write, &ngx_posted_events);
    }
}


/* Returns the client, connecting first if allowed; NULL while down. */
static ngx_http_quotalane_redis_client_t *
ngx_http_quotalane_redis_ready(void)
{
    ngx_http_quotalane_redis_client_t  *rc = ngx_http_quotalane_redis;

    if (rc == NULL) {
        return NULL;
    }

    if (rc->state != NGX_HTTP_QUOTALANE_REDIS_DOWN) {
        return rc;
    }

    if ((ngx_msec_int_t) (ngx_current_msec - rc->next_connect) < 0) {
        return NULL;
    }

    if (ngx_http_quotalane_redis_connect(rc) != NGX_OK) {
        ngx_http_quotalane_redis_close(rc, "connect failed");
        return NULL;
    }

    return rc;
}


ngx_http_quotalane_redis_op_t *
ngx_http_quotalane_redis_send(int argc, const char **argv,
    const size_t *argvlen, ngx_http_quotalane_redis_handler_pt handler,
    void *data)
{
    ngx_http_quotalane_redis_op_t      *op;
    ngx_http_quotalane_redis_client_t  *rc;

    rc = ngx_http_quotalane_redis_ready();
    if (rc == NULL) {
        return NULL;
    }

    op = ngx_http_quotalane_redis_op_create(argc, argv, argvlen);
    if (op == NULL) {
        return NULL;
    }

    op->handler = handler;
    op->data = data;

    ngx_http_quotalane_redis_enqueue(rc, op);

    return op;
}


ngx_http_quotalane_redis_op_t *
ngx_http_quotalane_redis_eval(ngx_http_quotalane_redis_script_t *script,
    int nkeys, int nargs, const char **args, const size_t *argslen,
    ngx_http_quotalane_redis_handler_pt handler, void *data)
{
    int                                 i, argc;
    u_char                             *p, nkeysbuf[NGX_INT_T_LEN];
    size_t                              size;
    const char                        **argv;
    size_t                             *argvlen;
    ngx_http_quotalane_redis_op_t      *op;
    ngx_http_quotalane_redis_client_t  *rc;

    rc = ngx_http_quotalane_redis_ready();
    if (rc == NULL) {
        return NULL;
    }

    /* argv, lengths and a copy of the args in one block */
    argc = nargs + 3;
    size = argc * (sizeof(char *) + sizeof(size_t)) + NGX_INT_T_LEN;
    for (i = 0; i < nargs; i++) {
        size += argslen[i];
    }

    argv = ngx_alloc(size, ngx_cycle->log);
    if (argv == NULL) {
        return NULL;
    }

    argvlen = (size_t *) (argv + argc);
    p = (u_char *) (argvlen + argc);

    argv[0] = "EVALSHA";
    argvlen[0] = 7;
    argv[1] = (const char *) script->sha1;
    argvlen[1] = sizeof(script->sha1);
    argv[2] = (const char *) p;
    argvlen[2] = ngx_sprintf(nkeysbuf, "%d", nkeys) - nkeysbuf;
    p = ngx_cpymem(p, nkeysbuf, argvlen[2]);

    for (i = 0; i < nargs; i++) {
        argv[i + 3] = (const char *) p;
        argvlen[i + 3] = argslen[i];
        p = ngx_cpymem(p, args[i], argslen[i]);
    }

    op = ngx_http_quotalane_redis_op_create(argc, argv, argvlen);
    if (op == NULL) {
        ngx_free(argv);
        return NULL;
    }

    op->handler = handler;
    op->data = data;
    op->script = script;
    op->argc = argc;
    op->args = argv;
    op->argslen = argvlen;

    ngx_http_quotalane_redis_enqueue(rc, op);

    return op;
}


void
ngx_http_quotalane_redis_cancel(ngx_http_quotalane_redis_op_t *op)
{
    op->handler = NULL;
    op->data = NULL;
}


void
ngx_http_quotalane_redis_durable(ngx_http_quotalane_redis_op_t *op)
{
    op->durable = 1;
}


void
ngx_http_quotalane_redis_orphan(ngx_http_quotalane_redis_op_t *op,
    ngx_http_quotalane_redis_handler_pt handler, void *data)
{
    op->handler = handler;
    op->data = data;
    op->owns_data = 1;
}


static void
ngx_http_quotalane_redis_write_handler(ngx_event_t *wev)
{
    int                                 err;
    ssize_t                             n;
    size_t                              off;
    socklen_t                           len;
    ngx_uint_t                          niov;
    ngx_queue_t                        *q;
    struct iovec                        iov[NGX_HTTP_QUOTALANE_REDIS_IOV];
    ngx_connection_t                   *c;
    ngx_http_quotalane_redis_op_t      *op;
    ngx_http_quotalane_redis_client_t  *rc;

    c = wev->data;
    rc = c->data;

    if (rc->state == NGX_HTTP_QUOTALANE_REDIS_CONNECTING) {
        if (wev->timedout) {
            ngx_http_quotalane_redis_close(rc, "connect timed out");
            return;
        }

        err = 0;
        len = sizeof(int);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len)
            == -1)
        {
            err = ngx_socket_errno;
        }

        if (err) {
            ngx_log_error(NGX_LOG_ERR, rc->log, err,
                          "quotalane redis: connect() to %V failed",
                          rc->peer.name);
            ngx_http_quotalane_redis_close(rc, NULL);
            return;
        }

        rc->state = NGX_HTTP_QUOTALANE_REDIS_UP;
        rc->backoff = NGX_HTTP_QUOTALANE_REDIS_BACKOFF;
    }

    while (rc->send_next != ngx_queue_sentinel(&rc->ops)) {

        niov = 0;
        off = rc->send_offset;

        for (q = rc->send_next;
             q != ngx_queue_sentinel(&rc->ops)
             && niov < NGX_HTTP_QUOTALANE_REDIS_IOV;
             q = ngx_queue_next(q))
        {
            op = ngx_queue_data(q, ngx_http_quotalane_redis_op_t, queue);
            iov[niov].iov_base = op->cmd + off;
            iov[niov].iov_len = op->cmd_len - off;
            niov++;
            off = 0;
        }

        n = writev(c->fd, iov, niov);

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EAGAIN) {
                wev->ready = 0;
                if (ngx_handle_write_event(wev, 0) != NGX_OK) {
                    ngx_http_quotalane_redis_close(rc, "write event");
                }
                return;
            }

            if (err == NGX_EINTR) {
                continue;
            }

            ngx_log_error(NGX_LOG_ERR, rc->log, err,
                          "quotalane redis: writev() to %V failed",
                          rc->peer.name);
            ngx_http_quotalane_redis_close(rc, NULL);
            return;
        }

        /* advance past what was written */
        while (n > 0) {
            op = ngx_queue_data(rc->send_next, ngx_http_quotalane_redis_op_t,
                                queue);

            if ((size_t) n < op->cmd_len - rc->send_offset) {
                rc->send_offset += n;
                break;
            }

            n -= op->cmd_len - rc->send_offset;
            rc->send_offset = 0;
            rc->send_next = ngx_queue_next(rc->send_next);
        }
    }

    if (ngx_handle_write_event(wev, 0) != NGX_OK) {
        ngx_http_quotalane_redis_close(rc, "write event");
    }
}


static void
ngx_http_quotalane_redis_read_handler(ngx_event_t *rev)
{
    void                               *reply;
    ssize_t                             n;
    u_char                              buf[16384];
    ngx_connection_t                   *c;
    ngx_http_quotalane_redis_client_t  *rc;

    c = rev->data;
    rc = c->data;

    for ( ;; ) {
        n = c->recv(c, buf, sizeof(buf));

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_http_quotalane_redis_close(rc, "connection closed");
            return;
        }

        if (redisReaderFeed(rc->reader, (const char *) buf, n) != REDIS_OK) {
            ngx_http_quotalane_redis_close(rc, "reader out of memory");
            return;
        }

        /* dispatch as we go so the reader's buffer stays small */
        for ( ;; ) {
            reply = NULL;

            if (redisReaderGetReply(rc->reader, &reply) != REDIS_OK) {
                ngx_http_quotalane_redis_close(rc, "protocol error");
                return;
            }

            if (reply == NULL) {
                break;
            }

            if (ngx_http_quotalane_redis_dispatch(rc, reply) != NGX_OK) {
                return;
            }
        }
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_http_quotalane_redis_close(rc, "read event");
    }
}


static ngx_int_t
ngx_http_quotalane_redis_reformat_as_eval(ngx_http_quotalane_redis_op_t *op)
{
    int  len;

    ngx_free(op->cmd);
    op->cmd = NULL;
    op->cmd_len = 0;

    op->args[0] = "EVAL";
    op->argslen[0] = 4;
    op->args[1] = (const char *) op->script->body.data;
    op->argslen[1] = op->script->body.len;
    op->script = NULL;

    len = ngx_http_quotalane_redis_format(&op->cmd, op->argc, op->args,
                                          op->argslen);
    if (len < 0) {
        op->cmd = NULL;
        return NGX_ERROR;
    }

    op->cmd_len = len;

    return NGX_OK;
}


/* Hands a reply to the oldest operation; NGX_ERROR if rc was closed. */
static ngx_int_t
ngx_http_quotalane_redis_dispatch(ngx_http_quotalane_redis_client_t *rc,
    redisReply *reply)
{
    ngx_queue_t                    *q;
    ngx_http_quotalane_redis_op_t  *op;

    if (ngx_queue_empty(&rc->ops) || ngx_queue_head(&rc->ops) == rc->send_next)
    {
        freeReplyObject(reply);
        ngx_http_quotalane_redis_close(rc, "reply without a request");
        return NGX_ERROR;
    }

    q = ngx_queue_head(&rc->ops);
    ngx_queue_remove(q);
    op = ngx_queue_data(q, ngx_http_quotalane_redis_op_t, queue);

    if (op->internal) {
        ngx_http_quotalane_redis_op_free(op);

        if (reply->type == REDIS_REPLY_ERROR) {
            ngx_log_error(NGX_LOG_ERR, rc->log, 0,
                          "quotalane redis: session set-up failed: %*s",
                          reply->len, reply->str);
            freeReplyObject(reply);
            ngx_http_quotalane_redis_close(rc, NULL);
            return NGX_ERROR;
        }

        freeReplyObject(reply);
        goto done;
    }

    if (op->script != NULL
        && reply->type == REDIS_REPLY_ERROR
        && reply->len >= 8
        && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0)
    {
        /* the server lost the script (restart, SCRIPT FLUSH): EVAL it */
        freeReplyObject(reply);

        if (ngx_http_quotalane_redis_reformat_as_eval(op) != NGX_OK) {
            ngx_http_quotalane_redis_done(op, NULL);
            ngx_http_quotalane_redis_op_free(op);
            return NGX_OK;
        }

        ngx_log_error(NGX_LOG_NOTICE, rc->log, 0,
                      "quotalane redis: script missing on server, "
                      "sending it again");

        ngx_http_quotalane_redis_enqueue(rc, op);
        return NGX_OK;
    }

    ngx_http_quotalane_redis_done(op, reply);

    freeReplyObject(reply);
    ngx_http_quotalane_redis_op_free(op);

done:

    if (ngx_queue_empty(&rc->ops) && rc->timer.timer_set) {
        ngx_del_timer(&rc->timer);
    }

    return NGX_OK;
}


static void
ngx_http_quotalane_redis_timer_handler(ngx_event_t *ev)
{
    ngx_msec_int_t                      left;
    ngx_http_quotalane_redis_op_t      *op;
    ngx_http_quotalane_redis_client_t  *rc;

    rc = ev->data;

    if (ngx_queue_empty(&rc->ops)) {
        if (rc->state == NGX_HTTP_QUOTALANE_REDIS_CONNECTING) {
            ngx_http_quotalane_redis_close(rc, "connect timed out");
        }
        return;
    }

    op = ngx_queue_data(ngx_queue_head(&rc->ops),
                        ngx_http_quotalane_redis_op_t, queue);

    left = (ngx_msec_int_t) (op->deadline - ngx_current_msec);

    if (left > 0) {
        ngx_add_timer(&rc->timer, (ngx_msec_t) left);
        return;
    }

    /* replies come in order: a stuck head means a stuck server */
    ngx_http_quotalane_redis_close(rc, "operation timed out");
}


static void
ngx_http_quotalane_redis_close(ngx_http_quotalane_redis_client_t *rc,
    const char *why)
{
    ngx_queue_t                     failed, *q;
    ngx_http_quotalane_redis_op_t  *op;

    if (why) {
        ngx_log_error(NGX_LOG_ERR, rc->log, 0,
                      "quotalane redis: %V: %s, retrying in %Mms",
                      &rc->conf->addr->name, why, rc->backoff);
        ngx_http_quotalane_metrics_redis_lost();
    }

    if (rc->connection) {
        ngx_close_connection(rc->connection);
        rc->connection = NULL;
    }

    if (rc->reader) {
        redisReaderFree(rc->reader);
        rc->reader = NULL;
    }

    if (rc->timer.timer_set) {
        ngx_del_timer(&rc->timer);
    }

    rc->state = NGX_HTTP_QUOTALANE_REDIS_DOWN;
    rc->next_connect = ngx_current_msec + rc->backoff;
    rc->backoff = ngx_min(rc->backoff * 2, rc->conf->backoff_max);

    /* handlers may queue new operations: fail a detached list */
    ngx_queue_init(&failed);

    if (!ngx_queue_empty(&rc->ops)) {
        failed = rc->ops;
        failed.next->prev = &failed;
        failed.prev->next = &failed;
        ngx_queue_init(&rc->ops);
    }

    rc->send_next = ngx_queue_sentinel(&rc->ops);
    rc->send_offset = 0;

    while (!ngx_queue_empty(&failed)) {
        q = ngx_queue_head(&failed);
        ngx_queue_remove(q);
        op = ngx_queue_data(q, ngx_http_quotalane_redis_op_t, queue);

        ngx_http_quotalane_redis_done(op, NULL);
        ngx_http_quotalane_redis_op_free(op);
    }
}
