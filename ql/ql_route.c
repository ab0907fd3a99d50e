/*
 * Routes of the platforms' APIs (see ql_route.h).
 */

#include <string.h>

#include "ql_route.h"


/*
 * Anthropic: the Messages API and token counting need a body with a
 * model; the model list is read with GET.  The only query parameters are
 * the SDKs' "beta=true" marker and the model list's paging.
 */
static const ql_route_t  ql_claude_routes[] = {
    { "/v1/messages", "POST", QL_ROUTE_BODY | QL_ROUTE_MODEL },
    { "/v1/messages/count_tokens", "POST", QL_ROUTE_BODY | QL_ROUTE_MODEL },
    { "/v1/models", "GET", 0 },
    { "/v1/models/", "GET", QL_ROUTE_PREFIX },
    { NULL, NULL, 0 }
};

static const char *const  ql_claude_query[] = {
    "beta", "limit", "before_id", "after_id", NULL
};

/* Gemini streams with ?alt=sse; its ?key= is never ours to pass on */
static const char *const  ql_gemini_query[] = { "alt", NULL };

static const char *const  ql_no_query[] = { NULL };


typedef struct {
    const ql_route_t    *routes;    /* NULL: not declared yet */
    const char *const   *query;
} ql_route_table_t;


static const ql_route_table_t  ql_route_tables[QL_PLATFORM_COUNT] = {
    [QL_PLATFORM_CLAUDE] = { ql_claude_routes, ql_claude_query },
    [QL_PLATFORM_GEMINI] = { NULL, ql_gemini_query },
    [QL_PLATFORM_OPENAI] = { NULL, ql_no_query },
    [QL_PLATFORM_BEDROCK] = { NULL, ql_no_query },
};


const ql_route_t *
ql_route_find(const ql_platform_t *platform, const unsigned char *path,
    size_t len)
{
    size_t             n;
    const ql_route_t  *route;

    if (platform == NULL || (unsigned) platform->id >= QL_PLATFORM_COUNT) {
        return NULL;
    }

    route = ql_route_tables[platform->id].routes;

    for ( /* void */ ; route != NULL && route->path != NULL; route++) {
        n = strlen(route->path);

        if (route->flags & QL_ROUTE_PREFIX) {
            if (len > n && memcmp(path, route->path, n) == 0) {
                return route;
            }

        } else if (len == n && memcmp(path, route->path, n) == 0) {
            return route;
        }
    }

    return NULL;
}


int
ql_route_method_ok(const ql_route_t *route, const unsigned char *method,
    size_t len)
{
    if (strlen(route->method) == len
        && memcmp(route->method, method, len) == 0)
    {
        return 1;
    }

    return strcmp(route->method, "GET") == 0
           && len == 4 && memcmp(method, "HEAD", 4) == 0;
}


static int
ql_route_query_allowed(const char *const *names, const unsigned char *name,
    size_t len)
{
    for ( /* void */ ; *names != NULL; names++) {
        if (strlen(*names) == len && memcmp(*names, name, len) == 0) {
            return 1;
        }
    }

    return 0;
}


size_t
ql_route_query(const ql_platform_t *platform, const unsigned char *args,
    size_t len, unsigned char *out)
{
    size_t                n, name;
    const unsigned char  *p, *end, *amp, *eq;
    const char *const    *names;

    if (platform == NULL || (unsigned) platform->id >= QL_PLATFORM_COUNT) {
        return 0;
    }

    names = ql_route_tables[platform->id].query;
    end = args + len;
    n = 0;

    for (p = args; p < end; p = amp + 1) {
        amp = memchr(p, '&', (size_t) (end - p));
        if (amp == NULL) {
            amp = end;
        }

        eq = memchr(p, '=', (size_t) (amp - p));
        name = (size_t) ((eq ? eq : amp) - p);

        if (name && ql_route_query_allowed(names, p, name)) {
            if (n) {
                out[n++] = '&';
            }

            memcpy(out + n, p, (size_t) (amp - p));
            n += (size_t) (amp - p);
        }
    }

    return n;
}
