/*
 * The request against the platform's route table (ql/ql_route.h): an
 * unknown path is answered 404 and a wrong method 405 before the key is
 * even looked at, and only the query parameters the vendor's API takes go
 * upstream.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


/*
 * The route the path names (ql_route.h): a path the platform does not
 * serve is 404, a method its route does not take 405, both before the
 * key is looked at.
 */
ngx_int_t
ngx_http_quotalane_route_method(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ctx->route = ql_route_match(ctx->platform, r->uri.data, r->uri.len,
                                &ctx->match);

    if (ctx->route == NULL) {
        return ngx_http_quotalane_send_error(r, ctx, QL_ERR_NOT_FOUND,
                                             "Not found.");
    }

    if (ql_route_method_ok(ctx->route, r->method_name.data,
                           r->method_name.len))
    {
        return NGX_OK;
    }

    return ngx_http_quotalane_send_error(r, ctx, QL_ERR_METHOD_NOT_ALLOWED,
                                         "Method not allowed on this "
                                         "endpoint.");
}


/* Allow: for a 405, the route's method (GET routes take HEAD too). */
ngx_int_t
ngx_http_quotalane_route_allow(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ngx_table_elt_t  *h;

    if (ctx->route == NULL) {
        return NGX_OK;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Allow");

    if (ngx_strcmp(ctx->route->method, "GET") == 0) {
        ngx_str_set(&h->value, "GET, HEAD");

    } else {
        h->value.data = (u_char *) ctx->route->method;
        h->value.len = ngx_strlen(ctx->route->method);
    }

    return NGX_OK;
}


/*
 * The client's query string minus what the vendor does not take: a key
 * sent as ?key= (never read, see key.c) must not reach the upstream.
 */
ngx_int_t
ngx_http_quotalane_route_args(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_str_t *args)
{
    args->len = 0;

    if (r->args.len == 0) {
        args->data = NULL;
        return NGX_OK;
    }

    args->data = ngx_pnalloc(r->pool, r->args.len);
    if (args->data == NULL) {
        return NGX_ERROR;
    }

    args->len = ql_route_query(ctx->platform, r->args.data, r->args.len,
                               args->data);

    return NGX_OK;
}
