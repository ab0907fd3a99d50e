/*
 * QuotaLane admind: account types.
 *
 * What admind alone needs of each account type: the request field that
 * carries its credential and the extra fields it takes.  Everything the
 * gateway shares (platform, pools, endpoints, auth style, default base
 * URL, OAuth) is the row of ql/ql_account_type.c of the same name, which
 * admind_account_type() joins in.  Adding a type is adding a row there
 * and here.
 */

#ifndef _ADMIND_ACCOUNT_TYPES_H_INCLUDED_
#define _ADMIND_ACCOUNT_TYPES_H_INCLUDED_


#include "ql_account_type.h"
#include "admind.h"


/* the fields only some types take, as bits */
#define ADMIND_ACCOUNT_REFRESH_TOKEN      0x01
#define ADMIND_ACCOUNT_CHATGPT_ACCOUNT    0x02
#define ADMIND_ACCOUNT_PROJECT            0x04
#define ADMIND_ACCOUNT_AZURE_DEPLOYMENT   0x08
#define ADMIND_ACCOUNT_AZURE_API_VERSION  0x10
#define ADMIND_ACCOUNT_AWS_REGION         0x20
#define ADMIND_ACCOUNT_AWS_ACCESS_KEY     0x40
#define ADMIND_ACCOUNT_AWS_SESSION_TOKEN  0x80

/* the api-version of an Azure account that names none */
#define ADMIND_ACCOUNT_AZURE_API_VERSION_DEFAULT  "2024-10-21"


typedef struct {
    const ql_account_type_t  *ql;           /* the shared row */
    const char               *credential;   /* "apiKey", "accessToken" */
    const char               *alt_credential;  /* instead of it, or NULL */
    unsigned                  takes;        /* ADMIND_ACCOUNT_* it takes */
    unsigned                  requires;     /* of those, needed to create */
} admind_account_type_t;


typedef struct {
    const char  *name;          /* request field: "chatgptAccountId" */
    unsigned     bit;           /* ADMIND_ACCOUNT_* */
} admind_account_field_t;


/* ADMIND_DECLINED for a type admind does not serve */
int admind_account_type(const char *type, admind_account_type_t *t);

/* "claude-console, claude-official, ...", for error messages */
void admind_account_type_names(char *buf, size_t size);

/* whether name is the credential field of any type ("apiKey", ...) */
int admind_account_type_is_credential(const char *name);

/* the type-specific fields, ending with a NULL name */
extern const admind_account_field_t  admind_account_fields[];


#endif /* _ADMIND_ACCOUNT_TYPES_H_INCLUDED_ */
