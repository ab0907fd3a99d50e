/*
 * Request body: enforce the size limit and read the model from the JSON.
 * The body is validated in one pass that decodes nothing and finds the
 * top-level members read here (ql_json_valid.h); only those are decoded,
 * each alone: a Claude Code request of 100 KB and more is never turned
 * into a tree.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_quotalane_module.h"
#include "ql_json_valid.h"
#include "ql_session.h"


/* the top-level members read, by their index in the names below */
enum {
    NGX_HTTP_QUOTALANE_M_MODEL = 0,
    NGX_HTTP_QUOTALANE_M_STREAM,
    NGX_HTTP_QUOTALANE_M_STREAM_OPTIONS,
    NGX_HTTP_QUOTALANE_M_METADATA,
    NGX_HTTP_QUOTALANE_M_PROMPT_CACHE_KEY,
    NGX_HTTP_QUOTALANE_M_SYSTEM,
    NGX_HTTP_QUOTALANE_M_MESSAGES,
    NGX_HTTP_QUOTALANE_M_SYSTEM_INSTRUCTION,
    NGX_HTTP_QUOTALANE_M_CONTENTS,
    NGX_HTTP_QUOTALANE_M_COUNT
};


static const char *const  ngx_http_quotalane_members[] = {
    "model", "stream", "stream_options", "metadata", "prompt_cache_key",
    "system", "messages", "systemInstruction", "contents", NULL
};


static const char *ngx_http_quotalane_body_duplicate(ngx_http_request_t *r,
    const char *name);


/* a model name is at most 256 bytes: escaped, at most six times that */
#define NGX_HTTP_QUOTALANE_MODEL_SPAN_MAX  (6 * 256 + 2)


/*
 * The whole body in one buffer.  It is all in memory: the configuration
 * check makes client_body_buffer_size hold the largest body accepted, so
 * no blocking read of a temp file ever happens here.
 */
static ngx_int_t
ngx_http_quotalane_body_flatten(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    off_t         len;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    len = 0;
    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        if (cl->buf->in_file) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "quotalane: request body in a temp file");
            return NGX_ERROR;
        }

        len += ngx_buf_size(cl->buf);
    }

    body->data = ngx_pnalloc(r->pool, len + 1);
    if (body->data == NULL) {
        return NGX_ERROR;
    }

    p = body->data;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        p = ngx_cpymem(p, b->pos, b->last - b->pos);
    }

    body->len = p - body->data;

    return NGX_OK;
}


/*
 * Sets the error of a body the route cannot take; the model is copied
 * only once it is known to be short, so logs and records stay bounded.
 */
static ngx_int_t
ngx_http_quotalane_body_reject(ngx_http_quotalane_ctx_t *ctx,
    const char *message)
{
    ctx->error_kind = QL_ERR_INVALID_REQUEST;
    ctx->error_message = message;

    return NGX_DECLINED;
}


/* Copies the model, refused if longer than QL_ROUTE_MODEL_MAX. */
static ngx_int_t
ngx_http_quotalane_body_set_model(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, const u_char *model, size_t len)
{
    if (len > QL_ROUTE_MODEL_MAX) {
        return ngx_http_quotalane_body_reject(ctx,
                   "model: must be at most 256 bytes.");
    }

    ctx->model.data = ngx_pnalloc(r->pool, len);
    if (ctx->model.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->model.data, model, len);
    ctx->model.len = len;

    return NGX_OK;
}


