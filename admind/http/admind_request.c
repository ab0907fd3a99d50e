/*
 * QuotaLane admind: request accessors.
 *
 * Handlers reach the connection only through these calls, which keeps
 * them independent of libmicrohttpd and testable without a server.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "admind_request.h"
#include "admind_response.h"


admind_req_t *
admind_req_create(admind_ctx_t *ctx, const char *method, const char *path)
{
    admind_req_t  *r;

    r = calloc(1, sizeof(admind_req_t));
    if (r == NULL) {
        return NULL;
    }

    r->ctx = ctx;
    r->method = strdup(method);
    r->path = strdup(path);

    if (r->method == NULL || r->path == NULL) {
        admind_req_free(r);
        return NULL;
    }

    clock_gettime(CLOCK_MONOTONIC, &r->start);

    return r;
}


int
admind_req_set_target(admind_req_t *r, const char *method, const char *path)
{
    char  *m, *p;

    m = strdup(method);
    p = strdup(path);

    if (m == NULL || p == NULL) {
        free(m);
        free(p);
        return ADMIND_ERROR;
    }

    free(r->method);
    free(r->path);
    r->method = m;
    r->path = p;

    return ADMIND_OK;
}


void
admind_req_free(admind_req_t *r)
{
    unsigned  i;

    if (r == NULL) {
        return;
    }

    for (i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }

    /* bodies may carry passwords: do not leave them in freed memory */
    if (r->body != NULL) {
        memset(r->body, 0, r->body_cap);
        free(r->body);
    }

    free(r->resp_body);
    free(r->method);
    free(r->path);
    free(r);
}


int
admind_req_append_body(admind_req_t *r, const char *data, size_t len,
    size_t max)
{
    char    *p;
    size_t   cap;

    if (len > max || r->body_len > max - len) {
        return ADMIND_DECLINED;
    }

    if (r->body_len + len + 1 > r->body_cap) {
        cap = r->body_cap ? r->body_cap : 4096;
        while (cap < r->body_len + len + 1) {
            cap *= 2;
        }

        if (cap > max + 1) {
            cap = max + 1;
        }

        p = malloc(cap);
        if (p == NULL) {
            return ADMIND_ERROR;
        }

        /* not realloc(): the old copy is wiped, see admind_req_free() */
        if (r->body != NULL) {
            memcpy(p, r->body, r->body_len);
            memset(r->body, 0, r->body_cap);
            free(r->body);
        }

        r->body = p;
        r->body_cap = cap;
    }

    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';

    return ADMIND_OK;
}


const char *
admind_req_param(admind_req_t *r, const char *name)
{
    unsigned  i;

    for (i = 0; i < r->match.nparams; i++) {
        if (strcmp(r->match.params[i].name, name) == 0) {
            return r->match.params[i].value;
        }
    }

    return NULL;
}


int
admind_req_param_id(admind_req_t *r, const char *name, uint64_t *id)
{
    uint64_t     v;
    const char  *p, *s;

    s = admind_req_param(r, name);
    v = 0;

    if (s == NULL || s[0] == '\0' || s[0] == '0') {
        goto invalid;
    }

    /* ids fit a signed BIGINT, the largest integer JSON clients keep */
    for (p = s; *p; p++) {
        if (*p < '0' || *p > '9'
            || v > ((uint64_t) INT64_MAX - (uint64_t) (*p - '0')) / 10)
        {
            goto invalid;
        }

        v = v * 10 + (uint64_t) (*p - '0');
    }

    *id = v;

    return ADMIND_OK;

invalid:

    /* an id that cannot exist names nothing: not found, not bad request */
    admind_resp_error(r, 404, "not_found", "no such %s", name);

    return ADMIND_ERROR;
}


const char *
admind_req_header(admind_req_t *r, const char *name)
{
    if (r->connection == NULL) {
        return NULL;
    }

    return MHD_lookup_connection_value(r->connection, MHD_HEADER_KIND, name);
}


