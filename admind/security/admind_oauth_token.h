/*
 * QuotaLane admind: an OAuth token endpoint, for refreshing the access
 * tokens of subscription accounts (admind_oauth_refresh.h).
 *
 * One blocking HTTPS POST (libcurl, in a worker thread, never in a
 * request), TLS verified, bounded in time and size; tokens are never
 * logged and are wiped when freed.
 */

#ifndef _ADMIND_OAUTH_TOKEN_H_INCLUDED_
#define _ADMIND_OAUTH_TOKEN_H_INCLUDED_


#include "admind.h"


typedef struct {
    char       *access_token;
    char       *refresh_token;  /* NULL: the provider kept the old one */
    long long   expires_in;     /* seconds; 0 when it did not say */
    char       *email;          /* the account's, if the answer says */
} admind_oauth_tokens_t;


/* once, before any thread: libcurl's global state */
int admind_oauth_init(void);
void admind_oauth_shutdown(void);

/*
 * grant_type=refresh_token at token_url: as JSON (Claude's and OpenAI's
 * endpoints), or with a client_secret as a form (Google's).
 * ADMIND_OK with out filled; ADMIND_DECLINED when the provider refused
 * the grant (4xx: the refresh token is dead); ADMIND_ERROR when it could
 * not be asked or answered nonsense (try again later).  err says why,
 * without secrets.
 */
int admind_oauth_refresh(const char *token_url, const char *client_id,
    const char *client_secret, const char *refresh_token,
    admind_oauth_tokens_t *out, char *err, size_t errlen);

/* grant_type=authorization_code with the PKCE verifier; as above */
int admind_oauth_exchange(const char *token_url, const char *client_id,
    const char *redirect_uri, const char *code, const char *state,
    const char *verifier, admind_oauth_tokens_t *out, char *err,
    size_t errlen);

void admind_oauth_tokens_free(admind_oauth_tokens_t *t);


#endif /* _ADMIND_OAUTH_TOKEN_H_INCLUDED_ */