/* Gemini and Azure deployments name the model in the path. */
static ngx_int_t
ngx_http_quotalane_body_take_model(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_str_t *body, ql_json_span_t *span)
{
    size_t      len;
    json_t     *model;
    unsigned    flags;
    ngx_int_t   rc;

    if (ctx->match.model.len) {
        return ngx_http_quotalane_body_set_model(r, ctx,
                                                 ctx->match.model.data,
                                                 ctx->match.model.len);
    }

    flags = ctx->route ? ctx->route->flags : 0;

    if (span == NULL || span->end == 0) {
        return (flags & QL_ROUTE_MODEL)
               ? ngx_http_quotalane_body_reject(ctx, "model is required.")
               : NGX_OK;
    }

    if (body->data[span->start] != '"') {
        return ngx_http_quotalane_body_reject(ctx,
                                              "model: must be a string.");
    }

    len = span->end - span->start;

    /* too long to be a model: refused as such, undecoded */
    if (len > NGX_HTTP_QUOTALANE_MODEL_SPAN_MAX) {
        return ngx_http_quotalane_body_set_model(r, ctx,
                                                 body->data + span->start,
                                                 len);
    }

    model = json_loadb((const char *) body->data + span->start, len,
                       JSON_DECODE_ANY, NULL);
    if (!json_is_string(model)) {
        json_decref(model);
        return NGX_ERROR;
    }

    len = json_string_length(model);

    if (len == 0 && (flags & QL_ROUTE_MODEL)) {
        json_decref(model);
        return ngx_http_quotalane_body_reject(ctx, "model is required.");
    }

    rc = ngx_http_quotalane_body_set_model(r, ctx,
                                         (u_char *) json_string_value(model),
                                           len);
    json_decref(model);

    return rc;
}


/*
 * The model scheduled on: on Claude routes, "ccr,<provider>,<model>"
 * goes to the Claude Code Router pool as "<provider>,<model>".
 */
static ngx_int_t
ngx_http_quotalane_body_route_model(ngx_http_quotalane_ctx_t *ctx)
{
    static u_char  ccr[] = "ccr,";

    ctx->sched_model = ctx->model;

    if (ctx->platform->id != QL_PLATFORM_CLAUDE
        || ctx->model.len < sizeof(ccr)
        || ngx_strncasecmp(ctx->model.data, ccr, sizeof(ccr) - 1) != 0)
    {
        return NGX_OK;
    }

    ctx->pool = ql_pool_by_name((u_char *) "ccr", 3);
    if (ctx->pool == NULL) {
        return NGX_ERROR;
    }

    ctx->sched_model.data += sizeof(ccr) - 1;
    ctx->sched_model.len -= sizeof(ccr) - 1;

    return NGX_OK;
}


/* whether the value at span is the literal true */
static ngx_uint_t
ngx_http_quotalane_body_true(u_char *p, ql_json_span_t *span)
{
    return span->end - span->start == 4
           && ngx_strncmp(p + span->start, "true", 4) == 0;
}


/* Whether it streams, and what it asked of a chat stream's usage. */
static void
ngx_http_quotalane_body_stream_options(ngx_http_quotalane_ctx_t *ctx,
    ngx_str_t *body, ql_json_span_t *m)
{
    ql_json_span_t  *options, usage;

    options = &m[NGX_HTTP_QUOTALANE_M_STREAM_OPTIONS];

    ctx->stream = ngx_http_quotalane_body_true(body->data,
                                           &m[NGX_HTTP_QUOTALANE_M_STREAM]);
    ctx->client_usage = 0;

    if (options->end
        && ql_json_member(body->data + options->start,
                          options->end - options->start, "include_usage",
                          &usage) == 1)
    {
        ctx->client_usage = ngx_http_quotalane_body_true(
                                body->data + options->start, &usage);
    }
}


/*
 * A session id OpenAI clients send as a header (Codex: session_id, in
 * newer versions session-id), else what the body says (ql_session.h).
 */
