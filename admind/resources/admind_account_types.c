/*
 * QuotaLane admind: account types.
 */

#include <stdio.h>
#include <string.h>

#include "admind_account_types.h"


static const admind_account_type_t  admind_account_types[] = {

    /* Anthropic Console API key, sent as "x-api-key" */
    { "claude-console", "claude", "x-api-key", "apiKey",
      "https://api.anthropic.com", 0 },

    /* Claude subscription OAuth access token, sent as a bearer token */
    { "claude-official", "claude", "bearer", "accessToken",
      "https://api.anthropic.com", 1 },

    { NULL, NULL, NULL, NULL, NULL, 0 }
};


const admind_account_type_t *
admind_account_type(const char *type)
{
    const admind_account_type_t  *t;

    for (t = admind_account_types; t->type != NULL; t++) {
        if (strcmp(t->type, type) == 0) {
            return t;
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
