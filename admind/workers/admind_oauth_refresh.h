/*
 * QuotaLane admind: the OAuth refresh worker.
 *
 * Subscription accounts (claude-official, codex, gemini-oauth, droid
 * onboarded with a refresh token) carry an access token
 * that expires within hours and a refresh token.  Every
 * oauth_refresh_check_seconds this worker takes the accounts whose
 * access token expires within oauth_refresh_before_seconds, asks the
 * provider's token endpoint for a new one, seals it and writes it through
 * to the account record: the gateway's per-worker credential cache sees
 * the new cred_version on the next pick, no reload.  A rotated refresh
 * token replaces the old one, fenced by the old envelope, and a Redis
 * lock per account makes one refresh at a time across admind processes.
 * After oauth_refresh_max_failures failures in a row the account goes to
 * status "error": the scheduler skips it until an admin sets it active
 * or a refresh asked for by hand works.  Webhooks hear of each failure
 * (account.refresh_failed) and of the one that sets the account aside
 * (account.error).
 */

#ifndef _ADMIND_OAUTH_REFRESH_H_INCLUDED_
#define _ADMIND_OAUTH_REFRESH_H_INCLUDED_


#include "admind.h"
#include "ql_crypto.h"
#include "admind_db.h"


/* the key the tokens are sealed with; without one nothing is refreshed */
void admind_oauth_refresh_key(const ql_master_key_t *mk);

int admind_oauth_refresh_start(const admind_conf_t *conf, char *err,
    size_t errlen);
void admind_oauth_refresh_stop(void);

/*
 * POST /api/v1/accounts/{id}/refresh: one account's refresh now, even
 * in status error (a success makes it active again).  ADMIND_OK: new
 * tokens; ADMIND_BUSY: another refresh holds the account; otherwise
 * it has no refresh token, or the provider refused it (DECLINED) or
 * could not be asked (ERROR); err says why, without secrets.
 */
int admind_oauth_refresh_account(MYSQL *mysql, uint64_t id, char *err,
    size_t errlen);


#endif /* _ADMIND_OAUTH_REFRESH_H_INCLUDED_ */
