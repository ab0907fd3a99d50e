/*
 * QuotaLane admind: routing.
 *
 * Patterns are split into segments once at startup; a lookup compares
 * segment by segment against every route.  The admin API has tens of
 * routes, for which a linear scan is as fast as a tree and far simpler.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_router.h"


typedef struct {
    const char  *text;          /* literal text, or the parameter name */
    size_t       len;
    unsigned     param;
} admind_segment_t;


typedef struct {
    const admind_route_t  *route;
    char                  *copy;        /* owns the segment strings */
    unsigned               nsegs;
    unsigned               score;       /* more literal segments first */
    admind_segment_t       segs[ADMIND_ROUTE_MAX_SEGMENTS];
} admind_compiled_route_t;


struct admind_router_s {
    admind_compiled_route_t  *routes;
    size_t                    n;
};


/* "/a/b" into {"a", "b"} in place; "/" has no segments */
static int
admind_router_split(char *path, char **segs, size_t *lens, unsigned *n)
{
    char  *p, *slash;

    *n = 0;

    if (path[0] != '/') {
        return ADMIND_ERROR;
    }

    if (path[1] == '\0') {
        return ADMIND_OK;
    }

    p = path + 1;

    for ( ;; ) {
        if (*n == ADMIND_ROUTE_MAX_SEGMENTS) {
            return ADMIND_ERROR;
        }

        slash = strchr(p, '/');

        segs[*n] = p;
        lens[*n] = slash ? (size_t) (slash - p) : strlen(p);
        (*n)++;

        if (slash == NULL) {
            return ADMIND_OK;
        }

        *slash = '\0';
        p = slash + 1;
    }
}


