/*
 * AES-256-GCM credential envelope (OpenSSL EVP).
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ql_crypto.h"


#define QL_NONCE_LEN  12
#define QL_TAG_LEN    16
#define QL_HEAD_LEN   (1 + 4 + QL_NONCE_LEN)


int
ql_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


int
ql_master_key_parse(const unsigned char *data, size_t len,
    ql_master_key_t *mk)
{
    int            hi, lo;
    size_t         i;
    unsigned int   n;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (len == QL_MASTER_KEY_LEN) {
        memcpy(mk->key, data, QL_MASTER_KEY_LEN);

    } else {
        while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r')) {
            len--;
        }

        if (len != 2 * QL_MASTER_KEY_LEN) {
            return -1;
        }

        for (i = 0; i < QL_MASTER_KEY_LEN; i++) {
            hi = ql_hex_value(data[2 * i]);
            lo = ql_hex_value(data[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                ql_wipe(mk->key, sizeof(mk->key));
                return -1;
            }
            mk->key[i] = (unsigned char) (hi << 4 | lo);
        }
    }

    if (EVP_Digest(mk->key, QL_MASTER_KEY_LEN, md, &n, EVP_sha256(), NULL)
        != 1)
    {
        return -1;
    }

    memcpy(mk->id, md, sizeof(mk->id));

    return 0;
}


int
ql_master_key_load(const char *path, ql_master_key_t *mk, char *err,
    size_t errlen)
{
    int            rc;
    FILE          *f;
    size_t         n;
    unsigned char  buf[2 * QL_MASTER_KEY_LEN + 4];

    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open master key file \"%s\": %s",
                 path, strerror(errno));
        return -1;
    }

    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);

    rc = ql_master_key_parse(buf, n, mk);
    ql_wipe(buf, sizeof(buf));

    if (rc != 0) {
        snprintf(err, errlen, "master key file \"%s\" must hold 32 raw "
                 "bytes or 64 hex digits", path);
        return -1;
    }

    return 0;
}


int
ql_envelope_seal(const ql_master_key_t *mk, const unsigned char *aad,
    size_t aad_len, const unsigned char *plain, size_t len,
    unsigned char *out, size_t *out_len)
{
    int              n, rc;
    unsigned char   *nonce, *ct;
    EVP_CIPHER_CTX  *ctx;

    out[0] = QL_ENVELOPE_VERSION;
    memcpy(out + 1, mk->id, 4);
    nonce = out + 5;
    ct = out + QL_HEAD_LEN;

    if (RAND_bytes(nonce, QL_NONCE_LEN) != 1) {
        return -1;
    }

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    rc = -1;

    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, mk->key, nonce) != 1
        || (aad_len
            && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int) aad_len) != 1)
        || EVP_EncryptUpdate(ctx, ct, &n, plain, (int) len) != 1
        || EVP_EncryptFinal_ex(ctx, ct + n, &n) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, QL_TAG_LEN,
                               ct + len) != 1)
    {
        goto done;
    }

    *out_len = len + QL_ENVELOPE_OVERHEAD;
    rc = 0;

done:

    EVP_CIPHER_CTX_free(ctx);

    return rc;
}


int
ql_envelope_open(const ql_master_key_t *mk, const unsigned char *aad,
    size_t aad_len, const unsigned char *env, size_t len,
    unsigned char *out, size_t *out_len)
{
    int              n, rc;
    size_t           ct_len;
    unsigned char    tag[QL_TAG_LEN];
    EVP_CIPHER_CTX  *ctx;

    if (len < QL_ENVELOPE_OVERHEAD
        || env[0] != QL_ENVELOPE_VERSION
        || CRYPTO_memcmp(env + 1, mk->id, 4) != 0)
    {
        return -1;
    }

    ct_len = len - QL_ENVELOPE_OVERHEAD;
    memcpy(tag, env + QL_HEAD_LEN + ct_len, QL_TAG_LEN);

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    rc = -1;

    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, mk->key, env + 5)
        != 1
        || (aad_len
            && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int) aad_len) != 1)
        || EVP_DecryptUpdate(ctx, out, &n, env + QL_HEAD_LEN, (int) ct_len)
           != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, QL_TAG_LEN, tag)
           != 1
        || EVP_DecryptFinal_ex(ctx, out + n, &n) != 1)
    {
        ql_wipe(out, ct_len);
        goto done;
    }

    *out_len = ct_len;
    rc = 0;

done:

    EVP_CIPHER_CTX_free(ctx);

    return rc;
}


void
ql_wipe(void *p, size_t len)
{
    OPENSSL_cleanse(p, len);
}
