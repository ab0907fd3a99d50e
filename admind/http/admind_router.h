/*
 * QuotaLane admind: routing of METHOD + path to handlers.
 *
 * A resource file exports a table of routes, terminated by a NULL method,
 * and lists it in admind_routes.c:
 *
 *     const admind_route_t  admind_users_routes[] = {
 *         { "GET", "/api/v1/users", admind_users_list, 0,
 *           ADMIND_ROLE_ADMIN },
 *         { "GET", "/api/v1/users/me", admind_users_me, 0,
 *           ADMIND_ROLE_USER },
 *         { NULL, NULL, NULL, 0, 0 }
 *     };
 *
 * "role" is the least role that may call the route (ADMIND_ROLE_USER: any
 * signed-in user); it is the only place access is decided, checked by
 * admind_auth_request() before the body is read.  ADMIND_ROUTE_PUBLIC
 * routes need no token at all.
 *
 * "{name}" matches one non-empty path segment, read by the handler with
 * admind_req_param(r, "name").  A literal segment beats a parameter at
 * the same place, so "/users/me" wins over "/users/{id}".
 */

#ifndef _ADMIND_ROUTER_H_INCLUDED_
#define _ADMIND_ROUTER_H_INCLUDED_


#include "admind.h"


#define ADMIND_ROUTE_MAX_SEGMENTS  16
#define ADMIND_ROUTE_MAX_PARAMS    4
#define ADMIND_ROUTE_PATH_MAX      1024

/* no authentication needed (for /healthz, /metrics, login) */
#define ADMIND_ROUTE_PUBLIC        0x01


/*
 * A handler answers with one of the admind_resp_*() calls and returns
 * what that call returned (the HTTP status).
 */
typedef int (*admind_handler_pt)(admind_req_t *r);


typedef struct {
    const char          *method;
    const char          *pattern;
    admind_handler_pt    handler;
    unsigned             flags;
    admind_role_e        role;
} admind_route_t;


typedef struct {
    const char  *name;
    const char  *value;
} admind_route_param_t;


typedef struct {
    const admind_route_t  *route;
    unsigned               nparams;
    admind_route_param_t   params[ADMIND_ROUTE_MAX_PARAMS];

    /* "GET, PUT" for a 405 answer */
    char                   allow[96];

    /* the path split into segments; params point in here */
    char                   buf[ADMIND_ROUTE_PATH_MAX];
} admind_route_match_t;


/* tables: NULL-terminated array of route tables */
admind_router_t *admind_router_create(const admind_route_t *const *tables,
    char *err, size_t errlen);
void admind_router_free(admind_router_t *rt);

/* 200 with m->route set, 404 for an unknown path, 405 with m->allow */
int admind_router_match(const admind_router_t *rt, const char *method,
    const char *path, admind_route_match_t *m);


#endif /* _ADMIND_ROUTER_H_INCLUDED_ */
