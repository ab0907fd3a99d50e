/*
 * QuotaLane admind: list pagination.
 */

#include <stdio.h>
#include <string.h>

#include "admind_page.h"


static const char  admind_page_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


/* base64url without padding: a token is used in a query string as is */
static size_t
admind_page_encode(const unsigned char *in, size_t len, char *out)
{
    size_t    i, n;
    unsigned  v;

    n = 0;

    for (i = 0; i + 2 < len; i += 3) {
        v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8 | in[i + 2];
        out[n++] = admind_page_b64[(v >> 18) & 63];
        out[n++] = admind_page_b64[(v >> 12) & 63];
        out[n++] = admind_page_b64[(v >> 6) & 63];
        out[n++] = admind_page_b64[v & 63];
    }

    if (len - i == 1) {
        v = (unsigned) in[i] << 16;
        out[n++] = admind_page_b64[(v >> 18) & 63];
        out[n++] = admind_page_b64[(v >> 12) & 63];

    } else if (len - i == 2) {
        v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8;
        out[n++] = admind_page_b64[(v >> 18) & 63];
        out[n++] = admind_page_b64[(v >> 12) & 63];
        out[n++] = admind_page_b64[(v >> 6) & 63];
    }

    out[n] = '\0';

    return n;
}


static int
admind_page_decode(const char *in, unsigned char *out, size_t outsz,
    size_t *outlen)
{
    size_t       i, len, n;
    unsigned     v, bits;
    const char  *p;

    len = strlen(in);

    /* one leftover character cannot encode a byte */
    if (len % 4 == 1) {
        return ADMIND_ERROR;
    }

    n = 0;
    v = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        p = strchr(admind_page_b64, in[i]);
        if (in[i] == '\0' || p == NULL) {
            return ADMIND_ERROR;
        }

        v = (v << 6) | (unsigned) (p - admind_page_b64);
        bits += 6;

        if (bits >= 8) {
            bits -= 8;

            if (n == outsz) {
                return ADMIND_ERROR;
            }

            out[n++] = (unsigned char) (v >> bits);
            v &= (1u << bits) - 1;
        }
    }

    /* the unused low bits must be zero, so each token has one spelling */
    if (v != 0) {
        return ADMIND_ERROR;
    }

    *outlen = n;

    return ADMIND_OK;
}


void
admind_page_token(unsigned long long offset, char buf[ADMIND_PAGE_TOKEN_LEN])
{
    char  raw[24];
    int   n;

    n = snprintf(raw, sizeof(raw), "o%llu", offset);

    admind_page_encode((unsigned char *) raw, (size_t) n, buf);
}


static int
admind_page_number(const char *s, size_t len, unsigned long long max,
    unsigned long long *v)
{
    size_t  i;

    if (len == 0 || len > 20 || (len > 1 && s[0] == '0')) {
        return ADMIND_ERROR;
    }

    *v = 0;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return ADMIND_ERROR;
        }

        *v = *v * 10 + (unsigned) (s[i] - '0');

        if (*v > max) {
            return ADMIND_ERROR;
        }
    }

    return ADMIND_OK;
}


int
admind_page_parse(const char *size, const char *token, admind_page_t *page,
    char *err, size_t errlen)
{
    size_t              len;
    unsigned char       raw[ADMIND_PAGE_TOKEN_LEN];
    unsigned long long  v;

    page->offset = 0;
    page->size = ADMIND_PAGE_DEFAULT;

    if (size != NULL && size[0] != '\0') {
        /* a size far beyond the maximum is still just "the maximum" */
        if (strspn(size, "0123456789") != strlen(size)) {
            snprintf(err, errlen, "pageSize must be a non-negative "
                     "integer");
            return ADMIND_ERROR;
        }

        len = strlen(size);
        while (len > 1 && size[0] == '0') {
            size++;
            len--;
        }

        if (len > 6 || admind_page_number(size, len, ~0ULL, &v) != ADMIND_OK
            || v > ADMIND_PAGE_MAX)
        {
            v = ADMIND_PAGE_MAX;
        }

        page->size = v == 0 ? ADMIND_PAGE_DEFAULT : (unsigned) v;
    }

    if (token == NULL || token[0] == '\0') {
        return ADMIND_OK;
    }

    if (strlen(token) >= ADMIND_PAGE_TOKEN_LEN
        || admind_page_decode(token, raw, sizeof(raw), &len) != ADMIND_OK
        || len < 2 || raw[0] != 'o'
        || admind_page_number((char *) raw + 1, len - 1,
                              ADMIND_PAGE_OFFSET_MAX, &v)
           != ADMIND_OK)
    {
        snprintf(err, errlen, "pageToken is not a token this API issued");
        return ADMIND_ERROR;
    }

    page->offset = v;

    return ADMIND_OK;
}
