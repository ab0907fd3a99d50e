/*
 * QuotaLane admind: webhook secrets at rest (see admind_webhook_seal.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_cred.h"
#include "admind_webhook_seal.h"


static size_t
admind_webhook_aad(uint64_t id, const char *what, char *buf, size_t size)
{
    return (size_t) snprintf(buf, size, "webhook:%llu:%s",
                             (unsigned long long) id, what);
}


int
admind_webhook_seal(const ql_master_key_t *mk, uint64_t id,
    const char *what, const char *plain, unsigned char **env,
    size_t *env_len)
{
    char            aad[64];
    size_t          aad_len, len;
    unsigned char  *out;

    len = strlen(plain);

    out = malloc(len + QL_ENVELOPE_OVERHEAD);
    if (out == NULL) {
        return ADMIND_ERROR;
    }

    aad_len = admind_webhook_aad(id, what, aad, sizeof(aad));

    if (ql_envelope_seal(mk, (unsigned char *) aad, aad_len,
                         (const unsigned char *) plain, len, out, env_len)
        != 0)
    {
        free(out);
        return ADMIND_ERROR;
    }

    *env = out;

    return ADMIND_OK;
}


char *
admind_webhook_open(const ql_master_key_t *mk, uint64_t id,
    const char *what, const char *hex)
{
    char            aad[64];
    size_t          aad_len, env_len, len;
    unsigned char  *env, *out;

    if (hex == NULL
        || admind_cred_unhex(hex, &env, &env_len) != ADMIND_OK)
    {
        return NULL;
    }

    if (env_len < QL_ENVELOPE_OVERHEAD) {
        free(env);
        return NULL;
    }

    out = malloc(env_len - QL_ENVELOPE_OVERHEAD + 1);
    if (out == NULL) {
        free(env);
        return NULL;
    }

    aad_len = admind_webhook_aad(id, what, aad, sizeof(aad));

    if (ql_envelope_open(mk, (unsigned char *) aad, aad_len, env, env_len,
                         out, &len)
        != 0)
    {
        ql_wipe(out, env_len - QL_ENVELOPE_OVERHEAD);
        free(env);
        free(out);
        return NULL;
    }

    free(env);
    out[len] = '\0';

    return (char *) out;
}
