/*
 * QuotaLane admind: one HTTP request as handlers see it.
 */

#ifndef _ADMIND_REQUEST_H_INCLUDED_
#define _ADMIND_REQUEST_H_INCLUDED_


#include <time.h>
#include <jansson.h>

#include "admind.h"
#include "admind_router.h"
#include "admind_page.h"


#define ADMIND_REQ_MAX_HEADERS  8

/* more than any list takes (filters, orderBy, paging) */
#define ADMIND_REQ_MAX_QUERIED  24
#define ADMIND_REQ_ID_LEN       64


struct MHD_Connection;


typedef struct {
    char  *name;
    char  *value;
} admind_header_t;


struct admind_req_s {
    admind_ctx_t            *ctx;
    struct MHD_Connection   *connection;    /* NULL in unit tests */

    char                    *method;
    char                    *path;
    size_t                   uri_len;       /* raw, with the query */
    char                     id[ADMIND_REQ_ID_LEN + 1];
    char                     remote[64];
    struct timespec          start;

    /* the request body, NUL terminated (the NUL is not in body_len) */
    char                    *body;
    size_t                   body_len;
    size_t                   body_cap;

    admind_route_match_t     match;

    /* the query parameters the handler asked for (admind_req_query) */
    unsigned                 nqueried;
    const char              *queried[ADMIND_REQ_MAX_QUERIED];

    /* the caller, set by admind_auth_request() for non-public routes */
    admind_principal_t       auth;

    /* the answer, set by the admind_resp_*() calls */
    unsigned                 status;
    char                    *resp_body;
    size_t                   resp_len;
    const char              *resp_type;
    unsigned                 nheaders;
    admind_header_t          headers[ADMIND_REQ_MAX_HEADERS];

    /* body bytes dropped after the cap was hit */
    size_t                   discarded;

    /* the answer went to libmicrohttpd */
    unsigned                 queued:1;
};


admind_req_t *admind_req_create(admind_ctx_t *ctx, const char *method,
    const char *path);
void admind_req_free(admind_req_t *r);

/* method and path, once libmicrohttpd has parsed them */
int admind_req_set_target(admind_req_t *r, const char *method,
    const char *path);

/* ADMIND_DECLINED when the body would grow past max */
int admind_req_append_body(admind_req_t *r, const char *data, size_t len,
    size_t max);

/* a "{name}" segment of the route pattern */
const char *admind_req_param(admind_req_t *r, const char *name);

/*
 * A "{name}" segment that must be a decimal id in 1..2^63-1 without
 * leading zeros; otherwise a 404
 * is answered and ADMIND_ERROR returned (the handler returns r->status).
 */
int admind_req_param_id(admind_req_t *r, const char *name, uint64_t *id);

/* request headers and query arguments; NULL when absent */
const char *admind_req_header(admind_req_t *r, const char *name);
const char *admind_req_query(admind_req_t *r, const char *name);

/*
 * A list calls this once it has asked for every parameter it takes: a
 * query parameter it never asked for answers 400 naming it (a misspelt
 * filter would otherwise list every row).  ADMIND_ERROR after answering.
 */
int admind_req_query_known(admind_req_t *r);

/* the query's pageSize and pageToken; a 400 answered when malformed */
int admind_req_page(admind_req_t *r, admind_page_t *page);

/*
 * The body as a JSON object; on a missing or malformed body a 400 is
 * answered and NULL returned.  The caller owns the reference.
 */
json_t *admind_req_json(admind_req_t *r);


#endif /* _ADMIND_REQUEST_H_INCLUDED_ */
