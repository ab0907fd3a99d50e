/*
 * QuotaLane admind: login and the authentication of every other route.
 */

#ifndef _ADMIND_AUTH_H_INCLUDED_
#define _ADMIND_AUTH_H_INCLUDED_


#include "admind.h"
#include "admind_router.h"


/* the bcrypt hash that unknown users are checked against; at startup */
int admind_auth_init(void);
void admind_auth_shutdown(void);

/*
 * For the matched route: nothing for public routes; otherwise a valid
 * "Authorization: Bearer <jwt>" of an existing, active user (401
 * unauthenticated) whose role the route admits (403 forbidden).  Fills
 * r->auth.  ADMIND_ERROR when an answer was set.
 */
int admind_auth_request(admind_req_t *r);

/* the one rule of who may call a route */
int admind_auth_allows(const admind_route_t *route, admind_role_e role);

/*
 * Ownership, for the routes users may call: whether the caller is a
 * signed-in admin, and whether they may see data of user_id (an admin,
 * or that user).  Without a signed-in caller both are false.
 */
int admind_auth_is_admin(admind_req_t *r);
int admind_auth_owns(admind_req_t *r, uint64_t user_id);


#endif /* _ADMIND_AUTH_H_INCLUDED_ */
