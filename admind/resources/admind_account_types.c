/*
 * QuotaLane admind: account types (see admind_account_types.h).
 */

#include <stdio.h>
#include <string.h>

#include "admind_account_types.h"


typedef struct {
    const char  *type;
    const char  *credential;
    unsigned     takes;
    unsigned     requires;
    const char  *alt_credential;
} admind_account_row_t;


static const admind_account_row_t  admind_account_rows[] = {

    { "claude-console", "apiKey", 0, 0, NULL },

    { "claude-official", "accessToken", ADMIND_ACCOUNT_REFRESH_TOKEN, 0,
      NULL },

    { "ccr", "apiKey", 0, 0, NULL },

    { "openai", "apiKey", 0, 0, NULL },

    /* the Codex backend wants the ChatGPT account beside the token */
    { "codex", "accessToken",
      ADMIND_ACCOUNT_REFRESH_TOKEN | ADMIND_ACCOUNT_CHATGPT_ACCOUNT,
      ADMIND_ACCOUNT_CHATGPT_ACCOUNT, NULL },

    { "azure-openai", "apiKey",
      ADMIND_ACCOUNT_AZURE_DEPLOYMENT | ADMIND_ACCOUNT_AZURE_API_VERSION, 0,
      NULL },

    { "gemini", "apiKey", 0, 0, NULL },

    /* Code Assist bills a Google Cloud project named in every request */
    { "gemini-oauth", "accessToken",
      ADMIND_ACCOUNT_REFRESH_TOKEN | ADMIND_ACCOUNT_PROJECT,
      ADMIND_ACCOUNT_PROJECT, NULL },

    /* a Factory API key, or a WorkOS access token that is refreshed */
    { "droid", "apiKey", ADMIND_ACCOUNT_REFRESH_TOKEN, 0, NULL },

    /*
     * AWS Bedrock: an IAM access key (id, secret, optional session token;
     * requests are signed) or a Bedrock API key (a bearer token)
     */
    { "bedrock", "awsSecretAccessKey",
      ADMIND_ACCOUNT_AWS_REGION | ADMIND_ACCOUNT_AWS_ACCESS_KEY
      | ADMIND_ACCOUNT_AWS_SESSION_TOKEN,
      ADMIND_ACCOUNT_AWS_REGION, "apiKey" },

    { NULL, NULL, 0, 0, NULL }
};


const admind_account_field_t  admind_account_fields[] = {
    { "refreshToken", ADMIND_ACCOUNT_REFRESH_TOKEN },
    { "chatgptAccountId", ADMIND_ACCOUNT_CHATGPT_ACCOUNT },
    { "projectId", ADMIND_ACCOUNT_PROJECT },
    { "azureDeployment", ADMIND_ACCOUNT_AZURE_DEPLOYMENT },
    { "azureApiVersion", ADMIND_ACCOUNT_AZURE_API_VERSION },
    { "awsRegion", ADMIND_ACCOUNT_AWS_REGION },
    { "awsAccessKeyId", ADMIND_ACCOUNT_AWS_ACCESS_KEY },
    { "awsSessionToken", ADMIND_ACCOUNT_AWS_SESSION_TOKEN },
    { NULL, 0 }
};


int
admind_account_type(const char *type, admind_account_type_t *t)
{
    const admind_account_row_t  *row;

    for (row = admind_account_rows; row->type != NULL; row++) {
        if (strcmp(row->type, type) != 0) {
            continue;
        }

        t->ql = ql_account_type_by_name((const unsigned char *) type,
                                        strlen(type));
        if (t->ql == NULL) {
            return ADMIND_DECLINED;
        }

        t->credential = row->credential;
        t->alt_credential = row->alt_credential;
        t->takes = row->takes;
        t->requires = row->requires;

        return ADMIND_OK;
    }

    return ADMIND_DECLINED;
}


void
admind_account_type_names(char *buf, size_t size)
{
    size_t                       len;
    const admind_account_row_t  *row;

    len = 0;
    buf[0] = '\0';

    for (row = admind_account_rows; row->type != NULL; row++) {
        len += (size_t) snprintf(buf + len, size - len, "%s%s",
                                 len ? ", " : "", row->type);
        if (len >= size) {
            break;
        }
    }
}


int
admind_account_type_is_credential(const char *name)
{
    const admind_account_row_t  *row;

    for (row = admind_account_rows; row->type != NULL; row++) {
        if (strcmp(row->credential, name) == 0) {
            return 1;
        }
    }

    return 0;
}