static void
ngx_http_quotalane_body_session(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_str_t *body, ql_json_span_t *m)
{
    static ngx_str_t  names[] = {
        ngx_string("session_id"),
        ngx_string("session-id"),
        ngx_string("x-session-id"),
    };

    ngx_uint_t             i, n;
    ngx_list_part_t       *part;
    ngx_table_elt_t       *h;
    ql_session_request_t   req;

    if (ctx->platform->id == QL_PLATFORM_OPENAI) {
        for (part = &r->headers_in.headers.part; part; part = part->next) {
            h = part->elts;

            for (i = 0; i < part->nelts; i++) {
                for (n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
                    if (h[i].key.len == names[n].len && h[i].value.len
                        && ngx_strncasecmp(h[i].key.data, names[n].data,
                                           names[n].len) == 0)
                    {
                        ctx->has_session = ql_session_hash(NULL,
                                                       h[i].value.data,
                                                       h[i].value.len,
                                                       (char *) ctx->session);
                        return;
                    }
                }
            }
        }
    }

    req.body = body->data;
    req.metadata = m[NGX_HTTP_QUOTALANE_M_METADATA];
    req.prompt_cache_key = m[NGX_HTTP_QUOTALANE_M_PROMPT_CACHE_KEY];
    req.system = m[NGX_HTTP_QUOTALANE_M_SYSTEM];
    req.messages = m[NGX_HTTP_QUOTALANE_M_MESSAGES];
    req.system_instruction = m[NGX_HTTP_QUOTALANE_M_SYSTEM_INSTRUCTION];
    req.contents = m[NGX_HTTP_QUOTALANE_M_CONTENTS];

    ctx->has_session = ql_session_hash(&req, NULL, 0, (char *) ctx->session);
}


ngx_int_t
ngx_http_quotalane_body_model(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    off_t                           len;
    ngx_int_t                       rc;
    ngx_str_t                       body;
    const char                     *dup;
    ngx_chain_t                    *cl;
    ql_json_span_t                  m[NGX_HTTP_QUOTALANE_M_COUNT];
    ngx_http_quotalane_loc_conf_t  *qlcf;

    qlcf = ngx_http_get_module_loc_conf(r, ngx_http_quotalane_module);

    len = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            len += ngx_buf_size(cl->buf);
        }
    }

    /* chunked bodies have no Content-Length to check up front */
    if (len > (off_t) qlcf->body_limit) {
        ctx->error_kind = QL_ERR_REQUEST_TOO_LARGE;
        ctx->error_message = "Request body is too large.";
        return NGX_DECLINED;
    }

    if (len == 0) {
        if (ctx->route && (ctx->route->flags & QL_ROUTE_BODY)) {
            return ngx_http_quotalane_body_reject(ctx,
                       "Request body is required: send a JSON object.");
        }

        rc = ngx_http_quotalane_body_take_model(r, ctx, NULL, NULL);

        return (rc == NGX_OK) ? ngx_http_quotalane_body_route_model(ctx)
                              : rc;
    }

    if (ngx_http_quotalane_body_flatten(r, &body) != NGX_OK) {
        return NGX_ERROR;
    }

    switch (ql_json_valid_object(body.data, body.len,
                                 ngx_http_quotalane_members, m, &dup))
    {
    case QL_JSON_OK:
        break;

    case QL_JSON_DUPLICATE:
        return ngx_http_quotalane_body_reject(ctx,
                   ngx_http_quotalane_body_duplicate(r, dup));

    case QL_JSON_TOO_DEEP:
        return ngx_http_quotalane_body_reject(ctx,
                   "Request body is nested too deeply.");

    default:
        return ngx_http_quotalane_body_reject(ctx,
                   "Request body is not a JSON object.");
    }

    ctx->body = body;

    rc = ngx_http_quotalane_body_take_model(r, ctx, &body,
                                            &m[NGX_HTTP_QUOTALANE_M_MODEL]);

    if (rc == NGX_OK) {
        rc = ngx_http_quotalane_body_route_model(ctx);
    }

    if (rc == NGX_OK) {
        ngx_http_quotalane_body_session(r, ctx, &body, m);
        ngx_http_quotalane_body_stream_options(ctx, &body, m);
    }

    return rc;
}


/* the message for a member given twice (or with escapes in its name) */
static const char *
ngx_http_quotalane_body_duplicate(ngx_http_request_t *r, const char *name)
{
    u_char  *p;
    size_t   len;

    len = sizeof("Request body: member \"\" must appear once, its name "
                 "written without escapes.") + ngx_strlen(name);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return "Request body: a member appears twice.";
    }

    ngx_snprintf(p, len, "Request body: member \"%s\" must appear once, its "
                 "name written without escapes.%Z", name);

    return (const char *) p;
}
