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
#define QL_ROUTE_PREFIX  0x04      /* path is a prefix: /v1/models/<id> */

/* a longer model name is refused: it would only bloat logs and records */
#define QL_ROUTE_MODEL_MAX  256


typedef struct {
    const char          *path;      /* from "/v1/" on */
    const char          *method;    /* GET routes also take HEAD */
    unsigned             flags;
} ql_route_t;


/*
 * The route of the platform that path (from "/v1/" on, without the
 * query) names, or NULL when the platform declares no routes or none
 * matches (then nothing is checked).
 */
const ql_route_t *ql_route_find(const ql_platform_t *platform,
    const unsigned char *path, size_t len);

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
