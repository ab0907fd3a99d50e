/*
 * QuotaLane admind: account credentials at rest.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "admind_cred.h"


size_t
admind_cred_aad(uint64_t account_id, char buf[24])
{
    return (size_t) snprintf(buf, 24, "%llu",
                             (unsigned long long) account_id);
}


int
admind_cred_seal(const ql_master_key_t *mk, uint64_t account_id,
    const char *plain, size_t len, unsigned char **env, size_t *env_len)
{
    char            aad[24];
    size_t          aad_len;
    unsigned char  *out;

    out = malloc(len + QL_ENVELOPE_OVERHEAD);
    if (out == NULL) {
        return ADMIND_ERROR;
    }

    aad_len = admind_cred_aad(account_id, aad);

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


void
admind_cred_hint(const char *secret, size_t len,
    char hint[ADMIND_CRED_HINT_LEN])
{
    size_t  i, prefix;

    /* "sk-ant-api03-...": keep "sk-ant-", the vendor's public marker */
    prefix = 0;

    for (i = 0; i < len && i < 8; i++) {
        if (!((secret[i] >= 'a' && secret[i] <= 'z') || secret[i] == '-')) {
            break;
        }

        if (secret[i] == '-') {
            prefix = i + 1;
        }
    }

    if (len >= 20) {
        snprintf(hint, ADMIND_CRED_HINT_LEN, "%.*s...%.4s", (int) prefix,
                 secret, secret + len - 4);

    } else {
        snprintf(hint, ADMIND_CRED_HINT_LEN, "...");
    }
}


void
admind_cred_version(const unsigned char *env, size_t len,
    char out[ADMIND_CRED_VERSION_LEN + 1])
{
    size_t         i;
    unsigned int   n;
    unsigned char  md[EVP_MAX_MD_SIZE];

    static const char  hex[] = "0123456789abcdef";

    if (EVP_Digest(env, len, md, &n, EVP_sha256(), NULL) != 1) {
        memset(md, 0, sizeof(md));
    }

    for (i = 0; i < ADMIND_CRED_VERSION_LEN / 2; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0f];
    }

    out[ADMIND_CRED_VERSION_LEN] = '\0';
}


int
admind_cred_unhex(const char *hex, unsigned char **out, size_t *len)
{
    int             hi, lo;
    size_t          i, n;
    unsigned char  *p;

    n = strlen(hex);
    if (n % 2) {
        return ADMIND_ERROR;
    }

    p = malloc(n / 2 + 1);
    if (p == NULL) {
        return ADMIND_ERROR;
    }

    for (i = 0; i < n / 2; i++) {
        hi = ql_hex_value((unsigned char) hex[2 * i]);
        lo = ql_hex_value((unsigned char) hex[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            free(p);
            return ADMIND_ERROR;
        }

        p[i] = (unsigned char) (hi << 4 | lo);
    }

    *out = p;
    *len = n / 2;

    return ADMIND_OK;
}


char *
admind_cred_open(const ql_master_key_t *mk, uint64_t account_id,
    const unsigned char *env, size_t len)
{
    char            aad[24];
    size_t          aad_len, out_len;
    unsigned char  *out;

    if (len < QL_ENVELOPE_OVERHEAD) {
        return NULL;
    }

    out = malloc(len - QL_ENVELOPE_OVERHEAD + 1);
    if (out == NULL) {
        return NULL;
    }

    aad_len = admind_cred_aad(account_id, aad);

    if (ql_envelope_open(mk, (unsigned char *) aad, aad_len, env, len, out,
                         &out_len)
        != 0)
    {
        free(out);
        return NULL;
    }

    out[out_len] = '\0';

    return (char *) out;
}
