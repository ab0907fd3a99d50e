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
    { "/v1/messages", "POST", QL_ROUTE_BODY | QL_ROUTE_MODEL, "messages" },
    { "/v1/messages/count_tokens", "POST", QL_ROUTE_BODY | QL_ROUTE_MODEL,
      "count_tokens" },
    { "/v1/models", "GET", 0, "models" },
    { "/v1/models/{id}", "GET", 0, "models" },
    { NULL, NULL, 0, NULL }
};

/*
 * OpenAI: chat completions and Responses, with or without /v1 (Codex
 * CLI posts to <base>/responses); Azure clients name the deployment in
 * the path, which is then the model scheduled on.
 */
static const ql_route_t  ql_openai_routes[] = {
    { "/deployments/{model}/chat/completions", "POST", QL_ROUTE_BODY,
      "chat" },
    { "/chat/completions", "POST", QL_ROUTE_BODY | QL_ROUTE_MODEL, "chat" },
    { "/responses", "POST", QL_ROUTE_BODY | QL_ROUTE_MODEL, "responses" },
    { "/models", "GET", 0, "models" },
    { "/models/{id}", "GET", 0, "models" },
    { NULL, NULL, 0, NULL }
};

/* Gemini: the model is in the path, the version (v1, v1beta) too */
static const ql_route_t  ql_gemini_routes[] = {
    { "/{version}/models/{model}:generateContent", "POST", QL_ROUTE_BODY,
      "generate" },
    { "/{version}/models/{model}:streamGenerateContent", "POST",
      QL_ROUTE_BODY, "stream" },
    { "/{version}/models/{model}:countTokens", "POST", QL_ROUTE_BODY,
      "count_tokens" },
    { "/{version}/models", "GET", 0, "models" },
    { "/{version}/models/{id}", "GET", 0, "models" },
    { NULL, NULL, 0, NULL }
};

static const char *const  ql_claude_query[] = {
    "beta", "limit", "before_id", "after_id", NULL
};

/* Gemini streams with ?alt=sse; its ?key= is never ours to pass on */
static const char *const  ql_gemini_query[] = { "alt", "pageSize",
    "pageToken", NULL };

/* OpenAI's model list pages; Azure's api-version is the account's */
static const char *const  ql_no_query[] = { NULL };


typedef struct {
    const ql_route_t    *routes;    /* NULL: not declared yet */
    const char *const   *query;
} ql_route_table_t;


static const ql_route_table_t  ql_route_tables[QL_PLATFORM_COUNT] = {
    [QL_PLATFORM_CLAUDE] = { ql_claude_routes, ql_claude_query },
    [QL_PLATFORM_GEMINI] = { ql_gemini_routes, ql_gemini_query },
    [QL_PLATFORM_OPENAI] = { ql_openai_routes, ql_no_query },
    [QL_PLATFORM_BEDROCK] = { NULL, ql_no_query },
};


/* The segment of pattern p (after its '/') up to the next '/' or end. */
static size_t
ql_route_segment(const char *p)
{
    const char  *slash;

    slash = strchr(p, '/');

    return slash ? (size_t) (slash - p) : strlen(p);
}


/*
 * One pattern segment against one path segment: a literal, or a
 * placeholder followed by a literal tail ("{model}:countTokens").
 */
static int
ql_route_segment_match(const char *pat, size_t plen, const unsigned char *seg,
    size_t slen, ql_route_match_t *m)
{
    size_t       name, tail;
    ql_span_t   *span;
    const char  *close;

    if (plen == 0 || pat[0] != '{') {
        return plen == slen && memcmp(pat, seg, slen) == 0;
    }

    close = memchr(pat, '}', plen);
    if (close == NULL) {
        return 0;
    }

    name = (size_t) (close - pat) + 1;
    tail = plen - name;

    /* the placeholder takes at least one byte */
    if (slen <= tail || memcmp(close + 1, seg + slen - tail, tail) != 0) {
        return 0;
    }

    if (name == sizeof("{model}") - 1
        && memcmp(pat, "{model}", name) == 0)
    {
        span = &m->model;

    } else if (name == sizeof("{version}") - 1
               && memcmp(pat, "{version}", name) == 0)
    {
        span = &m->version;

    } else {
        span = &m->id;
    }

    span->data = seg;
    span->len = slen - tail;

    return 1;
}


/* The pattern against the last segments of path. */
static int
ql_route_pattern_match(const char *pattern, const unsigned char *path,
    size_t len, ql_route_match_t *m)
{
    size_t                n, segs, plen;
    const char           *p;
    const unsigned char  *start, *end, *slash;

    segs = 0;
    for (p = pattern; *p; p++) {
        segs += (*p == '/');
    }

    /* the start of the path's last `segs` segments */
    start = path + len;
    for (n = 0; n < segs; n++) {
        do {
            if (start == path) {
                return 0;
            }
            start--;
        } while (*start != '/');
    }

    m->path.data = start;
    m->path.len = (size_t) (path + len - start);

    p = pattern + 1;
    start++;

    for (n = 0; n < segs; n++) {
        slash = memchr(start, '/', (size_t) (path + len - start));
        end = slash ? slash : path + len;
        plen = ql_route_segment(p);

        if (!ql_route_segment_match(p, plen, start, (size_t) (end - start),
                                    m))
        {
            return 0;
        }

        p += plen + (p[plen] == '/');
        start = end + 1;
    }

    return 1;
}


const ql_route_t *
ql_route_match(const ql_platform_t *platform, const unsigned char *path,
    size_t len, ql_route_match_t *m)
{
    const ql_route_t  *route;

    memset(m, 0, sizeof(ql_route_match_t));

    if (platform == NULL || (unsigned) platform->id >= QL_PLATFORM_COUNT) {
        return NULL;
    }

    route = ql_route_tables[platform->id].routes;

    for ( /* void */ ; route != NULL && route->pattern != NULL; route++) {
        if (ql_route_pattern_match(route->pattern, path, len, m)) {
            m->route = route;
            return route;
        }

        memset(m, 0, sizeof(ql_route_match_t));
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
