/*
 * QuotaLane admind: account credentials at rest.
 *
 * A credential is sealed with ql_envelope_seal() under the master key,
 * with the decimal account id as additional authenticated data, so an
 * envelope copied to another account does not open.  Only a masked hint
 * is ever shown again.
 */

#ifndef _ADMIND_CRED_H_INCLUDED_
#define _ADMIND_CRED_H_INCLUDED_


#include "admind.h"


#define ADMIND_CRED_MAX          8192
#define ADMIND_CRED_HINT_LEN     32
#define ADMIND_CRED_VERSION_LEN  16


/* *env is malloc()ed: len + QL_ENVELOPE_OVERHEAD bytes */
int admind_cred_seal(const ql_master_key_t *mk, uint64_t account_id,
    const char *plain, size_t len, unsigned char **env, size_t *env_len);

/*
 * The secret of an envelope, NUL-terminated and malloc()ed (wipe it with
 * ql_wipe() before free()); NULL if it does not open.
 */
char *admind_cred_open(const ql_master_key_t *mk, uint64_t account_id,
    const unsigned char *env, size_t len);

/* binary columns come back from admind_db_select() in hex */
int admind_cred_unhex(const char *hex, unsigned char **out, size_t *len);

/* the AAD of an account: its id in decimal, as the module computes it */
size_t admind_cred_aad(uint64_t account_id, char buf[24]);

/*
 * "sk-ant-...abcd": a vendor prefix of letters and dashes (at most 8
 * characters) and the last 4 characters, the latter only when the secret
 * is long enough (20+) that 4 characters give nothing away.
 */
void admind_cred_hint(const char *secret, size_t len,
    char hint[ADMIND_CRED_HINT_LEN]);

/*
 * 16 hex digits of SHA-256 over the envelope: a new envelope (new nonce)
 * means a new version, and resyncs of an unchanged one keep it.
 */
void admind_cred_version(const unsigned char *env, size_t len,
    char out[ADMIND_CRED_VERSION_LEN + 1]);


#endif /* _ADMIND_CRED_H_INCLUDED_ */
