/*
 * Usage: the body filter reads token usage from the upstream's answer as
 * it streams by (ql_usage, never buffering or changing a byte); the log
 * phase, which runs for every request however it ended, prices it and
 * records it: usage.lua adds the record to the usage stream and the
 * tokens and cost to the limit counters, pipelined and fire-and-forget,
 * off the client's path.  The records of one event-loop turn go in one
 * EVALSHA (a posted event flushes them when the turn's handlers are
 * done): no wait added, one script call for many requests under load.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ql_utf8.h"
#include "ngx_http_quotalane_module.h"


#define NGX_HTTP_QUOTALANE_USAGE_ARGS     64
#define NGX_HTTP_QUOTALANE_PENDING_MAX    100000
#define NGX_HTTP_QUOTALANE_RETRY_INTERVAL 1000

/* records in one usage.lua call, at most */
#define NGX_HTTP_QUOTALANE_BATCH_MAX      64

/*
 * A dump line must fit one error log line (NGX_MAX_ERROR_STR); a value is
 * dumped as at most this many characters, what admind keeps of a model
 * (every other field is shorter).
 */
#define NGX_HTTP_QUOTALANE_DUMP_MAX       1800
#define NGX_HTTP_QUOTALANE_DUMP_CHARS     128


typedef struct {
    const char                *argv[NGX_HTTP_QUOTALANE_USAGE_ARGS];
    size_t                     argvlen[NGX_HTTP_QUOTALANE_USAGE_ARGS];
    int                        n;
    ngx_pool_t                *pool;
    ngx_uint_t                 failed;
} ngx_http_quotalane_record_t;


/*
 * A record on its way to Redis, in memory of its own: it outlives the
 * request, and is sent again if Redis was down or the connection broke
 * before the reply (admind inserts records idempotently by request id).
 */
typedef struct {
    ngx_queue_t                queue;
    ngx_http_quotalane_redis_script_t *script;
    int                        argc;
    const char               **argv;
    size_t                    *argvlen;
    u_char                     request_id[32];
} ngx_http_quotalane_pending_t;


static ngx_int_t ngx_http_quotalane_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_quotalane_usage_log(ngx_http_request_t *r);
static void ngx_http_quotalane_usage_send(ngx_http_quotalane_pending_t *pr);
static void ngx_http_quotalane_usage_pend(ngx_http_quotalane_pending_t *pr);
static void ngx_http_quotalane_usage_keep(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_http_quotalane_main_conf_t *qmcf,
    ngx_http_quotalane_record_t *rec);
static void ngx_http_quotalane_usage_reply(void *data, redisReply *reply);
static void ngx_http_quotalane_usage_retry(ngx_event_t *ev);
static void ngx_http_quotalane_usage_arm(void);
static void ngx_http_quotalane_usage_dump(ngx_http_quotalane_pending_t *pr);


static ngx_http_output_body_filter_pt  ngx_http_next_body_filter;

static ngx_queue_t   ngx_http_quotalane_pending;
static ngx_uint_t    ngx_http_quotalane_npending;
static ngx_event_t   ngx_http_quotalane_retry_timer;

/* records of this event-loop turn, sent together when it ends */
static ngx_queue_t   ngx_http_quotalane_outbox;
static ngx_uint_t    ngx_http_quotalane_noutbox;
static ngx_event_t   ngx_http_quotalane_flush_event;

/* a worker shutting down retries its records this long, then dumps them */
static ngx_msec_t    ngx_http_quotalane_drain_timeout;
static ngx_msec_t    ngx_http_quotalane_drain_start;
static ngx_uint_t    ngx_http_quotalane_draining;


ngx_int_t
ngx_http_quotalane_usage_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_quotalane_body_filter;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_quotalane_usage_log;

    return NGX_OK;
}


