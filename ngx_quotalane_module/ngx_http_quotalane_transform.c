/*
 * Response transforms: for the few account types whose answers the client
 * must not see as the vendor sent them (Code Assist wraps each Gemini
 * answer in {"response": ...}; a chat completions stream carries a usage
 * chunk the client did not ask for), a body filter feeds the upstream's
 * bytes to an incremental nginx-free transform (ql/) and sends on what it
 * emits, as it emits it: a stream is never held back beyond what the
 * transform itself must see to decide.  The usage filter runs before it
 * and reads the vendor's bytes, unless the transform feeds the usage
 * parser its output itself (xform->usage: what the vendor wraps).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


#define NGX_HTTP_QUOTALANE_XFORM_BUF  8192


static ngx_int_t ngx_http_quotalane_xform_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_quotalane_xform_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static int ngx_http_quotalane_unwrap_feed(void *state,
    const unsigned char *p, size_t len, ql_emit_pt emit, void *data);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/* Registered before the usage filter, so it runs after it. */
ngx_int_t
ngx_http_quotalane_transform_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_quotalane_xform_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_quotalane_xform_body_filter;

    return NGX_OK;
}


/*
 * A transform applies to a successful answer only: errors pass as the
 * vendor sent them.  The body's length changes, so it goes chunked.
 */
static ngx_int_t
ngx_http_quotalane_xform_header_filter(ngx_http_request_t *r)
{
    ngx_http_quotalane_ctx_t  *ctx;

    if (r != r->main || r->upstream == NULL) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_quotalane_module);

    /* only the answer of this attempt's account, not our own errors */
    if (ctx == NULL || ctx->xform == NULL
        || ctx->state != NGX_HTTP_QUOTALANE_STATE_ALLOWED)
    {
        return ngx_http_next_header_filter(r);
    }

    if (ctx->xform->bedrock && !r->header_only) {
        switch (ngx_http_quotalane_bedrock_xform_header(r, ctx->xform)) {
        case NGX_OK:
            break;
        case NGX_DECLINED:
            ctx->xform = NULL;
            return ngx_http_next_header_filter(r);
        default:
            return NGX_ERROR;
        }

    } else if (r->headers_out.status != NGX_HTTP_OK || r->header_only) {
        ctx->xform = NULL;
        return ngx_http_next_header_filter(r);
    }

    ctx->xform->request = r;

    if (ctx->xform->feed == ngx_http_quotalane_unwrap_feed) {
        ql_unwrap_init(ctx->xform->state,
                       ql_usage_framing_from_content_type(
                           r->headers_out.content_type.data,
                           r->headers_out.content_type.len)
                       == QL_USAGE_SSE);
    }

    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_weak_etag(r);

    return ngx_http_next_header_filter(r);
}


static int ngx_http_quotalane_xform_emit(void *data, const unsigned char *p,
    size_t len);
static int ngx_http_quotalane_xform_emit_usage(void *data,
    const unsigned char *p, size_t len);


/* the transforms, with their states as void * */

static int
ngx_http_quotalane_strip_feed(void *state, const unsigned char *p,
    size_t len, ql_emit_pt emit, void *data)
{
    return ql_usage_strip_feed(state, p, len, emit, data);
}


static int
ngx_http_quotalane_strip_finish(void *state, ql_emit_pt emit, void *data)
{
    return ql_usage_strip_finish(state, emit, data);
}


static int
ngx_http_quotalane_unwrap_feed(void *state, const unsigned char *p,
    size_t len, ql_emit_pt emit, void *data)
{
    return ql_unwrap_feed(state, p, len, emit, data);
}


static int
ngx_http_quotalane_unwrap_finish(void *state, ql_emit_pt emit, void *data)
{
    return ql_unwrap_finish(state, emit, data);
}


/*
 * Which transform the picked account's answer needs, if any: called for
 * every attempt, so a failover to another account type changes it.
 */
ngx_int_t
ngx_http_quotalane_transform_set(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    size_t                       size;
    ngx_uint_t                   unwrap;
    ngx_http_quotalane_xform_t  *x;

    ctx->xform = NULL;

    if (ctx->account.row->shape == QL_SHAPE_BEDROCK) {
        x = ngx_pcalloc(r->pool, sizeof(ngx_http_quotalane_xform_t));
        if (x == NULL
            || ngx_http_quotalane_bedrock_xform(r, ctx, x) != NGX_OK)
        {
            return NGX_ERROR;
        }

        ctx->xform = x;
        return NGX_OK;
    }

    unwrap = (ctx->account.row->shape == QL_SHAPE_CODE_ASSIST);

    if (!unwrap && !ctx->strip_usage) {
        return NGX_OK;
    }

    size = unwrap ? sizeof(ql_unwrap_t) : sizeof(ql_usage_strip_t);

    x = ngx_pcalloc(r->pool, sizeof(ngx_http_quotalane_xform_t) + size);
    if (x == NULL) {
        return NGX_ERROR;
    }

    x->state = (u_char *) x + sizeof(ngx_http_quotalane_xform_t);

    if (unwrap) {
        /* SSE or JSON is known from the answer's header */
        x->feed = ngx_http_quotalane_unwrap_feed;
        x->finish = ngx_http_quotalane_unwrap_finish;
        x->usage = ctx;

    } else {
        ql_usage_strip_init(x->state);
        x->feed = ngx_http_quotalane_strip_feed;
        x->finish = ngx_http_quotalane_strip_finish;
    }

    ctx->xform = x;

    return NGX_OK;
}


