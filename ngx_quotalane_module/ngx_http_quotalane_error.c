/*
 * Our own rejections, in the error JSON shape of the platform the client
 * speaks, so SDKs show the message and handle the status as usual.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


#define NGX_HTTP_QUOTALANE_ERROR_BODY_MAX  1024


ngx_int_t
ngx_http_quotalane_error_output(ngx_http_request_t *r,
    const ql_platform_t *platform, ngx_uint_t status, ql_error_kind_t kind,
    const char *message, ngx_uint_t retry_after)
{
    size_t            len;
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    b = ngx_create_temp_buf(r->pool, NGX_HTTP_QUOTALANE_ERROR_BODY_MAX);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ql_error_body(platform, kind, message, b->pos,
                        NGX_HTTP_QUOTALANE_ERROR_BODY_MAX);
    if (len == 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = b->pos + len;
    b->last_buf = (r == r->main);
    b->last_in_chain = 1;

    r->headers_out.status = status;

    /* nginx answers an error_page request with err_status */
    if (r->err_status) {
        r->err_status = status;
    }

    if (retry_after) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "retry-after");
        h->value.data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (h->value.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        h->value.len = ngx_sprintf(h->value.data, "%ui", retry_after)
                       - h->value.data;
    }

    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_quotalane_send_error(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ql_error_kind_t kind, const char *message)
{
    ctx->state = NGX_HTTP_QUOTALANE_STATE_REJECTED;

    ngx_http_quotalane_metrics_request(ctx->platform->id, kind);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "quotalane: rejected with %ui: %s",
                  ql_error_status(kind), message);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    if (kind == QL_ERR_METHOD_NOT_ALLOWED
        && ngx_http_quotalane_route_allow(r, ctx) != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_DONE;
    }

    ngx_http_finalize_request(r,
        ngx_http_quotalane_error_output(r, ctx->platform,
                                        ql_error_status(kind), kind, message,
                                        ctx->retry_after));

    return NGX_DONE;
}
