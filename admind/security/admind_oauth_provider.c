/*
 * QuotaLane admind: the OAuth providers (see admind_oauth_provider.h).
 */

#include <string.h>

#include "admind_oauth_provider.h"


#define ADMIND_OAUTH_PROVIDERS  4


static void
admind_oauth_providers(const admind_conf_t *c,
    admind_oauth_provider_t p[ADMIND_OAUTH_PROVIDERS])
{
    memset(p, 0, ADMIND_OAUTH_PROVIDERS * sizeof(admind_oauth_provider_t));

    /* Claude Code's client: claude.ai shows the code to paste */
    p[0].name = "claude";
    p[0].type = "claude-official";
    p[0].authorize_url = c->oauth_claude_authorize_url;
    p[0].token_url = c->oauth_claude_token_url;
    p[0].client_id = c->oauth_claude_client_id;
    p[0].redirect_uri = c->oauth_claude_redirect_uri;
    p[0].scopes = c->oauth_claude_scopes;
    p[0].authorize_extra = "code=true";

    /* Codex CLI's client: the ChatGPT account is in the id_token */
    p[1].name = "codex";
    p[1].type = "codex";
    p[1].authorize_url = c->oauth_codex_authorize_url;
    p[1].token_url = c->oauth_codex_token_url;
    p[1].client_id = c->oauth_codex_client_id;
    p[1].redirect_uri = c->oauth_codex_redirect_uri;
    p[1].scopes = c->oauth_codex_scopes;
    p[1].authorize_extra = "id_token_add_organizations=true"
                           "&codex_cli_simplified_flow=true";
    p[1].form = 1;

    /* Gemini CLI's installed-app client; offline for a refresh token */
    p[2].name = "gemini";
    p[2].type = "gemini-oauth";
    p[2].authorize_url = c->oauth_gemini_authorize_url;
    p[2].token_url = c->oauth_gemini_token_url;
    p[2].client_id = c->oauth_gemini_client_id;
    p[2].client_secret = c->oauth_gemini_client_secret;
    p[2].redirect_uri = c->oauth_gemini_redirect_uri;
    p[2].scopes = c->oauth_gemini_scopes;
    p[2].authorize_extra = "access_type=offline&prompt=consent";
    p[2].form = 1;

    /* Factory's WorkOS client: onboarded with a refresh token */
    p[3].name = "droid";
    p[3].type = "droid";
    p[3].token_url = c->oauth_droid_token_url;
    p[3].client_id = c->oauth_droid_client_id;
    p[3].form = 1;
}


static int
admind_oauth_provider_find(const admind_conf_t *conf, const char *name,
    const char *type, admind_oauth_provider_t *out)
{
    size_t                   i;
    admind_oauth_provider_t  p[ADMIND_OAUTH_PROVIDERS];

    admind_oauth_providers(conf, p);

    for (i = 0; i < ADMIND_OAUTH_PROVIDERS; i++) {
        if ((name != NULL && strcmp(p[i].name, name) == 0)
            || (type != NULL && strcmp(p[i].type, type) == 0))
        {
            *out = p[i];
            return ADMIND_OK;
        }
    }

    return ADMIND_DECLINED;
}


int
admind_oauth_provider(const admind_conf_t *conf, const char *name,
    admind_oauth_provider_t *p)
{
    return name == NULL ? ADMIND_DECLINED
                        : admind_oauth_provider_find(conf, name, NULL, p);
}


int
admind_oauth_provider_of_type(const admind_conf_t *conf, const char *type,
    admind_oauth_provider_t *p)
{
    return type == NULL ? ADMIND_DECLINED
                        : admind_oauth_provider_find(conf, NULL, type, p);
}
