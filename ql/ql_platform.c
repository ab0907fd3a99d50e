/*
 * Platform table and the vendors' error body shapes.
 */

#include <stdio.h>
#include <string.h>

#include "ql_platform.h"


static const ql_platform_t  ql_platforms[QL_PLATFORM_COUNT] = {
    { QL_PLATFORM_CLAUDE,  "claude",  QL_ERROR_SHAPE_ANTHROPIC },
    { QL_PLATFORM_GEMINI,  "gemini",  QL_ERROR_SHAPE_GEMINI },
    { QL_PLATFORM_OPENAI,  "openai",  QL_ERROR_SHAPE_OPENAI },
    { QL_PLATFORM_BEDROCK, "bedrock", QL_ERROR_SHAPE_ANTHROPIC },
};


typedef struct {
    unsigned     status;
    const char  *anthropic_type;
    const char  *openai_type;
    const char  *openai_code;
    const char  *gemini_status;
} ql_error_row_t;


static const ql_error_row_t  ql_errors[QL_ERR_COUNT] = {
    [QL_ERR_INVALID_REQUEST] = { 400, "invalid_request_error",
        "invalid_request_error", "invalid_request", "INVALID_ARGUMENT" },
    [QL_ERR_AUTHENTICATION] = { 401, "authentication_error",
        "invalid_request_error", "invalid_api_key", "UNAUTHENTICATED" },
    [QL_ERR_BILLING] = { 402, "billing_error",
        "insufficient_quota", "insufficient_quota", "RESOURCE_EXHAUSTED" },
    [QL_ERR_PERMISSION] = { 403, "permission_error",
        "permission_error", "permission_denied", "PERMISSION_DENIED" },
    [QL_ERR_NOT_FOUND] = { 404, "not_found_error",
        "invalid_request_error", "not_found", "NOT_FOUND" },
    [QL_ERR_REQUEST_TOO_LARGE] = { 413, "request_too_large",
        "invalid_request_error", "request_too_large", "INVALID_ARGUMENT" },
    [QL_ERR_URI_TOO_LONG] = { 414, "invalid_request_error",
        "invalid_request_error", "uri_too_long", "INVALID_ARGUMENT" },
    [QL_ERR_RATE_LIMIT] = { 429, "rate_limit_error",
        "rate_limit_error", "rate_limit_exceeded", "RESOURCE_EXHAUSTED" },
    [QL_ERR_API] = { 500, "api_error",
        "server_error", "server_error", "INTERNAL" },
    [QL_ERR_NOT_IMPLEMENTED] = { 501, "invalid_request_error",
        "invalid_request_error", "not_implemented", "UNIMPLEMENTED" },
    [QL_ERR_UNAVAILABLE] = { 503, "api_error",
        "server_error", "service_unavailable", "UNAVAILABLE" },
    [QL_ERR_OVERLOADED] = { 529, "overloaded_error",
        "server_error", "overloaded", "UNAVAILABLE" },
    [QL_ERR_METHOD_NOT_ALLOWED] = { 405, "invalid_request_error",
        "invalid_request_error", "method_not_allowed", "INVALID_ARGUMENT" },
};


const ql_platform_t *
ql_platform_by_name(const unsigned char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < QL_PLATFORM_COUNT; i++) {
        if (strlen(ql_platforms[i].name) == len
            && memcmp(ql_platforms[i].name, name, len) == 0)
        {
            return &ql_platforms[i];
        }
    }

    return NULL;
}


const ql_platform_t *
ql_platform_get(ql_platform_id_t id)
{
    if ((unsigned) id >= QL_PLATFORM_COUNT) {
        return NULL;
    }

    return &ql_platforms[id];
}


const char *
ql_platform_names(void)
{
    return "claude, gemini, openai, bedrock";
}


unsigned
ql_error_status(ql_error_kind_t kind)
{
    if ((unsigned) kind >= QL_ERR_COUNT) {
        return 500;
    }

    return ql_errors[kind].status;
}