static ql_usage_format_t
ngx_http_quotalane_usage_format(ngx_http_quotalane_ctx_t *ctx)
{
    switch (ctx->platform->id) {

    case QL_PLATFORM_OPENAI:
        /* the Responses API (Codex) reports usage its own way */
        if (ctx->route && ngx_strcmp(ctx->route->endpoint, "responses") == 0)
        {
            return QL_USAGE_OPENAI_RESPONSES;
        }

        return QL_USAGE_OPENAI_CHAT;

    case QL_PLATFORM_GEMINI:
        return QL_USAGE_GEMINI;

    default:
        return QL_USAGE_ANTHROPIC;
    }
}


/* From the header filter: the upstream's answer begins. */
void
ngx_http_quotalane_usage_start(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ngx_str_t  *type;

    ctx->ttfb_ms = ngx_http_quotalane_now_ms() - ctx->start_ms;
    ctx->upstream_status = r->headers_out.status;

    if (ctx->usage_parser == NULL) {
        ctx->usage_parser = ngx_palloc(r->pool, sizeof(ql_usage_parser_t));
        if (ctx->usage_parser == NULL) {
            return;
        }
    }

    type = &r->headers_out.content_type;

    ql_usage_init(ctx->usage_parser,
                  ngx_http_quotalane_usage_format(ctx),
                  ql_usage_framing_from_content_type(type->data, type->len));
}


static ngx_int_t
ngx_http_quotalane_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t                 *b;
    ngx_chain_t               *cl;
    ngx_http_quotalane_ctx_t  *ctx;

    if (r != r->main || in == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_quotalane_module);

    if (ctx == NULL || ctx->usage_parser == NULL || ctx->body_done) {
        return ngx_http_next_body_filter(r, in);
    }

    /* a transform feeds the parser what it sends on (transform.c) */
    if (ctx->xform && ctx->xform->usage && ctx->xform->request) {
        for (cl = in; cl; cl = cl->next) {
            ctx->body_done |= cl->buf->last_buf;
        }

        return ngx_http_next_body_filter(r, in);
    }

    /* read only: the buffers go on exactly as they came */
    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b) && b->last > b->pos) {
            ql_usage_feed(ctx->usage_parser, b->pos, b->last - b->pos);
        }

        if (b->last_buf) {
            ctx->body_done = 1;
            break;
        }
    }

    return ngx_http_next_body_filter(r, in);
}


void
ngx_http_quotalane_usage_final(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    u_char                          *model;
    size_t                           len;
    ngx_http_quotalane_main_conf_t  *qmcf;

    if (ctx->usage_final) {
        return;
    }

    ctx->usage_final = 1;

    if (ctx->usage_parser) {
        ql_usage_finish(ctx->usage_parser);
        ql_usage_result(ctx->usage_parser, &ctx->usage);
    }

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    if (qmcf->pricing == NULL) {
        return;
    }

    /* the model the upstream says it ran, else the one asked for */
    if (ctx->usage.model_len) {
        model = (u_char *) ctx->usage.model;
        len = ctx->usage.model_len;

    } else {
        model = ctx->model.data;
        len = ctx->model.len;
    }

    ql_pricing_cost(qmcf->pricing, model, len, &ctx->usage, &ctx->cost);
}




/* Sets argument i of usage.lua (a KEY_ or ARG_ position, or the record's). */
static void
ngx_http_quotalane_record_set(ngx_http_quotalane_record_t *rec, ngx_uint_t i,
    u_char *value, size_t len)
{
    rec->argv[i] = value ? (const char *) value : "";
    rec->argvlen[i] = value ? len : 0;
}


static void
ngx_http_quotalane_record_set_num(ngx_http_quotalane_record_t *rec,
    ngx_uint_t i, uint64_t n)
{
    u_char  *p;

    p = ngx_pnalloc(rec->pool, NGX_INT64_LEN);
    if (p == NULL) {
        rec->failed = 1;
        ngx_http_quotalane_record_set(rec, i, NULL, 0);
        return;
    }

    ngx_http_quotalane_record_set(rec, i, p, ngx_sprintf(p, "%uL", n) - p);
}


/* slots by the names usage.lua reads them by: KEY_STREAM, ARG_NOW, ... */
#define ngx_http_quotalane_set(rec, name, value, len)                         \
    ngx_http_quotalane_record_set(rec, NGX_HTTP_QUOTALANE_USAGE_##name,       \
                                  value, len)
