/*
 * Account types and scheduling pools: one row per kind of upstream
 * account (claude-console, codex, gemini-oauth, ...), shared by admind,
 * which validates and publishes accounts, and the module, which shapes
 * the upstream request by the picked account's type.
 *
 * A pool is what a gateway location schedules from (`quotalane_gateway
 * openai pool=azure`): the Redis set accounts:<pool>.  An account joins
 * every pool its type lists, and serves only the endpoints its type
 * lists (a Codex account answers Responses, not chat completions).
 * nginx-free.
 */

#ifndef QL_ACCOUNT_TYPE_H
#define QL_ACCOUNT_TYPE_H

#include <stddef.h>


/* How the credential goes upstream. */
typedef enum {
    QL_AUTH_X_API_KEY = 0,      /* x-api-key: <secret> */
    QL_AUTH_BEARER,             /* Authorization: Bearer <secret> */
    QL_AUTH_API_KEY,            /* api-key: <secret> (Azure) */
    QL_AUTH_GOOG_API_KEY,       /* x-goog-api-key: <secret> */
    QL_AUTH_SIGV4               /* AWS SigV4; without a key id, bearer */
} ql_auth_t;


/* How the upstream URI is formed from the client's request. */
typedef enum {
    QL_SHAPE_PASS = 0,          /* prefix + the client's path from /v1/ */
    QL_SHAPE_CODEX,             /* prefix + /responses */
    QL_SHAPE_AZURE,             /* prefix + /openai/deployments/<d>/... */
    QL_SHAPE_GEMINI,            /* prefix + /<version>/models/<m>:<method> */
    QL_SHAPE_CODE_ASSIST,       /* prefix + /v1internal:<method>, wrapped */
    QL_SHAPE_DROID,             /* prefix + /api/llm/{a,o}/v1/... */
    QL_SHAPE_BEDROCK            /* prefix + /model/<id>/invoke[-with-...] */
} ql_shape_t;


typedef struct {
    const char   *name;         /* accounts.type: "codex" */
    const char   *platform;     /* accounts.platform: "openai" */
    const char   *pools;        /* ",openai,": the pools it joins */
    const char   *endpoints;    /* ",responses,"; "" serves all */
    ql_auth_t     auth;
    const char   *auth_name;    /* "bearer": the record's auth field */
    ql_shape_t    shape;
    const char   *base_url;     /* default; NULL: the account must set one */
    unsigned      oauth:1;      /* credential is an OAuth access token */
} ql_account_type_t;


typedef struct {
    const char   *name;         /* "azure" */
    const char   *permission;   /* key permission that covers it: "openai" */
} ql_pool_t;


/* a key's permission names, NULL-terminated: each pool's, and "all" */
#define QL_PERMISSIONS_MAX  6
extern const char *const  ql_permissions[];


const ql_account_type_t *ql_account_type_by_name(const unsigned char *name,
    size_t len);

/* the n-th row, NULL past the end: for listing and iterating */
const ql_account_type_t *ql_account_type_at(size_t n);

const ql_pool_t *ql_pool_by_name(const unsigned char *name, size_t len);
const ql_pool_t *ql_pool_at(size_t n);

/*
 * 1 when a ",a,b," list (as in the table and the account record) holds
 * name, or the list is empty (all).
 */
int ql_list_has(const char *list, const unsigned char *name, size_t len);

#endif /* QL_ACCOUNT_TYPE_H */