typedef struct {
    unsigned          status;
    ql_error_kind_t   kind;
    const char       *message;
} ql_status_row_t;


/*
 * nginx's own error statuses.  error_page turns its 494 (header too
 * large) into 400 before we see it, hence one message for both.
 */
static const ql_status_row_t  ql_statuses[] = {
    { 400, QL_ERR_INVALID_REQUEST,
      "The request is malformed or its headers are too large." },
    { 404, QL_ERR_NOT_FOUND, "Not found." },
    { 413, QL_ERR_REQUEST_TOO_LARGE, "Request body is too large." },
    { 414, QL_ERR_URI_TOO_LONG, "Request URI is too long." },
    { 429, QL_ERR_RATE_LIMIT,
      "Too many requests from your address at once; try again shortly." },
    { 501, QL_ERR_NOT_IMPLEMENTED,
      "The request's Transfer-Encoding is not supported." },
    { 503, QL_ERR_UNAVAILABLE, "The service is unavailable; try again "
      "shortly." },
};


ql_error_kind_t
ql_error_kind_by_status(unsigned status, const char **message)
{
    size_t  i;

    for (i = 0; i < sizeof(ql_statuses) / sizeof(ql_statuses[0]); i++) {
        if (ql_statuses[i].status == status) {
            *message = ql_statuses[i].message;
            return ql_statuses[i].kind;
        }
    }

    if (status >= 400 && status < 500) {
        *message = "The request was refused.";
        return QL_ERR_INVALID_REQUEST;
    }

    *message = "The request failed.";
    return QL_ERR_API;
}


/* JSON-escapes s into buf; returns the length or (size_t) -1 if full. */
static size_t
ql_json_escape(const char *s, char *buf, size_t size)
{
    size_t          n;
    unsigned char   c;

    for (n = 0; *s; s++) {
        c = (unsigned char) *s;

        if (c == '"' || c == '\\') {
            if (n + 2 > size) {
                return (size_t) -1;
            }
            buf[n++] = '\\';
            buf[n++] = (char) c;

        } else if (c < 0x20) {
            if (n + 6 > size) {
                return (size_t) -1;
            }
            snprintf(buf + n, 7, "\\u%04x", c);
            n += 6;

        } else {
            if (n + 1 > size) {
                return (size_t) -1;
            }
            buf[n++] = (char) c;
        }
    }

    return n;
}


size_t
ql_error_body(const ql_platform_t *platform, ql_error_kind_t kind,
    const char *message, unsigned char *buf, size_t size)
{
    int                    n;
    char                   msg[512];
    size_t                 len;
    const ql_error_row_t  *row;

    if ((unsigned) kind >= QL_ERR_COUNT) {
        kind = QL_ERR_API;
    }

    row = &ql_errors[kind];

    len = ql_json_escape(message, msg, sizeof(msg) - 1);
    if (len == (size_t) -1) {
        return 0;
    }
    msg[len] = '\0';

    switch (platform ? platform->error_shape : QL_ERROR_SHAPE_ANTHROPIC) {

    case QL_ERROR_SHAPE_OPENAI:
        n = snprintf((char *) buf, size,
                     "{\"error\":{\"message\":\"%s\",\"type\":\"%s\","
                     "\"param\":null,\"code\":\"%s\"}}",
                     msg, row->openai_type, row->openai_code);
        break;

    case QL_ERROR_SHAPE_GEMINI:
        n = snprintf((char *) buf, size,
                     "{\"error\":{\"code\":%u,\"message\":\"%s\","
                     "\"status\":\"%s\"}}",
                     row->status, msg, row->gemini_status);
        break;

    default:
        n = snprintf((char *) buf, size,
                     "{\"type\":\"error\",\"error\":{\"type\":\"%s\","
                     "\"message\":\"%s\"}}",
                     row->anthropic_type, msg);
        break;
    }

    if (n < 0 || (size_t) n >= size) {
        return 0;
    }

    return (size_t) n;
}
