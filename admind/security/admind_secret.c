/*
 * QuotaLane admind: reading secrets from files.
 *
 * Secrets live in files rather than in admind.conf so that the
 * configuration can be shown and shared; buffers that held them are wiped
 * before they are freed.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/crypto.h>

#include "ql_crypto.h"
#include "admind_log.h"
#include "admind_file.h"
#include "admind_secret.h"


int
admind_secret_read(const char *path, size_t max, unsigned char **data,
    size_t *len, char *err, size_t errlen)
{
    struct stat  st;

    if (admind_file_read(path, max, data, len, err, errlen) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    if (stat(path, &st) == 0 && (st.st_mode & S_IROTH)) {
        admind_log(ADMIND_LOG_WARN, "secret file is readable by all users",
                   "path", admind_log_str(path), NULL);
    }

    return ADMIND_OK;
}


void
admind_secret_free(void *data, size_t len)
{
    if (data == NULL) {
        return;
    }

    OPENSSL_cleanse(data, len);
    free(data);
}


int
admind_secret_read_line(const char *path, char **line, size_t *len,
    char *err, size_t errlen)
{
    size_t          n;
    unsigned char  *data;

    if (admind_secret_read(path, ADMIND_SECRET_FILE_MAX, &data, &n, err,
                           errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    /* "echo secret > file" adds a newline that is no part of the secret */
    if (n > 0 && data[n - 1] == '\n') {
        n--;
        if (n > 0 && data[n - 1] == '\r') {
            n--;
        }
    }

    data[n] = '\0';

    if (n == 0) {
        snprintf(err, errlen, "%s: empty", path);
        admind_secret_free(data, n);
        return ADMIND_ERROR;
    }

    if (memchr(data, '\0', n) != NULL || memchr(data, '\n', n) != NULL) {
        snprintf(err, errlen, "%s: must hold one line of text", path);
        admind_secret_free(data, n);
        return ADMIND_ERROR;
    }

    *line = (char *) data;
    *len = n;

    return ADMIND_OK;
}


int
admind_secret_master_key(const char *path, ql_master_key_t *key,
    char *err, size_t errlen)
{
    int             rc;
    size_t          n;
    unsigned char  *data;

    if (admind_secret_read(path, 256, &data, &n, err, errlen) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    rc = ql_master_key_parse(data, n, key);
    admind_secret_free(data, n);

    if (rc != 0) {
        snprintf(err, errlen, "%s: a master key is 32 raw bytes or 64 hex "
                 "digits (got %zu bytes)", path, n);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


int
admind_secret_jwt(const char *path, unsigned char **secret, size_t *len,
    char *err, size_t errlen)
{
    size_t          n;
    unsigned char  *data;

    if (admind_secret_read(path, ADMIND_SECRET_FILE_MAX, &data, &n, err,
                           errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r')) {
        n--;
    }

    data[n] = '\0';

    /* HS256 wants a key at least as long as its 256-bit output */
    if (n < ADMIND_JWT_SECRET_MIN) {
        snprintf(err, errlen, "%s: a JWT secret needs at least %d bytes "
                 "(got %zu)", path, ADMIND_JWT_SECRET_MIN, n);
        admind_secret_free(data, n);
        return ADMIND_ERROR;
    }

    *secret = data;
    *len = n;

    return ADMIND_OK;
}
