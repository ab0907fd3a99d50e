/*
 * QuotaLane admind: building responses.
 *
 * Every error answer has the shape
 *     {"error":{"code":"<snake_case>","message":"..."}}
 */

#ifndef _ADMIND_RESPONSE_H_INCLUDED_
#define _ADMIND_RESPONSE_H_INCLUDED_


#include <jansson.h>

#include "admind.h"


/* each returns the status, so a handler can "return admind_resp_...()" */

/* steals the reference to body */
int admind_resp_json(admind_req_t *r, unsigned status, json_t *body);

int admind_resp_error(admind_req_t *r, unsigned status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* 204 and the like */
int admind_resp_empty(admind_req_t *r, unsigned status);

/* an extra response header (Location, Retry-After, Allow, ...) */
int admind_resp_header(admind_req_t *r, const char *name, const char *value);

/* forget an answer set earlier (a handler changing its mind) */
void admind_resp_reset(admind_req_t *r);

/* the default error code for a status: 404 -> "not_found" */
const char *admind_resp_code(unsigned status);


#endif /* _ADMIND_RESPONSE_H_INCLUDED_ */
