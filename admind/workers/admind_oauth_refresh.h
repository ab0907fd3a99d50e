/*
 * QuotaLane admind: the OAuth refresh worker.
 *
 * Subscription accounts (claude-official, codex) carry an access token
 * that expires within hours and a refresh token.  Every
 * oauth_refresh_check_seconds this worker takes the accounts whose
 * access token expires within oauth_refresh_before_seconds, asks the
 * provider's token endpoint for a new one, seals it and writes it through
 * to the account record: the gateway's per-worker credential cache sees
 * the new cred_version on the next pick, no reload.  A rotated refresh
 * token replaces the old one, fenced by the old envelope, and a Redis
 * lock per account makes one refresh at a time across admind processes.
 * After oauth_refresh_max_failures failures in a row the account goes to
 * status "error": the scheduler skips it until an admin sets it active.
 * Webhooks hear of each failure (account.refresh_failed) and of the one
 * that sets the account aside (account.error).
 */

#ifndef _ADMIND_OAUTH_REFRESH_H_INCLUDED_
#define _ADMIND_OAUTH_REFRESH_H_INCLUDED_


#include "admind.h"
#include "ql_crypto.h"


/* the key the tokens are sealed with; without one nothing is refreshed */
void admind_oauth_refresh_key(const ql_master_key_t *mk);

int admind_oauth_refresh_start(const admind_conf_t *conf, char *err,
    size_t errlen);
void admind_oauth_refresh_stop(void);


#endif /* _ADMIND_OAUTH_REFRESH_H_INCLUDED_ */