static int
admind_router_compile(admind_compiled_route_t *cr, const admind_route_t *r,
    char *err, size_t errlen)
{
    char      *segs[ADMIND_ROUTE_MAX_SEGMENTS], *name;
    size_t     lens[ADMIND_ROUTE_MAX_SEGMENTS], i, j;
    unsigned   n, nparams;

    cr->route = r;
    cr->copy = strdup(r->pattern);
    if (cr->copy == NULL) {
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    if (admind_router_split(cr->copy, segs, lens, &n) != ADMIND_OK) {
        snprintf(err, errlen, "route \"%s\": must start with '/' and have "
                 "at most %d segments", r->pattern,
                 ADMIND_ROUTE_MAX_SEGMENTS);
        return ADMIND_ERROR;
    }

    cr->nsegs = n;
    cr->score = 0;
    nparams = 0;

    for (i = 0; i < n; i++) {
        if (lens[i] == 0) {
            snprintf(err, errlen, "route \"%s\": empty segment", r->pattern);
            return ADMIND_ERROR;
        }

        if (segs[i][0] != '{') {
            if (memchr(segs[i], '{', lens[i]) || memchr(segs[i], '}', lens[i]))
            {
                snprintf(err, errlen, "route \"%s\": a parameter must be a "
                         "whole segment", r->pattern);
                return ADMIND_ERROR;
            }

            cr->segs[i].text = segs[i];
            cr->segs[i].len = lens[i];
            cr->segs[i].param = 0;
            cr->score |= 1u << (ADMIND_ROUTE_MAX_SEGMENTS - 1 - i);
            continue;
        }

        name = segs[i] + 1;

        if (lens[i] < 3 || segs[i][lens[i] - 1] != '}') {
            snprintf(err, errlen, "route \"%s\": bad parameter segment",
                     r->pattern);
            return ADMIND_ERROR;
        }

        segs[i][lens[i] - 1] = '\0';

        for (j = 0; name[j]; j++) {
            if (!((name[j] >= 'a' && name[j] <= 'z') || name[j] == '_'
                  || (name[j] >= '0' && name[j] <= '9')))
            {
                snprintf(err, errlen, "route \"%s\": parameter names use "
                         "a-z, 0-9 and _", r->pattern);
                return ADMIND_ERROR;
            }
        }

        if (++nparams > ADMIND_ROUTE_MAX_PARAMS) {
            snprintf(err, errlen, "route \"%s\": more than %d parameters",
                     r->pattern, ADMIND_ROUTE_MAX_PARAMS);
            return ADMIND_ERROR;
        }

        cr->segs[i].text = name;
        cr->segs[i].len = lens[i] - 2;
        cr->segs[i].param = 1;
    }

    return ADMIND_OK;
}


static int
admind_router_same_shape(const admind_compiled_route_t *a,
    const admind_compiled_route_t *b)
{
    unsigned  i;

    if (a->nsegs != b->nsegs) {
        return 0;
    }

    for (i = 0; i < a->nsegs; i++) {
        if (a->segs[i].param != b->segs[i].param) {
            return 0;
        }

        if (!a->segs[i].param
            && (a->segs[i].len != b->segs[i].len
                || memcmp(a->segs[i].text, b->segs[i].text, a->segs[i].len)))
        {
            return 0;
        }
    }

    return 1;
}


admind_router_t *
admind_router_create(const admind_route_t *const *tables, char *err,
    size_t errlen)
{
    size_t                    t, i, j, n;
    admind_router_t          *rt;
    const admind_route_t     *r;
    admind_compiled_route_t  *cr;

    n = 0;
    for (t = 0; tables[t] != NULL; t++) {
        for (r = tables[t]; r->method != NULL; r++) {
            n++;
        }
    }

    rt = calloc(1, sizeof(admind_router_t));
    if (rt == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    rt->routes = calloc(n ? n : 1, sizeof(admind_compiled_route_t));
    if (rt->routes == NULL) {
        snprintf(err, errlen, "out of memory");
        free(rt);
        return NULL;
    }

    for (t = 0; tables[t] != NULL; t++) {
        for (r = tables[t]; r->method != NULL; r++) {
            cr = &rt->routes[rt->n++];

            if (r->pattern == NULL || r->handler == NULL
                || admind_router_compile(cr, r, err, errlen) != ADMIND_OK)
            {
                if (r->pattern == NULL || r->handler == NULL) {
                    snprintf(err, errlen, "route %s without pattern or "
                             "handler", r->method);
                }
                admind_router_free(rt);
                return NULL;
            }
        }
    }

    /* two handlers for one request would be a silent bug: refuse it */
    for (i = 0; i < rt->n; i++) {
        for (j = i + 1; j < rt->n; j++) {
            if (strcmp(rt->routes[i].route->method,
                       rt->routes[j].route->method) == 0
                && admind_router_same_shape(&rt->routes[i], &rt->routes[j]))
            {
                snprintf(err, errlen, "routes %s %s and %s overlap",
                         rt->routes[i].route->method,
                         rt->routes[i].route->pattern,
                         rt->routes[j].route->pattern);
                admind_router_free(rt);
                return NULL;
            }
        }
    }

    return rt;
}


void
admind_router_free(admind_router_t *rt)
{
    size_t  i;

    if (rt == NULL) {
        return;
    }

    for (i = 0; i < rt->n; i++) {
        free(rt->routes[i].copy);
    }

    free(rt->routes);
    free(rt);
}


static int
admind_router_path_matches(const admind_compiled_route_t *cr, char **segs,
    size_t *lens, unsigned n)
{
    unsigned  i;

    if (cr->nsegs != n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (lens[i] == 0) {
            return 0;
        }

        if (!cr->segs[i].param
            && (cr->segs[i].len != lens[i]
                || memcmp(cr->segs[i].text, segs[i], lens[i]) != 0))
        {
            return 0;
        }
    }

    return 1;
}


static void
admind_router_allow(admind_route_match_t *m, const char *method)
{
    size_t  len, mlen;
    char   *p;

    /* each method once */
    mlen = strlen(method);

    for (p = m->allow; (p = strstr(p, method)) != NULL; p += mlen) {
        if ((p == m->allow || p[-1] == ' ')
            && (p[mlen] == ',' || p[mlen] == '\0'))
        {
            return;
        }
    }

    len = strlen(m->allow);

    if (len + mlen + 3 > sizeof(m->allow)) {
        return;
    }

    snprintf(m->allow + len, sizeof(m->allow) - len, "%s%s",
             len ? ", " : "", method);
}


int
admind_router_match(const admind_router_t *rt, const char *method,
    const char *path, admind_route_match_t *m)
{
    char                           *segs[ADMIND_ROUTE_MAX_SEGMENTS];
    size_t                          lens[ADMIND_ROUTE_MAX_SEGMENTS], i;
    unsigned                        n, j, head;
    const admind_compiled_route_t  *cr, *best;

    m->route = NULL;
    m->nparams = 0;
    m->allow[0] = '\0';

    if (strlen(path) >= sizeof(m->buf)) {
        return 404;
    }

    strcpy(m->buf, path);

    if (admind_router_split(m->buf, segs, lens, &n) != ADMIND_OK) {
        return 404;
    }

    /* HEAD is GET without a body; libmicrohttpd drops the body */
    head = strcmp(method, "HEAD") == 0;
    best = NULL;

    for (i = 0; i < rt->n; i++) {
        cr = &rt->routes[i];

        if (!admind_router_path_matches(cr, segs, lens, n)) {
            continue;
        }

        admind_router_allow(m, cr->route->method);
        if (strcmp(cr->route->method, "GET") == 0) {
            admind_router_allow(m, "HEAD");
        }

        if (strcmp(cr->route->method, method) != 0
            && !(head && strcmp(cr->route->method, "GET") == 0))
        {
            continue;
        }

        if (best == NULL || cr->score > best->score
            || (cr->score == best->score
                && strcmp(cr->route->method, method) == 0))
        {
            best = cr;
        }
    }

    if (best == NULL) {
        return m->allow[0] ? 405 : 404;
    }

    for (j = 0; j < n; j++) {
        if (best->segs[j].param) {
            m->params[m->nparams].name = best->segs[j].text;
            m->params[m->nparams].value = segs[j];
            m->nparams++;
        }
    }

    m->route = best->route;

    return 200;
}
