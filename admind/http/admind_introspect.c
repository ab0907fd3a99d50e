/*
 * QuotaLane admind: GET /api/v1/_routes, the route table as served.
 *
 * The API contract (proto/quotalane/v1) declares every route with who may
 * call it; t/070-api-contract.t compares that with this list, so that a
 * route added to a table here without the contract (or the other way
 * round) fails the tests.  Admins only: it tells nothing secret, but
 * nothing a client needs either.
 */

#include <stdio.h>

#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"


static int admind_introspect_routes_list(admind_req_t *r);


const admind_route_t  admind_introspect_routes[] = {
    { "GET", "/api/v1/_routes", admind_introspect_routes_list, 0,
      ADMIND_ROLE_ADMIN },
    { NULL, NULL, NULL, 0, 0 }
};


/* the access names of quotalane.v1.Access, lower case */
static const char *
admind_introspect_access(const admind_route_t *route)
{
    if (route->flags & ADMIND_ROUTE_PUBLIC) {
        return "public";
    }

    return route->role == ADMIND_ROLE_USER ? "user" : "admin";
}


static int
admind_introspect_routes_list(admind_req_t *r)
{
    size_t                 t;
    json_t                *list, *body;
    const admind_route_t  *route;

    if (admind_req_query_known(r) != ADMIND_OK) {
        return r->status;
    }

    list = json_array();
    if (list == NULL) {
        return admind_resp_error(r, 500, "internal_error", "out of memory");
    }

    for (t = 0; admind_route_tables[t] != NULL; t++) {
        for (route = admind_route_tables[t]; route->method != NULL; route++)
        {
            json_array_append_new(list, json_pack("{s:s,s:s,s:s}",
                                  "method", route->method,
                                  "path", route->pattern,
                                  "access",
                                  admind_introspect_access(route)));
        }
    }

    body = json_pack("{s:o}", "routes", list);

    return admind_resp_json(r, 200, body);
}
