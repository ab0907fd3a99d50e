/*
 * QuotaLane admind: account types.
 *
 * What admind alone needs to know of each account type; the rest (its
 * platform, pools, endpoints, auth style, default base URL) is the
 * type's row of ql/ql_account_type.c, shared with the gateway.  Adding a
 * type is adding a row there and one here.
 */

#ifndef _ADMIND_ACCOUNT_TYPES_H_INCLUDED_
#define _ADMIND_ACCOUNT_TYPES_H_INCLUDED_


#include "admind.h"
#include "ql_account_type.h"


/* type-specific fields: which a type takes, and which it needs */
#define ADMIND_ACCOUNT_CHATGPT_ID    0x01    /* chatgptAccountId */
#define ADMIND_ACCOUNT_PROJECT_ID    0x02    /* projectId */
#define ADMIND_ACCOUNT_AZURE         0x04    /* azureDeployment, ...Version */
#define ADMIND_ACCOUNT_BASE_URL      0x08    /* baseUrl (no default) */


typedef struct {
    const char               *type;         /* accounts.type: "codex" */
    const char               *credential;   /* "apiKey", "accessToken" */
    unsigned                  takes;        /* ADMIND_ACCOUNT_* */
    unsigned                  needs;
    const ql_account_type_t  *row;          /* ql's row, set on lookup */
} admind_account_type_t;


/* NULL for a type admind does not serve */
const admind_account_type_t *admind_account_type(const char *type);

/* "claude-console, claude-official, ...", for error messages */
void admind_account_type_names(char *buf, size_t size);

/* whether name is the credential field of any type ("apiKey", ...) */
int admind_account_type_is_credential(const char *name);


#endif /* _ADMIND_ACCOUNT_TYPES_H_INCLUDED_ */
