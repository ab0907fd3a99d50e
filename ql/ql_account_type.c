/*
 * Account types and scheduling pools (see ql_account_type.h).
 *
 * Endpoint names, by the platform whose routes they are (ql_route.c):
 * claude: messages, count_tokens, models; openai: chat, responses,
 * models; gemini: generate, stream, count_tokens, models.
 */

#include <string.h>

#include "ql_account_type.h"


static const ql_account_type_t  ql_account_types[] = {

    /* Anthropic Console API key */
    { "claude-console", "claude", ",claude,", "",
      QL_AUTH_X_API_KEY, "x-api-key", QL_SHAPE_PASS,
      "https://api.anthropic.com", 0 },

    /* Claude subscription, OAuth access token */
    { "claude-official", "claude", ",claude,", "",
      QL_AUTH_BEARER, "bearer", QL_SHAPE_PASS,
      "https://api.anthropic.com", 1 },

    /* a Claude Code Router instance: Anthropic-shaped, models "p,m" */
    { "ccr", "claude", ",ccr,", ",messages,count_tokens,",
      QL_AUTH_X_API_KEY, "x-api-key", QL_SHAPE_PASS, NULL, 0 },

    /* any OpenAI-compatible API */
    { "openai", "openai", ",openai,", "",
      QL_AUTH_BEARER, "bearer", QL_SHAPE_PASS,
      "https://api.openai.com", 0 },

    /* ChatGPT's Codex backend: Responses only, OAuth + account id */
    { "codex", "openai", ",openai,", ",responses,",
      QL_AUTH_BEARER, "bearer", QL_SHAPE_CODEX,
      "https://chatgpt.com/backend-api/codex", 1 },

    /* Azure OpenAI: deployments, api-version, api-key */
    { "azure-openai", "openai", ",openai,azure,", ",chat,responses,",
      QL_AUTH_API_KEY, "api-key", QL_SHAPE_AZURE, NULL, 0 },

    /* Gemini API (generativelanguage) */
    { "gemini", "gemini", ",gemini,", "",
      QL_AUTH_GOOG_API_KEY, "x-goog-api-key", QL_SHAPE_GEMINI,
      "https://generativelanguage.googleapis.com", 0 },

    /* Gemini through Code Assist (Google account OAuth + project) */
    { "gemini-oauth", "gemini", ",gemini,", ",generate,stream,",
      QL_AUTH_BEARER, "bearer", QL_SHAPE_CODE_ASSIST,
      "https://cloudcode-pa.googleapis.com", 1 },

    /* AWS Bedrock: Claude in Anthropic's shape, SigV4 or an API key;
       the endpoint follows the region */
    { "bedrock", "claude", ",claude,bedrock,", ",messages,",
      QL_AUTH_SIGV4, "sigv4", QL_SHAPE_BEDROCK, NULL, 0 },

    /* Factory Droid: Anthropic and OpenAI shapes behind one bearer */
    { "droid", "droid", ",droid,", ",messages,responses,",
      QL_AUTH_BEARER, "bearer", QL_SHAPE_DROID,
      "https://app.factory.ai", 0 },
};


static const ql_pool_t  ql_pools[] = {
    { "claude", "claude" },
    { "ccr", "claude" },
    { "bedrock", "bedrock" },
    { "openai", "openai" },
    { "azure", "openai" },
    { "gemini", "gemini" },
    { "droid", "droid" },
};


/* what a key's permissions may name: every pool's, or all */
const char *const  ql_permissions[] = {
    "all", "claude", "openai", "gemini", "droid", "bedrock", NULL
};


#define ql_nelts(a)  (sizeof(a) / sizeof((a)[0]))


const ql_account_type_t *
ql_account_type_by_name(const unsigned char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < ql_nelts(ql_account_types); i++) {
        if (strlen(ql_account_types[i].name) == len
            && memcmp(ql_account_types[i].name, name, len) == 0)
        {
            return &ql_account_types[i];
        }
    }

    return NULL;
}


const ql_account_type_t *
ql_account_type_at(size_t n)
{
    return n < ql_nelts(ql_account_types) ? &ql_account_types[n] : NULL;
}


const ql_pool_t *
ql_pool_by_name(const unsigned char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < ql_nelts(ql_pools); i++) {
        if (strlen(ql_pools[i].name) == len
            && memcmp(ql_pools[i].name, name, len) == 0)
        {
            return &ql_pools[i];
        }
    }

    return NULL;
}


const ql_pool_t *
ql_pool_at(size_t n)
{
    return n < ql_nelts(ql_pools) ? &ql_pools[n] : NULL;
}


int
ql_list_has(const char *list, const unsigned char *name, size_t len)
{
    const char  *p;

    if (list[0] == '\0') {
        return 1;
    }

    for (p = strchr(list, ','); p != NULL && p[1] != '\0';
         p = strchr(p + 1, ','))
    {
        if (strncmp(p + 1, (const char *) name, len) == 0
            && p[1 + len] == ',')
        {
            return 1;
        }
    }

    return 0;
}
