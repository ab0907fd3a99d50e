/*
 * QuotaLane admind: webhook secrets at rest.
 *
 * A webhook's URL (chat services put their credential in it) and its
 * signing secret are sealed with ql_envelope_seal() under the master
 * key.  The additional authenticated data is "webhook:<id>:<what>", so
 * an envelope moved to another webhook, to the other column or to an
 * account (whose AAD is its bare id) does not open.
 */

#ifndef _ADMIND_WEBHOOK_SEAL_H_INCLUDED_
#define _ADMIND_WEBHOOK_SEAL_H_INCLUDED_


#include "admind.h"


#define ADMIND_WEBHOOK_SEAL_URL     "url"
#define ADMIND_WEBHOOK_SEAL_SECRET  "secret"


/* *env is malloc()ed: strlen(plain) + QL_ENVELOPE_OVERHEAD bytes */
int admind_webhook_seal(const ql_master_key_t *mk, uint64_t id,
    const char *what, const char *plain, unsigned char **env,
    size_t *env_len);

/*
 * What hex (a binary column as admind_db_select() gives it) seals,
 * NUL-terminated and malloc()ed (ql_wipe() it before free()); NULL if
 * it does not open.
 */
char *admind_webhook_open(const ql_master_key_t *mk, uint64_t id,
    const char *what, const char *hex);


#endif /* _ADMIND_WEBHOOK_SEAL_H_INCLUDED_ */
