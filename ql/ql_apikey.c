/*
 * API key format, generation and digest.
 */

#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ql_apikey.h"


static const char  ql_hex[] = "0123456789abcdef";


int
ql_apikey_valid(const unsigned char *p, size_t len)
{
    size_t  i;

    if (len != QL_APIKEY_LEN
        || memcmp(p, QL_APIKEY_PREFIX, QL_APIKEY_PREFIX_LEN) != 0)
    {
        return 0;
    }

    for (i = QL_APIKEY_PREFIX_LEN; i < len; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


int
ql_apikey_digest(const unsigned char *p, size_t len,
    unsigned char hex[QL_APIKEY_DIGEST_HEX])
{
    size_t        i;
    unsigned int  n;
    unsigned char md[EVP_MAX_MD_SIZE];

    if (EVP_Digest(p, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32) {
        return -1;
    }

    for (i = 0; i < 32; i++) {
        hex[2 * i] = ql_hex[md[i] >> 4];
        hex[2 * i + 1] = ql_hex[md[i] & 0x0f];
    }

    return 0;
}


int
ql_apikey_generate(char out[QL_APIKEY_LEN + 1])
{
    size_t         i;
    unsigned char  raw[32];

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return -1;
    }

    memcpy(out, QL_APIKEY_PREFIX, QL_APIKEY_PREFIX_LEN);

    for (i = 0; i < sizeof(raw); i++) {
        out[QL_APIKEY_PREFIX_LEN + 2 * i] = ql_hex[raw[i] >> 4];
        out[QL_APIKEY_PREFIX_LEN + 2 * i + 1] = ql_hex[raw[i] & 0x0f];
    }

    out[QL_APIKEY_LEN] = '\0';

    return 0;
}
