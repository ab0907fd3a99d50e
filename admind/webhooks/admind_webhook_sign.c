/*
 * QuotaLane admind: webhook signatures (see admind_webhook_sign.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/params.h>

#include "admind_webhook_sign.h"


/* HMAC-SHA256 of the data parts, one after the other */
static int
admind_webhook_hmac(const char *key, size_t key_len, const char *a,
    size_t a_len, const char *b, size_t b_len, const char *c, size_t c_len,
    unsigned char mac[32])
{
    int            ok;
    size_t         len;
    EVP_MAC       *m;
    EVP_MAC_CTX   *ctx;
    OSSL_PARAM     params[2];

    m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (m == NULL) {
        return ADMIND_ERROR;
    }

    ctx = EVP_MAC_CTX_new(m);
    params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    ok = ctx != NULL
         && EVP_MAC_init(ctx, (const unsigned char *) key, key_len, params)
         && EVP_MAC_update(ctx, (const unsigned char *) a, a_len)
         && EVP_MAC_update(ctx, (const unsigned char *) b, b_len)
         && EVP_MAC_update(ctx, (const unsigned char *) c, c_len)
         && EVP_MAC_final(ctx, mac, &len, 32)
         && len == 32;

    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);

    return ok ? ADMIND_OK : ADMIND_ERROR;
}


int
admind_webhook_sign_generic(const char *secret, const char *ts,
    const char *body, char out[ADMIND_WEBHOOK_SIG_LEN])
{
    int            i;
    unsigned char  mac[32];

    if (admind_webhook_hmac(secret, strlen(secret), ts, strlen(ts), ".", 1,
                            body, strlen(body), mac)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    memcpy(out, "sha256=", 7);

    for (i = 0; i < 32; i++) {
        snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
    }

    return ADMIND_OK;
}


int
admind_webhook_sign_feishu(const char *secret, const char *ts,
    char out[ADMIND_WEBHOOK_SIG64_LEN])
{
    int            rc;
    char          *key;
    size_t         len;
    unsigned char  mac[32];

    len = strlen(ts) + 1 + strlen(secret);

    key = malloc(len + 1);
    if (key == NULL) {
        return ADMIND_ERROR;
    }

    snprintf(key, len + 1, "%s\n%s", ts, secret);

    rc = admind_webhook_hmac(key, len, "", 0, "", 0, "", 0, mac);

    ql_wipe(key, len);
    free(key);

    if (rc == ADMIND_OK) {
        EVP_EncodeBlock((unsigned char *) out, mac, 32);
    }

    return rc;
}


int
admind_webhook_sign_dingtalk(const char *secret, const char *ts_ms,
    char out[ADMIND_WEBHOOK_SIG64_LEN])
{
    size_t         len;
    unsigned char  mac[32];

    len = strlen(secret);

    if (admind_webhook_hmac(secret, len, ts_ms, strlen(ts_ms), "\n", 1,
                            secret, len, mac)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    EVP_EncodeBlock((unsigned char *) out, mac, 32);

    return ADMIND_OK;
}
