/*
 * QuotaLane admind: session tokens (JWT, HS256, libjwt).
 *
 * Claims: sub (user id, decimal string), name, role, tv (the user's
 * token_version: a password, status or role change increments it and so
 * revokes every token issued before), iat, exp.
 */

#ifndef _ADMIND_JWT_H_INCLUDED_
#define _ADMIND_JWT_H_INCLUDED_


#include <time.h>

#include "admind.h"


/* a token is a few hundred bytes; anything far longer is not ours */
#define ADMIND_JWT_MAX     4096

/* clock skew between admind instances that iat and nbf forgive */
#define ADMIND_JWT_LEEWAY  60


/* *token is malloc()ed; *exp is now + ttl */
int admind_jwt_issue(const unsigned char *key, size_t keylen,
    const admind_principal_t *p, time_t now, unsigned ttl, char **token,
    time_t *exp);

/*
 * ADMIND_OK for a token signed with key by HS256 (no other algorithm is
 * taken, "none" least of all), not expired at now, neither issued (iat)
 * nor valid from (nbf, optional) later than now plus the leeway, with
 * well-formed claims, which fill p.  The caller compares
 * p->token_version with the user's row.
 */
int admind_jwt_verify(const unsigned char *key, size_t keylen,
    const char *token, time_t now, admind_principal_t *p);

/* "admin", "user" */
const char *admind_role_name(admind_role_e role);
int admind_role_parse(const char *name, admind_role_e *role);


#endif /* _ADMIND_JWT_H_INCLUDED_ */