#define ngx_http_quotalane_set_num(rec, name, n)                              \
    ngx_http_quotalane_record_set_num(rec, NGX_HTTP_QUOTALANE_USAGE_##name, n)


/* Appends one field of the record (ARG_RECORD on). */
static void
ngx_http_quotalane_record_str(ngx_http_quotalane_record_t *rec,
    const char *field, u_char *value, size_t len)
{
    if (rec->n + 2 > NGX_HTTP_QUOTALANE_USAGE_ARGS) {
        rec->failed = 1;
        return;
    }

    ngx_http_quotalane_record_set(rec, rec->n++, (u_char *) field,
                                  ngx_strlen(field));
    ngx_http_quotalane_record_set(rec, rec->n++, value, len);
}


static void
ngx_http_quotalane_record_num(ngx_http_quotalane_record_t *rec,
    const char *field, uint64_t n)
{
    if (rec->n + 2 > NGX_HTTP_QUOTALANE_USAGE_ARGS) {
        rec->failed = 1;
        return;
    }

    ngx_http_quotalane_record_set(rec, rec->n++, (u_char *) field,
                                  ngx_strlen(field));
    ngx_http_quotalane_record_set_num(rec, rec->n++, n);
}


static ngx_int_t
ngx_http_quotalane_usage_log(ngx_http_request_t *r)
{
    time_t                           day, week;
    ngx_msec_t                       now, overhead;
    ngx_str_t                        stream;
    ngx_http_quotalane_ctx_t        *ctx;
    ngx_http_quotalane_record_t      rec;
    ngx_http_quotalane_main_conf_t  *qmcf;

    if (r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_quotalane_module);
    if (ctx == NULL) {
        ctx = ngx_http_quotalane_ctx_restore(r);
    }

    /* an answer that was passing to the client has ended */
    if (ctx && ctx->responding) {
        ctx->responding = 0;
        ngx_http_quotalane_metrics_gauge(NGX_HTTP_QUOTALANE_GAUGE_RESPONSES,
                                         -1);
    }

    /* only requests that went to an upstream account are billed */
    if (ctx == NULL || ctx->recorded || ctx->account.id.len == 0
        || ctx->state != NGX_HTTP_QUOTALANE_STATE_ALLOWED)
    {
        return NGX_OK;
    }

    ctx->recorded = 1;

    ngx_http_quotalane_usage_final(r, ctx);

    overhead = ctx->picked_ms - ctx->start_ms;

    ngx_http_quotalane_metrics_request(ctx->platform->id,
                                       NGX_HTTP_QUOTALANE_OUTCOME_PROXIED);
    ngx_http_quotalane_metrics_done(overhead,
                                    ctx->ttfb_ms > overhead
                                    ? ctx->ttfb_ms - overhead : 0,
                                    ctx->cost.entry && !ctx->cost.fallback
                                    ? ctx->cost.entry->name : NULL,
                                    &ctx->usage, ctx->cost.micro);

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);
    now = ngx_http_quotalane_now_ms();
    ngx_http_quotalane_periods(&ctx->key, now / 1000, &day, &week);

    stream.len = qmcf->prefix.len + sizeof("usage") - 1;
    stream.data = ngx_pnalloc(r->pool, stream.len);
    if (stream.data == NULL) {
        return NGX_OK;
    }

    ngx_sprintf(stream.data, "%Vusage", &qmcf->prefix);

    ngx_memzero(&rec, sizeof(ngx_http_quotalane_record_t));
    rec.pool = r->pool;

    rec.n = NGX_HTTP_QUOTALANE_USAGE_ARG_RECORD;

    ngx_http_quotalane_set(&rec, KEY_STREAM, stream.data, stream.len);
    ngx_http_quotalane_set(&rec, ARG_PREFIX, qmcf->prefix.data,
                           qmcf->prefix.len);
    ngx_http_quotalane_set(&rec, ARG_KEY_ID, ctx->key.id.data,
                           ctx->key.id.len);
    ngx_http_quotalane_set(&rec, ARG_USER_ID, ctx->key.user_id.data,
                           ctx->key.user_id.len);
    ngx_http_quotalane_set(&rec, ARG_ACCOUNT_ID, ctx->account.id.data,
                           ctx->account.id.len);
    ngx_http_quotalane_set_num(&rec, ARG_COST, ctx->cost.micro);
    ngx_http_quotalane_set_num(&rec, ARG_TOKENS, ctx->usage.total_tokens);
    ngx_http_quotalane_set_num(&rec, ARG_DAY, day);
    ngx_http_quotalane_set_num(&rec, ARG_WEEK, week);

    if (ctx->key.quota_bucket.len) {
        ngx_http_quotalane_set(&rec, ARG_QUOTA_BUCKET,
                               ctx->key.quota_bucket.data,
                               ctx->key.quota_bucket.len);
    } else {
        ngx_http_quotalane_set(&rec, ARG_QUOTA_BUCKET, (u_char *) "0", 1);
    }

    if (ctx->key.rate_window.len) {
        ngx_http_quotalane_set(&rec, ARG_RATE_WINDOW,
                               ctx->key.rate_window.data,
                               ctx->key.rate_window.len);
    } else {
        ngx_http_quotalane_set(&rec, ARG_RATE_WINDOW, (u_char *) "0", 1);
    }

    ngx_http_quotalane_set_num(&rec, ARG_NOW, now);
    ngx_http_quotalane_set(&rec, ARG_REQUEST_ID, ctx->request_id,
                           sizeof(ctx->request_id));
    ngx_http_quotalane_set(&rec, ARG_WINDOWS, ctx->windows.data,
                           ctx->windows.len);
    ngx_http_quotalane_set_num(&rec, ARG_WINDOWS_UNTIL, ctx->windows_until);

    /* the record (proto/usage_record.md) */
    ngx_http_quotalane_record_str(&rec, "request_id", ctx->request_id,
                                  sizeof(ctx->request_id));
    ngx_http_quotalane_record_num(&rec, "ts_ms", now);
    ngx_http_quotalane_record_str(&rec, "trace_id", ctx->trace_id,
                                  sizeof(ctx->trace_id));
    ngx_http_quotalane_record_str(&rec, "key_id", ctx->key.id.data,
                                  ctx->key.id.len);
    ngx_http_quotalane_record_str(&rec, "user_id", ctx->key.user_id.data,
                                  ctx->key.user_id.len);
    ngx_http_quotalane_record_str(&rec, "account_id", ctx->account.id.data,
                                  ctx->account.id.len);
    ngx_http_quotalane_record_str(&rec, "platform",
                                  (u_char *) ctx->platform->name,
                                  ngx_strlen(ctx->platform->name));

    if (ctx->usage.model_len) {
        ngx_http_quotalane_record_str(&rec, "model",
                                      (u_char *) ctx->usage.model,
                                      ctx->usage.model_len);
    } else {
        ngx_http_quotalane_record_str(&rec, "model", ctx->model.data,
                                      ctx->model.len);
    }

    ngx_http_quotalane_record_num(&rec, "input_tokens",
                                  ctx->usage.input_tokens);
    ngx_http_quotalane_record_num(&rec, "output_tokens",
                                  ctx->usage.output_tokens);
    ngx_http_quotalane_record_num(&rec, "cache_creation_tokens",
                                  ctx->usage.cache_creation_tokens);
    ngx_http_quotalane_record_num(&rec, "cache_creation_5m_tokens",
                                  ctx->usage.cache_creation_5m_tokens);
    ngx_http_quotalane_record_num(&rec, "cache_creation_1h_tokens",
                                  ctx->usage.cache_creation_1h_tokens);
    ngx_http_quotalane_record_num(&rec, "cache_read_tokens",
                                  ctx->usage.cache_read_tokens);
    ngx_http_quotalane_record_num(&rec, "cost_micros", ctx->cost.micro);
    ngx_http_quotalane_record_num(&rec, "cost_pico", ctx->cost.pico);
    ngx_http_quotalane_record_num(&rec, "priced_by_fallback",
                                  ctx->cost.fallback);
    ngx_http_quotalane_record_num(&rec, "upstream_status",
                                  ctx->upstream_status);
    ngx_http_quotalane_record_num(&rec, "status", r->headers_out.status);
    ngx_http_quotalane_record_num(&rec, "latency_ms", now - ctx->start_ms);
    ngx_http_quotalane_record_num(&rec, "ttfb_ms", ctx->ttfb_ms);
    ngx_http_quotalane_record_num(&rec, "streamed", ctx->usage.sse);
    ngx_http_quotalane_record_num(&rec, "aborted",
                                  !ctx->body_done
                                  || r->connection->error);
    ngx_http_quotalane_record_num(&rec, "complete", ctx->usage.complete);

    ngx_http_quotalane_set_num(&rec, ARG_FIELDS,
                               rec.n - NGX_HTTP_QUOTALANE_USAGE_ARG_RECORD);

    if (rec.failed) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "quotalane: usage record of %*s could not be built",
                      (size_t) 32, ctx->request_id);
        return NGX_OK;
    }

    /* usage.lua gives the leases back, in the same round trip */
    ngx_http_quotalane_lease_handoff(ctx);
    ngx_http_quotalane_usage_keep(r, ctx, qmcf, &rec);

    return NGX_OK;
}


