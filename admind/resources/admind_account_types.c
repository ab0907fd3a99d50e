/*
 * QuotaLane admind: account types (see admind_account_types.h).
 */

#include <stdio.h>
#include <string.h>
#include <pthread.h>

#include "admind_account_types.h"


/* joined to ql_account_type.c's rows by name, once */
static admind_account_type_t  admind_account_types[] = {

    { "claude-console", "apiKey", 0, 0, NULL },
    { "claude-official", "accessToken", 0, 0, NULL },

    /* a Claude Code Router instance has no well-known address */
    { "ccr", "apiKey", ADMIND_ACCOUNT_BASE_URL, ADMIND_ACCOUNT_BASE_URL,
      NULL },

    { "openai", "apiKey", 0, 0, NULL },

    /* ChatGPT's Codex backend wants the ChatGPT account id */
    { "codex", "accessToken", ADMIND_ACCOUNT_CHATGPT_ID,
      ADMIND_ACCOUNT_CHATGPT_ID, NULL },

    /* https://<resource>.openai.azure.com, deployments, api-version */
    { "azure-openai", "apiKey",
      ADMIND_ACCOUNT_AZURE | ADMIND_ACCOUNT_BASE_URL,
      ADMIND_ACCOUNT_BASE_URL, NULL },

    { "gemini", "apiKey", 0, 0, NULL },

    /* Code Assist bills a Google Cloud project */
    { "gemini-oauth", "accessToken", ADMIND_ACCOUNT_PROJECT_ID,
      ADMIND_ACCOUNT_PROJECT_ID, NULL },

    { "droid", "apiKey", 0, 0, NULL },

    { NULL, NULL, 0, 0, NULL }
};


static pthread_once_t  admind_account_types_once = PTHREAD_ONCE_INIT;


static void
admind_account_types_join(void)
{
    admind_account_type_t  *t;

    for (t = admind_account_types; t->type != NULL; t++) {
        t->row = ql_account_type_by_name((const unsigned char *) t->type,
                                         strlen(t->type));
    }
}


const admind_account_type_t *
admind_account_type(const char *type)
{
    const admind_account_type_t  *t;

    (void) pthread_once(&admind_account_types_once,
                        admind_account_types_join);

    for (t = admind_account_types; t->type != NULL; t++) {
        if (strcmp(t->type, type) == 0) {
            return t->row ? t : NULL;
        }
    }

    return NULL;
}


void
admind_account_type_names(char *buf, size_t size)
{
    size_t                        len;
    const admind_account_type_t  *t;

    len = 0;
    buf[0] = '\0';

    for (t = admind_account_types; t->type != NULL; t++) {
        len += (size_t) snprintf(buf + len, size - len, "%s%s",
                                 len ? ", " : "", t->type);
        if (len >= size) {
            break;
        }
    }
}


int
admind_account_type_is_credential(const char *name)
{
    const admind_account_type_t  *t;

    for (t = admind_account_types; t->type != NULL; t++) {
        if (strcmp(t->credential, name) == 0) {
            return 1;
        }
    }

    return 0;
}
