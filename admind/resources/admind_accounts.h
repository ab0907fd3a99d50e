/*
 * QuotaLane admind: /api/v1/accounts, what other resources call.
 */

#ifndef _ADMIND_ACCOUNTS_H_INCLUDED_
#define _ADMIND_ACCOUNTS_H_INCLUDED_


#include "admind_request.h"


/*
 * POST /api/v1/accounts with r's body, and PATCH /api/v1/accounts/{id}:
 * also how OAuth onboarding (admind_oauth.c) creates the account it got
 * tokens for, or renews one.
 */
int admind_accounts_create(admind_req_t *r);
int admind_accounts_update(admind_req_t *r);


#endif /* _ADMIND_ACCOUNTS_H_INCLUDED_ */