/* Copies the record out of the request and sends it. */
static void
ngx_http_quotalane_usage_keep(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_http_quotalane_main_conf_t *qmcf,
    ngx_http_quotalane_record_t *rec)
{
    int                            i;
    u_char                        *p;
    size_t                         size;
    ngx_http_quotalane_pending_t  *pr;

    size = sizeof(ngx_http_quotalane_pending_t)
           + rec->n * (sizeof(char *) + sizeof(size_t));
    for (i = 0; i < rec->n; i++) {
        size += rec->argvlen[i];
    }

    pr = ngx_alloc(size, r->connection->log);
    if (pr == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "quotalane: usage record of %*s lost: out of memory",
                      (size_t) 32, ctx->request_id);
        return;
    }

    pr->script = qmcf->usage_script;
    pr->argc = rec->n;
    pr->argv = (const char **) ((u_char *) pr
                                + sizeof(ngx_http_quotalane_pending_t));
    pr->argvlen = (size_t *) (pr->argv + rec->n);
    ngx_memcpy(pr->request_id, ctx->request_id, sizeof(pr->request_id));

    p = (u_char *) (pr->argvlen + rec->n);
    for (i = 0; i < rec->n; i++) {
        pr->argv[i] = (const char *) p;
        pr->argvlen[i] = rec->argvlen[i];
        p = ngx_cpymem(p, rec->argv[i], rec->argvlen[i]);
    }

    ngx_http_quotalane_usage_send(pr);
}


