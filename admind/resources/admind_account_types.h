/*
 * QuotaLane admind: account types.
 *
 * One row per account type: the platform it serves, how its credential
 * goes upstream (the "auth" field of the account record), which request
 * field carries the credential and the default base URL.  Adding a type
 * is adding a row (and teaching the module its auth style if new).
 */

#ifndef _ADMIND_ACCOUNT_TYPES_H_INCLUDED_
#define _ADMIND_ACCOUNT_TYPES_H_INCLUDED_


#include "admind.h"


typedef struct {
    const char  *type;          /* accounts.type: "claude-console" */
    const char  *platform;      /* ql_platform name: "claude" */
    const char  *auth;          /* "x-api-key", "bearer" */
    const char  *credential;    /* request field: "apiKey", "accessToken" */
    const char  *base_url;      /* when the request names none */
    unsigned     oauth:1;       /* also takes a "refreshToken" */
} admind_account_type_t;


/* NULL for a type admind does not serve (yet) */
const admind_account_type_t *admind_account_type(const char *type);

/* "claude-console, claude-official", for error messages */
void admind_account_type_names(char *buf, size_t size);

/* whether name is the credential field of any type ("apiKey", ...) */
int admind_account_type_is_credential(const char *name);


#endif /* _ADMIND_ACCOUNT_TYPES_H_INCLUDED_ */
