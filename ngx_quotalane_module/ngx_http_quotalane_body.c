/*
 * Request body: enforce the size limit and read the model from the JSON.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_quotalane_module.h"
#include "ql_session.h"


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
    ngx_http_quotalane_ctx_t *ctx, json_t *root)
{
    size_t     len;
    json_t    *model;
    unsigned   flags;

    if (ctx->match.model.len) {
        return ngx_http_quotalane_body_set_model(r, ctx,
                                                 ctx->match.model.data,
                                                 ctx->match.model.len);
    }

    flags = ctx->route ? ctx->route->flags : 0;
    model = json_object_get(root, "model");

    if (model == NULL) {
        return (flags & QL_ROUTE_MODEL)
               ? ngx_http_quotalane_body_reject(ctx, "model is required.")
               : NGX_OK;
    }

    if (!json_is_string(model)) {
        return ngx_http_quotalane_body_reject(ctx,
                                              "model: must be a string.");
    }

    len = json_string_length(model);

    if (len == 0 && (flags & QL_ROUTE_MODEL)) {
        return ngx_http_quotalane_body_reject(ctx, "model is required.");
    }

    return ngx_http_quotalane_body_set_model(r, ctx,
                                         (u_char *) json_string_value(model),
                                             len);
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


/* Whether it streams, and what it asked of a chat stream's usage. */
static void
ngx_http_quotalane_body_stream_options(ngx_http_quotalane_ctx_t *ctx,
    json_t *root)
{
    json_t  *options;

    options = json_object_get(root, "stream_options");

    ctx->stream = json_is_true(json_object_get(root, "stream"));
    ctx->client_usage = json_is_true(json_object_get(options,
                                                     "include_usage"));
}


/*
 * A session id OpenAI clients send as a header (Codex: session_id, in
 * newer versions session-id), else what the body says (ql_session.h).
 */
static void
ngx_http_quotalane_body_session(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, json_t *root)
{
    static ngx_str_t  names[] = {
        ngx_string("session_id"),
        ngx_string("session-id"),
        ngx_string("x-session-id"),
    };

    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

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

    ctx->has_session = ql_session_hash(root, NULL, 0, (char *) ctx->session);
}


ngx_int_t
ngx_http_quotalane_body_model(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    off_t                           len;
    json_t                         *root;
    ngx_int_t                       rc;
    ngx_str_t                       body;
    ngx_chain_t                    *cl;
    json_error_t                    err;
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

        rc = ngx_http_quotalane_body_take_model(r, ctx, NULL);

        return (rc == NGX_OK) ? ngx_http_quotalane_body_route_model(ctx)
                              : rc;
    }

    if (ngx_http_quotalane_body_flatten(r, &body) != NGX_OK) {
        return NGX_ERROR;
    }

    root = json_loadb((const char *) body.data, body.len, 0, &err);

    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return ngx_http_quotalane_body_reject(ctx,
                   "Request body is not a JSON object.");
    }

    ctx->body = body;

    rc = ngx_http_quotalane_body_take_model(r, ctx, root);

    if (rc == NGX_OK) {
        rc = ngx_http_quotalane_body_route_model(ctx);
    }

    if (rc == NGX_OK) {
        ngx_http_quotalane_body_session(r, ctx, root);
        ngx_http_quotalane_body_stream_options(ctx, root);
    }

    json_decref(root);

    return rc;
}