static void
ngx_http_quotalane_usage_pend(ngx_http_quotalane_pending_t *pr)
{
    if (ngx_http_quotalane_npending >= NGX_HTTP_QUOTALANE_PENDING_MAX) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "quotalane: usage record of %*s lost: %ui records "
                      "already wait for Redis", (size_t) 32, pr->request_id,
                      ngx_http_quotalane_npending);
        ngx_free(pr);
        return;
    }

    ngx_queue_insert_tail(&ngx_http_quotalane_pending, &pr->queue);
    ngx_http_quotalane_npending++;
    ngx_http_quotalane_metrics_gauge(NGX_HTTP_QUOTALANE_GAUGE_USAGE_WAITING,
                                     1);

    ngx_http_quotalane_usage_arm();
}


/*
 * The retry timer is not cancelable: a worker shutting down (reload,
 * quit) stays until its records are in Redis, or until the drain timeout
 * has passed; what is left then is dumped at exit.
 */
static void
ngx_http_quotalane_usage_arm(void)
{
    ngx_event_t  *ev = &ngx_http_quotalane_retry_timer;

    if (ev->timer_set || ngx_queue_empty(&ngx_http_quotalane_pending)) {
        return;
    }

    if (ngx_exiting) {
        if (!ngx_http_quotalane_draining) {
            ngx_http_quotalane_draining = 1;
            ngx_http_quotalane_drain_start = ngx_current_msec;

            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "quotalane: %ui usage records wait for Redis, "
                          "retrying for up to %Mms before exit",
                          ngx_http_quotalane_npending,
                          ngx_http_quotalane_drain_timeout);
        }

        if (ngx_current_msec - ngx_http_quotalane_drain_start
            >= ngx_http_quotalane_drain_timeout)
        {
            return;
        }
    }

    ev->handler = ngx_http_quotalane_usage_retry;
    ev->log = ngx_cycle->log;
    ngx_add_timer(ev, NGX_HTTP_QUOTALANE_RETRY_INTERVAL);
}