/* The transform's output, appended to buffers this filter owns. */
static int
ngx_http_quotalane_xform_emit(void *data, const unsigned char *p, size_t len)
{
    ngx_http_quotalane_xform_t *x = data;

    size_t        n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    while (len) {
        b = x->buf;

        if (b == NULL || b->last == b->end) {
            cl = ngx_chain_get_free_buf(x->request->pool, &x->free);
            if (cl == NULL) {
                return -1;
            }

            b = cl->buf;

            if (b->start == NULL) {
                b->start = ngx_palloc(x->request->pool,
                                      NGX_HTTP_QUOTALANE_XFORM_BUF);
                if (b->start == NULL) {
                    return -1;
                }

                b->end = b->start + NGX_HTTP_QUOTALANE_XFORM_BUF;
            }

            b->pos = b->start;
            b->last = b->start;
            b->temporary = 1;
            b->tag = (ngx_buf_tag_t) &ngx_http_quotalane_module;

            *x->last_out = cl;
            x->last_out = &cl->next;
            x->buf = b;
        }

        n = ngx_min(len, (size_t) (b->end - b->last));
        b->last = ngx_cpymem(b->last, p, n);
        p += n;
        len -= n;
    }

    return 0;
}


/* The output, also to the usage parser when it reads that. */
static int
ngx_http_quotalane_xform_emit_usage(void *data, const unsigned char *p,
    size_t len)
{
    ngx_http_quotalane_xform_t *x = data;

    if (x->usage->usage_parser && !x->usage->body_done) {
        ql_usage_feed(x->usage->usage_parser, p, len);
    }

    return ngx_http_quotalane_xform_emit(data, p, len);
}


/* An empty buffer that only carries last_buf or flush on. */
static ngx_int_t
ngx_http_quotalane_xform_mark(ngx_http_quotalane_xform_t *x,
    ngx_uint_t last)
{
    ngx_chain_t  *cl;

    if (x->buf == NULL) {
        cl = ngx_chain_get_free_buf(x->request->pool, &x->free);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        /* not in memory: an empty buffer in memory is not special */
        cl->buf->pos = cl->buf->start;
        cl->buf->last = cl->buf->start;
        cl->buf->temporary = 0;
        cl->buf->tag = (ngx_buf_tag_t) &ngx_http_quotalane_module;

        *x->last_out = cl;
        x->last_out = &cl->next;
        x->buf = cl->buf;
    }

    /* streams go out as they come: every piece is flushed */
    x->buf->flush = 1;
    x->buf->last_buf = last;

    return NGX_OK;
}


static ngx_int_t
ngx_http_quotalane_xform_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                       len;
    ngx_int_t                    rc;
    ngx_uint_t                   last, flush;
    ql_emit_pt                   emit;
    ngx_chain_t                 *cl, *out;
    ngx_http_quotalane_ctx_t    *ctx;
    ngx_http_quotalane_xform_t  *x;

    if (r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_quotalane_module);

    if (ctx == NULL || ctx->xform == NULL || ctx->xform->request == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    x = ctx->xform;
    emit = x->usage ? ngx_http_quotalane_xform_emit_usage
                    : ngx_http_quotalane_xform_emit;

    if (x->done) {
        /* after last_buf nothing more is expected; pass what comes */
        return ngx_http_next_body_filter(r, in);
    }

    out = NULL;
    x->last_out = &out;
    x->buf = NULL;
    last = 0;
    flush = 0;

    for (cl = in; cl; cl = cl->next) {
        len = ngx_buf_size(cl->buf);

        if (ngx_buf_in_memory(cl->buf) && len) {
            if (x->feed(x->state, cl->buf->pos, len, emit, x) != 0)
            {
                return NGX_ERROR;
            }
        }

        /* consumed: proxy reuses the buffer */
        cl->buf->pos = cl->buf->last;

        flush |= cl->buf->flush;

        if (cl->buf->last_buf) {
            last = 1;
            break;
        }
    }

    if (last) {
        x->done = 1;

        if (x->finish(x->state, emit, x) != 0) {
            return NGX_ERROR;
        }
    }

    if (out == NULL && !last && !flush) {
        return (x->busy == NULL) ? NGX_OK
                                 : ngx_http_next_body_filter(r, NULL);
    }

    if (ngx_http_quotalane_xform_mark(x, last) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_next_body_filter(r, out);

    ngx_chain_update_chains(r->pool, &x->free, &x->busy, &out,
                            (ngx_buf_tag_t) &ngx_http_quotalane_module);

    return rc;
}
