/*
 * QuotaLane admind: building responses.
 *
 * Responses are built into the request (status, serialized body, extra
 * headers) and handed to libmicrohttpd by admind_http.c, so handlers and
 * these helpers run without a server in unit tests.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_log.h"
#include "admind_request.h"
#include "admind_response.h"


/* what is sent when even the error body cannot be built */
static const char  admind_resp_oom[] =
    "{\"error\":{\"code\":\"internal_error\",\"message\":\"out of memory\"}}";


void
admind_resp_reset(admind_req_t *r)
{
    unsigned  i;

    for (i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }

    r->nheaders = 0;

    free(r->resp_body);
    r->resp_body = NULL;
    r->resp_len = 0;
    r->resp_type = NULL;
    r->status = 0;
}


static int
admind_resp_oom_body(admind_req_t *r)
{
    free(r->resp_body);

    r->status = 500;
    r->resp_type = "application/json";
    r->resp_body = strdup(admind_resp_oom);
    r->resp_len = r->resp_body ? sizeof(admind_resp_oom) - 1 : 0;

    return r->status;
}


int
admind_resp_json(admind_req_t *r, unsigned status, json_t *body)
{
    char  *text;

    text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);

    if (text == NULL) {
        return admind_resp_oom_body(r);
    }

    free(r->resp_body);

    r->status = status;
    r->resp_type = "application/json";
    r->resp_body = text;
    r->resp_len = strlen(text);

    return r->status;
}


int
admind_resp_error(admind_req_t *r, unsigned status, const char *code,
    const char *fmt, ...)
{
    char     message[1024];
    json_t  *body;
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);

    if (code == NULL) {
        code = admind_resp_code(status);
    }

    body = json_pack("{s:{s:s,s:o}}", "error", "code", code,
                     "message", admind_log_str(message));

    return admind_resp_json(r, status, body);
}


int
admind_resp_empty(admind_req_t *r, unsigned status)
{
    free(r->resp_body);

    r->status = status;
    r->resp_type = NULL;
    r->resp_body = NULL;
    r->resp_len = 0;

    return r->status;
}


int
admind_resp_header(admind_req_t *r, const char *name, const char *value)
{
    admind_header_t  *h;

    if (r->nheaders == ADMIND_REQ_MAX_HEADERS) {
        return ADMIND_ERROR;
    }

    h = &r->headers[r->nheaders];
    h->name = strdup(name);
    h->value = strdup(value);

    if (h->name == NULL || h->value == NULL) {
        free(h->name);
        free(h->value);
        return ADMIND_ERROR;
    }

    r->nheaders++;

    return ADMIND_OK;
}


const char *
admind_resp_code(unsigned status)
{
    switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 412: return "precondition_failed";
    case 413: return "payload_too_large";
    case 415: return "unsupported_media_type";
    case 422: return "unprocessable_entity";
    case 429: return "too_many_requests";
    case 500: return "internal_error";
    case 501: return "not_implemented";
    case 503: return "unavailable";
    default:  return status >= 500 ? "internal_error" : "bad_request";
    }
}