/* the records of one usage.lua call */
typedef struct {
    ngx_uint_t                     n;
    ngx_http_quotalane_pending_t  *pr[NGX_HTTP_QUOTALANE_BATCH_MAX];
} ngx_http_quotalane_batch_t;


/*
 * One EVALSHA for the batch: the stream key and the prefix once, then
 * each record from ARG_KEY_ID on.  NGX_OK: on its way (its reply will
 * say how it went).
 */
static ngx_int_t
ngx_http_quotalane_usage_eval(ngx_http_quotalane_batch_t *b)
{
    int                              i, n, first;
    size_t                          *argvlen;
    ngx_uint_t                       k;
    const char                     **argv;
    ngx_http_quotalane_pending_t    *pr;
    ngx_http_quotalane_redis_op_t   *op;

    first = NGX_HTTP_QUOTALANE_USAGE_ARG_KEY_ID;
    n = first;

    for (k = 0; k < b->n; k++) {
        n += b->pr[k]->argc - first;
    }

    argv = ngx_alloc(n * (sizeof(char *) + sizeof(size_t)), ngx_cycle->log);
    if (argv == NULL) {
        return NGX_DECLINED;
    }

    argvlen = (size_t *) (argv + n);

    /* KEY_STREAM and ARG_PREFIX: every record's are the same */
    for (i = 0; i < first; i++) {
        argv[i] = b->pr[0]->argv[i];
        argvlen[i] = b->pr[0]->argvlen[i];
    }

    n = first;

    for (k = 0; k < b->n; k++) {
        pr = b->pr[k];

        for (i = first; i < pr->argc; i++) {
            argv[n] = pr->argv[i];
            argvlen[n++] = pr->argvlen[i];
        }
    }

    op = ngx_http_quotalane_redis_eval(b->pr[0]->script,
                                       NGX_HTTP_QUOTALANE_USAGE_NKEYS,
                                       n, argv, argvlen,
                                       ngx_http_quotalane_usage_reply, b);
    ngx_free(argv);

    if (op == NULL) {
        return NGX_DECLINED;
    }

    ngx_http_quotalane_redis_durable(op);

    return NGX_OK;
}


/* The outbox in batches; what cannot go now waits for the retry. */
static void
ngx_http_quotalane_usage_flush(ngx_event_t *ev)
{
    ngx_uint_t                   k;
    ngx_queue_t                 *q;
    ngx_http_quotalane_batch_t  *b;

    while (!ngx_queue_empty(&ngx_http_quotalane_outbox)) {
        b = ngx_alloc(sizeof(ngx_http_quotalane_batch_t), ngx_cycle->log);

        for (k = 0; k < NGX_HTTP_QUOTALANE_BATCH_MAX
                    && !ngx_queue_empty(&ngx_http_quotalane_outbox);
             k++)
        {
            q = ngx_queue_head(&ngx_http_quotalane_outbox);
            ngx_queue_remove(q);
            ngx_http_quotalane_noutbox--;

            if (b == NULL) {
                ngx_http_quotalane_usage_pend(ngx_queue_data(q,
                                        ngx_http_quotalane_pending_t, queue));
                continue;
            }

            b->pr[k] = ngx_queue_data(q, ngx_http_quotalane_pending_t,
                                      queue);
        }

        if (b == NULL) {
            continue;
        }

        b->n = k;

        if (ngx_http_quotalane_usage_eval(b) != NGX_OK) {
            for (k = 0; k < b->n; k++) {
                ngx_http_quotalane_usage_pend(b->pr[k]);
            }

            ngx_free(b);
        }
    }
}


