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


#include <jansson.h>

#include "admind.h"
#include "admind_oauth_provider.h"


/* what a token answer gave; NULL or 0 where it said nothing */
typedef struct {
    char       *access_token;
    char       *refresh_token;  /* NULL: the provider kept the old one */
    long long   expires_in;     /* seconds: expires_in, or the JWT's exp */
    char       *email;          /* whose account */
    char       *organization;   /* Claude's organization, WorkOS's */
    char       *account_id;     /* ChatGPT's, from the id_token */
    char       *tier;           /* ChatGPT's plan */
    char       *scope;
} admind_oauth_tokens_t;


/* once, before any thread: libcurl's global state */
int admind_oauth_init(void);
void admind_oauth_shutdown(void);

/*
 * grant_type=refresh_token at the provider's token endpoint, as JSON
 * (Claude's) or as a form (the others; Google's with the client
 * secret).  ADMIND_OK with out filled; ADMIND_DECLINED when the provider
 * refused the grant (4xx: the refresh token is dead); ADMIND_ERROR when
 * it could not be asked or answered nonsense (try again later).  err
 * says why, without secrets.
 */
int admind_oauth_refresh(const admind_oauth_provider_t *p,
    const char *refresh_token, admind_oauth_tokens_t *out, char *err,
    size_t errlen);

/* grant_type=authorization_code with the PKCE verifier; as above */
int admind_oauth_exchange(const admind_oauth_provider_t *p,
    const char *code, const char *state, const char *verifier,
    admind_oauth_tokens_t *out, char *err, size_t errlen);

/*
 * The claims of a JWT (an id_token, a WorkOS access token), decoded but
 * not verified: it came over TLS from the provider itself.  NULL when it
 * is no JWT.
 */
json_t *admind_oauth_jwt_claims(const char *jwt);

void admind_oauth_tokens_free(admind_oauth_tokens_t *t);


#endif /* _ADMIND_OAUTH_TOKEN_H_INCLUDED_ */
