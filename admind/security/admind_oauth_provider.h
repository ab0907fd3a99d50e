/*
 * QuotaLane admind: the OAuth providers of subscription accounts, one
 * row each (claude, codex, gemini, droid): which account type each
 * onboards and refreshes, and its endpoints and client from admind.conf,
 * so that tests point them at a mock.
 */

#ifndef _ADMIND_OAUTH_PROVIDER_H_INCLUDED_
#define _ADMIND_OAUTH_PROVIDER_H_INCLUDED_


#include "admind.h"
#include "admind_config.h"


typedef struct {
    const char  *name;              /* in the API's paths: "codex" */
    const char  *type;              /* the account type: "codex" */
    const char  *authorize_url;     /* NULL: no code flow (droid) */
    const char  *token_url;
    const char  *client_id;
    const char  *client_secret;     /* Google's installed app; or NULL */
    const char  *redirect_uri;
    const char  *scopes;
    const char  *authorize_extra;   /* the provider's own parameters */
    unsigned     form:1;            /* the token endpoint takes a form */
} admind_oauth_provider_t;


/* ADMIND_DECLINED: no such provider */
int admind_oauth_provider(const admind_conf_t *conf, const char *name,
    admind_oauth_provider_t *p);

/* the provider that refreshes an account type; ADMIND_DECLINED: none */
int admind_oauth_provider_of_type(const admind_conf_t *conf,
    const char *type, admind_oauth_provider_t *p);

/* the account types some provider refreshes, as SQL: "type IN (...)" */
#define ADMIND_OAUTH_PROVIDER_TYPES                                          \
    "type IN ('claude-official', 'codex', 'gemini-oauth', 'droid')"


#endif /* _ADMIND_OAUTH_PROVIDER_H_INCLUDED_ */