/* To the outbox, sent when this event-loop turn's handlers are done. */
static void
ngx_http_quotalane_usage_send(ngx_http_quotalane_pending_t *pr)
{
    ngx_event_t  *ev = &ngx_http_quotalane_flush_event;

    ngx_queue_insert_tail(&ngx_http_quotalane_outbox, &pr->queue);

    if (++ngx_http_quotalane_noutbox >= NGX_HTTP_QUOTALANE_BATCH_MAX) {
        ngx_http_quotalane_usage_flush(ev);
        return;
    }

    if (!ev->posted) {
        ev->handler = ngx_http_quotalane_usage_flush;
        ev->log = ngx_cycle->log;
        ngx_post_event(ev, &ngx_posted_events);
    }
}


static void
ngx_http_quotalane_usage_reply(void *data, redisReply *reply)
{
    ngx_uint_t                   k;
    ngx_http_quotalane_batch_t  *b = data;

    if (reply == NULL) {
        /* maybe applied, maybe not: send again, admind deduplicates */
        for (k = 0; k < b->n; k++) {
            ngx_http_quotalane_usage_pend(b->pr[k]);
        }

        ngx_free(b);
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "quotalane: %ui usage records (the first %*s) "
                      "refused: %*s", b->n, (size_t) 32,
                      b->pr[0]->request_id, reply->len, reply->str);
    }

    for (k = 0; k < b->n; k++) {
        ngx_free(b->pr[k]);
    }

    ngx_free(b);
}


/* What waited for Redis goes out again, in batches. */
static void
ngx_http_quotalane_usage_retry(ngx_event_t *ev)
{
    ngx_queue_t  *q;

    while (!ngx_queue_empty(&ngx_http_quotalane_pending)) {
        q = ngx_queue_head(&ngx_http_quotalane_pending);
        ngx_queue_remove(q);
        ngx_http_quotalane_npending--;
        ngx_http_quotalane_metrics_gauge(
            NGX_HTTP_QUOTALANE_GAUGE_USAGE_WAITING, -1);

        ngx_queue_insert_tail(&ngx_http_quotalane_outbox, q);
        ngx_http_quotalane_noutbox++;
    }

    ngx_http_quotalane_usage_flush(ev);

    ngx_http_quotalane_usage_arm();
}


void
ngx_http_quotalane_usage_init_process(ngx_http_quotalane_main_conf_t *qmcf)
{
    ngx_queue_init(&ngx_http_quotalane_pending);
    ngx_http_quotalane_npending = 0;
    ngx_queue_init(&ngx_http_quotalane_outbox);
    ngx_http_quotalane_noutbox = 0;
    ngx_http_quotalane_drain_timeout = qmcf->usage_drain_timeout;
    ngx_http_quotalane_draining = 0;
}


/*
 * Worker exit with records still waiting for Redis (it was down for the
 * whole drain timeout, or a fast shutdown): each goes to the error log
 * as one JSON object, which `admind --replay-usage` sends to the usage
 * stream again (stored once: admind inserts by request id).
 */
