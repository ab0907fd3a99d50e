/*
 * QuotaLane admind: shared definitions.
 */

#ifndef _ADMIND_H_INCLUDED_
#define _ADMIND_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ql_crypto.h"


#define ADMIND_VERSION        "0.1.0"

#define ADMIND_OK             0
#define ADMIND_ERROR          -1
#define ADMIND_ABORT          -2      /* stopped by a signal */
#define ADMIND_DECLINED       -3      /* not ours to handle */
#define ADMIND_BUSY           -4      /* another is doing it right now */

/* room for one error message handed back to a caller */
#define ADMIND_ERRLEN         512

/* exit codes: configuration problems differ from runtime failures */
#define ADMIND_EXIT_OK        0
#define ADMIND_EXIT_FAILURE   1
#define ADMIND_EXIT_CONFIG    2


typedef struct admind_conf_s    admind_conf_t;
typedef struct admind_ctx_s     admind_ctx_t;
typedef struct admind_req_s     admind_req_t;
typedef struct admind_router_s  admind_router_t;


/*
 * Roles, as users.role stores them.  The zero value is the strictest, so
 * that a route table row that forgets its role is admin-only.
 */
typedef enum {
    ADMIND_ROLE_ADMIN = 0,
    ADMIND_ROLE_USER
} admind_role_e;

#define ADMIND_USERNAME_MAX   64


/* who sent an authenticated request (from the JWT, checked against users) */
typedef struct {
    uint64_t        id;
    char            name[ADMIND_USERNAME_MAX + 1];
    admind_role_e   role;
    /* users.token_version when the token was issued */
    uint32_t        token_version;
} admind_principal_t;


/*
 * Process-wide state built at startup and read-only afterwards, so that
 * request threads may read it without locking.
 */
struct admind_ctx_s {
    const admind_conf_t   *conf;
    admind_router_t       *router;
    void                  *http;

    ql_master_key_t        master_key;
    unsigned               has_master_key:1;

    unsigned char         *jwt_secret;
    size_t                 jwt_secret_len;
};


#endif /* _ADMIND_H_INCLUDED_ */