const char *
admind_req_query(admind_req_t *r, const char *name)
{
    unsigned  i;

    for (i = 0; i < r->nqueried; i++) {
        if (strcmp(r->queried[i], name) == 0) {
            break;
        }
    }

    if (i == r->nqueried && i < ADMIND_REQ_MAX_QUERIED) {
        r->queried[r->nqueried++] = name;
    }

    if (r->connection == NULL) {
        return NULL;
    }

    return MHD_lookup_connection_value(r->connection,
                                       MHD_GET_ARGUMENT_KIND, name);
}


typedef struct {
    admind_req_t  *r;
    int            unknown;
} admind_req_unasked_t;


/* stops at the first argument the handler never asked for */
static enum MHD_Result
admind_req_query_unasked(void *data, enum MHD_ValueKind kind,
    const char *key, const char *value)
{
    unsigned               i;
    admind_req_unasked_t  *u;

    (void) kind;
    (void) value;

    u = data;

    for (i = 0; i < u->r->nqueried; i++) {
        if (strcmp(u->r->queried[i], key) == 0) {
            return MHD_YES;
        }
    }

    admind_resp_error(u->r, 400, "invalid_argument", "unknown query "
                      "parameter \"%.64s\"", key);
    u->unknown = 1;

    return MHD_NO;
}


int
admind_req_query_known(admind_req_t *r)
{
    admind_req_unasked_t  u;

    if (r->connection == NULL) {
        return ADMIND_OK;
    }

    u.r = r;
    u.unknown = 0;

    (void) MHD_get_connection_values(r->connection, MHD_GET_ARGUMENT_KIND,
                                     admind_req_query_unasked, &u);

    return u.unknown ? ADMIND_ERROR : ADMIND_OK;
}


/*
 * The key that jansson found twice: its error position is just past the
 * key's closing quote (jansson quotes only short keys in its message).
 */
static int
admind_req_duplicate_key(admind_req_t *r, int position, char *key,
    size_t size)
{
    int            end, start, n;
    json_t        *v;
    json_error_t   error;

    end = position - 1;

    if (end < 1 || (size_t) end >= r->body_len || r->body[end] != '"') {
        return ADMIND_ERROR;
    }

    for (start = end - 1; start >= 0; start--) {
        if (r->body[start] != '"') {
            continue;
        }

        /* a quote after an odd number of backslashes is escaped */
        for (n = 0; start - n - 1 >= 0 && r->body[start - n - 1] == '\\';
             n++)
        {
            /* void */
        }

        if (n % 2 == 0) {
            break;
        }
    }

    if (start < 0) {
        return ADMIND_ERROR;
    }

    v = json_loadb(r->body + start, (size_t) (end - start + 1),
                   JSON_DECODE_ANY, &error);

    if (!json_is_string(v)) {
        json_decref(v);
        return ADMIND_ERROR;
    }

    snprintf(key, size, "%s", json_string_value(v));
    json_decref(v);

    return ADMIND_OK;
}


json_t *
admind_req_json(admind_req_t *r)
{
    char           key[128];
    json_t        *body;
    json_error_t   error;

    if (r->body_len == 0) {
        admind_resp_error(r, 400, "invalid_json", "a JSON body is required");
        return NULL;
    }

    body = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &error);

    if (body == NULL && json_error_code(&error) == json_error_duplicate_key
        && admind_req_duplicate_key(r, error.position, key, sizeof(key))
           == ADMIND_OK)
    {
        admind_resp_error(r, 400, "invalid_json", "duplicate key \"%s\" at "
                          "line %d column %d", key, error.line,
                          error.column);
        return NULL;
    }

    if (body == NULL) {
        admind_resp_error(r, 400, "invalid_json", "invalid JSON at line %d "
                          "column %d: %s", error.line, error.column,
                          error.text);
        return NULL;
    }

    if (!json_is_object(body)) {
        json_decref(body);
        admind_resp_error(r, 400, "invalid_json",
                          "the body must be a JSON object");
        return NULL;
    }

    return body;
}


int
admind_req_page(admind_req_t *r, admind_page_t *page)
{
    char  err[ADMIND_ERRLEN];

    if (admind_page_parse(admind_req_query(r, "pageSize"),
                          admind_req_query(r, "pageToken"), page, err,
                          sizeof(err))
        != ADMIND_OK)
    {
        admind_resp_error(r, 400, "invalid_argument", "%s", err);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}