void
ngx_http_quotalane_usage_exit_process(void)
{
    ngx_queue_t                   *q;
    ngx_http_quotalane_pending_t  *pr;

    if (ngx_http_quotalane_pending.next == NULL) {
        return;     /* this worker serves no gateway */
    }

    if (ngx_http_quotalane_retry_timer.timer_set) {
        ngx_del_timer(&ngx_http_quotalane_retry_timer);
    }

    if (ngx_http_quotalane_flush_event.posted) {
        ngx_delete_posted_event(&ngx_http_quotalane_flush_event);
    }

    /* a turn's records not sent yet wait like those Redis refused */
    while (!ngx_queue_empty(&ngx_http_quotalane_outbox)) {
        q = ngx_queue_head(&ngx_http_quotalane_outbox);
        ngx_queue_remove(q);
        ngx_queue_insert_tail(&ngx_http_quotalane_pending, q);
        ngx_http_quotalane_metrics_gauge(
            NGX_HTTP_QUOTALANE_GAUGE_USAGE_WAITING, 1);
    }

    while (!ngx_queue_empty(&ngx_http_quotalane_pending)) {
        q = ngx_queue_head(&ngx_http_quotalane_pending);
        ngx_queue_remove(q);
        pr = ngx_queue_data(q, ngx_http_quotalane_pending_t, queue);

        ngx_http_quotalane_usage_dump(pr);
        ngx_http_quotalane_metrics_gauge(
            NGX_HTTP_QUOTALANE_GAUGE_USAGE_WAITING, -1);

        ngx_free(pr);
    }
}


/*
 * A string as the dump writes it: at most NGX_HTTP_QUOTALANE_DUMP_CHARS
 * characters, a byte that starts no valid UTF-8 character as '?' (both
 * as admind stores a model), JSON-escaped.  With dst NULL, only counts.
 * Returns its length.
 */
static size_t
ngx_http_quotalane_dump_str(u_char *dst, u_char *src, size_t len)
{
    u_char      *p, *last, *c;
    size_t       n, size;
    ngx_uint_t   chars;

    static u_char  bad = '?';

    size = 0;
    last = src + len;

    for (p = src, chars = 0;
         p < last && chars < NGX_HTTP_QUOTALANE_DUMP_CHARS;
         chars++)
    {
        n = ql_utf8_char(p, last - p);

        if (n == 0) {
            c = &bad;
            n = 1;
            p++;

        } else {
            c = p;
            p += n;
        }

        size += n + ngx_escape_json(NULL, c, n);

        if (dst) {
            dst = (u_char *) ngx_escape_json(dst, c, n);
        }
    }

    return size;
}


/* `quotalane: unsent usage {"request_id":"...",...}` */
static void
ngx_http_quotalane_usage_dump(ngx_http_quotalane_pending_t *pr)
{
    int      i;
    u_char  *json, *p;
    size_t   len;

    len = sizeof("{}");
    for (i = NGX_HTTP_QUOTALANE_USAGE_ARG_RECORD; i + 1 < pr->argc; i += 2) {
        len += sizeof("\"\":\"\",") - 1
               + ngx_http_quotalane_dump_str(NULL, (u_char *) pr->argv[i],
                                             pr->argvlen[i])
               + ngx_http_quotalane_dump_str(NULL,
                                             (u_char *) pr->argv[i + 1],
                                             pr->argvlen[i + 1]);
    }

    /* the record has a bounded number of fields: a guard for new ones */
    json = (len <= NGX_HTTP_QUOTALANE_DUMP_MAX)
           ? ngx_alloc(len, ngx_cycle->log) : NULL;

    if (json == NULL) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "quotalane: usage record of %*s lost: %uz bytes "
                      "cannot be dumped (its lease will be counted "
                      "without record)", (size_t) 32, pr->request_id, len);
        return;
    }

    p = json;
    *p++ = '{';

    for (i = NGX_HTTP_QUOTALANE_USAGE_ARG_RECORD; i + 1 < pr->argc; i += 2) {
        if (i > NGX_HTTP_QUOTALANE_USAGE_ARG_RECORD) {
            *p++ = ',';
        }

        *p++ = '"';
        p += ngx_http_quotalane_dump_str(p, (u_char *) pr->argv[i],
                                         pr->argvlen[i]);
        p = ngx_cpymem(p, "\":\"", 3);
        p += ngx_http_quotalane_dump_str(p, (u_char *) pr->argv[i + 1],
                                         pr->argvlen[i + 1]);
        *p++ = '"';
    }

    *p++ = '}';

    ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                  "quotalane: unsent usage %*s", p - json, json);

    ngx_free(json);
}
