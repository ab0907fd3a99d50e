/*
 * The vendor's own errors pass to the client.  A gateway location has
 * error_page for its failover statuses (401, 403, 429, 5xx) and for
 * nginx's own errors (400 bad framing, 413 body too large, ...), and
 * proxy_intercept_errors intercepts every status error_page names, the
 * vendor's 400 ("prompt is too long", a validation error) too: the
 * client would get nginx's generic message instead.  Once the request
 * is read and goes upstream, nginx has no more errors of its own to
 * answer, so the request switches to a copy of its location's
 * configuration whose error_page keeps only what fails over: 401, 403,
 * 429 and 5xx but 501.  The copy is made once per location and worker.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


static ngx_uint_t
ngx_http_quotalane_fails_over(ngx_int_t status)
{
    return status == NGX_HTTP_UNAUTHORIZED || status == NGX_HTTP_FORBIDDEN
           || status == NGX_HTTP_TOO_MANY_REQUESTS
           || (status >= 500 && status != NGX_HTTP_NOT_IMPLEMENTED);
}


/* the location's configuration with only the failover error pages */
static void **
ngx_http_quotalane_passthrough_conf(ngx_http_request_t *r)
{
    void                      **lc;
    ngx_uint_t                  i;
    ngx_array_t                *pages;
    ngx_http_err_page_t        *page, *keep;
    ngx_http_core_loc_conf_t   *clcf, *copy;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    lc = ngx_palloc(ngx_cycle->pool, sizeof(void *) * ngx_http_max_module);
    copy = ngx_palloc(ngx_cycle->pool, sizeof(ngx_http_core_loc_conf_t));
    if (lc == NULL || copy == NULL) {
        return NULL;
    }

    ngx_memcpy(lc, r->loc_conf, sizeof(void *) * ngx_http_max_module);
    *copy = *clcf;
    lc[ngx_http_core_module.ctx_index] = copy;

    if (clcf->error_pages == NULL) {
        return lc;
    }

    pages = ngx_array_create(ngx_cycle->pool, clcf->error_pages->nelts,
                             sizeof(ngx_http_err_page_t));
    if (pages == NULL) {
        return NULL;
    }

    page = clcf->error_pages->elts;

    for (i = 0; i < clcf->error_pages->nelts; i++) {
        if (ngx_http_quotalane_fails_over(page[i].status)) {
            keep = ngx_array_push(pages);
            if (keep == NULL) {
                return NULL;
            }

            *keep = page[i];
        }
    }

    copy->error_pages = pages->nelts ? pages : NULL;

    return lc;
}


/* The request goes upstream: only failover statuses are intercepted. */
ngx_int_t
ngx_http_quotalane_passthrough(ngx_http_request_t *r)
{
    ngx_http_quotalane_loc_conf_t  *qlcf;

    qlcf = ngx_http_get_module_loc_conf(r, ngx_http_quotalane_module);

    if (qlcf->passthrough_conf == NULL) {
        qlcf->passthrough_conf = ngx_http_quotalane_passthrough_conf(r);
        if (qlcf->passthrough_conf == NULL) {
            return NGX_ERROR;
        }
    }

    r->loc_conf = qlcf->passthrough_conf;

    return NGX_OK;
}
