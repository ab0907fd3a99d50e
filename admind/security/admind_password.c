/*
 * QuotaLane admind: password hashing.
 *
 * libxcrypt's bcrypt; crypt_r() with a heap crypt_data because the
 * structure is too large for the small stacks of HTTP threads, and a
 * random salt from OpenSSL rather than libxcrypt's own so that the source
 * of randomness is the same everywhere in admind.
 */

#include <stdlib.h>
#include <string.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "admind_password.h"


/* bcrypt takes 16 bytes of salt */
#define ADMIND_PASSWORD_SALT_BYTES  16


static int
admind_password_acceptable(const char *password, size_t len)
{
    /*
     * bcrypt silently ignores bytes past 72 and stops at a NUL: refuse
     * both rather than accept a password that is not what was typed.
     */
    return len > 0 && len <= ADMIND_PASSWORD_MAX
           && memchr(password, '\0', len) == NULL;
}


int
admind_password_hash(const char *password, size_t len, unsigned cost,
    char *out, size_t outsize)
{
    int                 rc;
    char                setting[CRYPT_GENSALT_OUTPUT_SIZE];
    char                pw[ADMIND_PASSWORD_MAX + 1];
    const char         *h;
    unsigned char       rbytes[ADMIND_PASSWORD_SALT_BYTES];
    struct crypt_data  *data;

    if (!admind_password_acceptable(password, len)) {
        return ADMIND_ERROR;
    }

    if (cost == 0) {
        cost = ADMIND_PASSWORD_COST;
    }

    if (cost < ADMIND_PASSWORD_MIN_COST || cost > 31) {
        return ADMIND_ERROR;
    }

    if (RAND_bytes(rbytes, sizeof(rbytes)) != 1) {
        return ADMIND_ERROR;
    }

    if (crypt_gensalt_rn("$2b$", cost, (const char *) rbytes,
                         sizeof(rbytes), setting, sizeof(setting))
        == NULL)
    {
        return ADMIND_ERROR;
    }

    data = calloc(1, sizeof(struct crypt_data));
    if (data == NULL) {
        return ADMIND_ERROR;
    }

    memcpy(pw, password, len);
    pw[len] = '\0';

    rc = ADMIND_ERROR;

    h = crypt_r(pw, setting, data);

    /* libxcrypt reports failure with NULL or a string starting with '*' */
    if (h != NULL && h[0] == '$' && strlen(h) < outsize) {
        strcpy(out, h);
        rc = ADMIND_OK;
    }

    OPENSSL_cleanse(pw, sizeof(pw));
    OPENSSL_cleanse(data, sizeof(struct crypt_data));
    free(data);

    return rc;
}


int
admind_password_verify(const char *password, size_t len, const char *hash)
{
    int                 ok;
    char                pw[ADMIND_PASSWORD_MAX + 1];
    size_t              hlen;
    const char         *h;
    struct crypt_data  *data;

    if (hash == NULL || !admind_password_acceptable(password, len)) {
        return 0;
    }

    /* only bcrypt: a stored DES or empty hash must never verify */
    if (strncmp(hash, "$2b$", 4) != 0 && strncmp(hash, "$2a$", 4) != 0
        && strncmp(hash, "$2y$", 4) != 0)
    {
        return 0;
    }

    data = calloc(1, sizeof(struct crypt_data));
    if (data == NULL) {
        return 0;
    }

    memcpy(pw, password, len);
    pw[len] = '\0';

    ok = 0;
    hlen = strlen(hash);

    h = crypt_r(pw, hash, data);

    /* the time must not tell how much of the hash matched */
    if (h != NULL && h[0] == '$' && strlen(h) == hlen
        && CRYPTO_memcmp(h, hash, hlen) == 0)
    {
        ok = 1;
    }

    OPENSSL_cleanse(pw, sizeof(pw));
    OPENSSL_cleanse(data, sizeof(struct crypt_data));
    free(data);

    return ok;
}
