/*
 * What each route of a platform's API takes: its method, whether it needs
 * a JSON body and a model, and which query parameters go upstream.
 * nginx-free; the module checks requests against it before any account
 * is picked, so a request the vendor would refuse costs nothing.
 */

#ifndef QL_ROUTE_H
#define QL_ROUTE_H

#include <stddef.h>

#include "ql_platform.h"


#define QL_ROUTE_BODY    0x01      /* a JSON object body is required */
#define QL_ROUTE_MODEL   0x02      /* ... with a "model" string in it */

/* a longer model name is refused: it would only bloat logs and records */
#define QL_ROUTE_MODEL_MAX  256


/*
 * A route's pattern is matched against the end of the request path,
 * segment by segment, so /api/v1/messages and /claude/v1/messages are
 * both /v1/messages.  A segment may start with a placeholder that takes
 * what the rest of the segment does not: {model} (the model the request
 * is for, as Gemini and Azure deployments put it in the path), {id} (a
 * name that is not scheduled on, /v1/models/{id}) and {version}
 * (v1beta).
 */
typedef struct {
    const char          *pattern;   /* "/{version}/models/{model}:countTokens" */
    const char          *method;    /* GET routes also take HEAD */
    unsigned             flags;
    const char          *endpoint;  /* "count_tokens": ql_account_type.h */
} ql_route_t;


typedef struct {
    const unsigned char  *data;
    size_t                len;
} ql_span_t;


typedef struct {
    const ql_route_t    *route;     /* NULL: no route matched */
    ql_span_t            path;      /* what the pattern matched */
    ql_span_t            model;     /* {model}, empty if the route has none */
    ql_span_t            id;        /* {id} */
    ql_span_t            version;   /* {version} */
} ql_route_match_t;


/*
 * Matches path (without the query) against the platform's routes, first
 * match wins.  Returns m->route, NULL when none matches (then the
 * gateway refuses the request: 404).
 */
const ql_route_t *ql_route_match(const ql_platform_t *platform,
    const unsigned char *path, size_t len, ql_route_match_t *m);

/* 1 when method (e.g. "POST") is what the route takes */
int ql_route_method_ok(const ql_route_t *route, const unsigned char *method,
    size_t len);

/*
 * Copies into out (at least len bytes) the parameters of the query
 * string args that the platform's API takes, in their order, joined by
 * '&'; every other one (a client's "key", tracking junk) stays here.
 * Returns the length written.
 */
size_t ql_route_query(const ql_platform_t *platform,
    const unsigned char *args, size_t len, unsigned char *out);

#endif /* QL_ROUTE_H */
