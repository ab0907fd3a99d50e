/*
 * AWS Signature Version 4 (see ql_sigv4.h).
 */

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ql_sigv4.h"


#define QL_SIGV4_QUERY_MAX    64       /* name=value pairs */
#define QL_SIGV4_SIGNED_MAX   512      /* "host;x-amz-date;..." */
#define QL_SIGV4_SECRET_MAX   1024


static const char  ql_sigv4_hexdigits[] = "0123456789abcdef";


static void
ql_sigv4_hex(const unsigned char *p, size_t n, char *out)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        out[2 * i] = ql_sigv4_hexdigits[p[i] >> 4];
        out[2 * i + 1] = ql_sigv4_hexdigits[p[i] & 0x0f];
    }

    out[2 * n] = '\0';
}


static int
ql_sigv4_put(EVP_MD_CTX *md, const void *p, size_t len)
{
    return EVP_DigestUpdate(md, p, len) == 1 ? 0 : -1;
}


static int
ql_sigv4_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
           || c == '~';
}


/* the path as sent, URI-encoded once more ("/" kept; "%" becomes %25) */
static int
ql_sigv4_put_path(EVP_MD_CTX *md, const char *path, size_t len)
{
    size_t          i, n;
    unsigned char   c;
    char            buf[256];

    if (len == 0) {
        return ql_sigv4_put(md, "/", 1);
    }

    n = 0;

    for (i = 0; i < len; i++) {
        c = (unsigned char) path[i];

        if (ql_sigv4_unreserved(c) || c == '/') {
            buf[n++] = (char) c;

        } else {
            buf[n++] = '%';
            buf[n++] = "0123456789ABCDEF"[c >> 4];
            buf[n++] = "0123456789ABCDEF"[c & 0x0f];
        }

        if (n > sizeof(buf) - 3) {
            if (ql_sigv4_put(md, buf, n) != 0) {
                return -1;
            }

            n = 0;
        }
    }

    return ql_sigv4_put(md, buf, n);
}


typedef struct {
    const char  *p;
    size_t       len;
    size_t       name_len;
} ql_sigv4_pair_t;


static int
ql_sigv4_pair_cmp(const ql_sigv4_pair_t *a, const ql_sigv4_pair_t *b)
{
    int     rc;
    size_t  n;

    n = a->name_len < b->name_len ? a->name_len : b->name_len;
    rc = memcmp(a->p, b->p, n);

    if (rc != 0 || a->name_len != b->name_len) {
        return rc != 0 ? rc : (a->name_len < b->name_len ? -1 : 1);
    }

    n = a->len < b->len ? a->len : b->len;
    rc = memcmp(a->p + a->name_len, b->p + b->name_len, n - a->name_len);

    return rc != 0 ? rc : (a->len < b->len ? -1 : a->len > b->len);
}


/* the query's pairs sorted by name, then value; "name" as "name=" */
static int
ql_sigv4_put_query(EVP_MD_CTX *md, const char *q, size_t len)
{
    size_t           i, j, n, start;
    const char      *eq;
    ql_sigv4_pair_t  pairs[QL_SIGV4_QUERY_MAX], t;

    n = 0;

    for (start = 0; start < len; start = i + 1) {
        for (i = start; i < len && q[i] != '&'; i++) { /* void */ }

        if (i == start) {
            continue;
        }

        if (n == QL_SIGV4_QUERY_MAX) {
            return -1;
        }

        eq = memchr(q + start, '=', i - start);
        pairs[n].p = q + start;
        pairs[n].len = i - start;
        pairs[n].name_len = eq ? (size_t) (eq - (q + start)) : i - start;

        /* insertion sort: a handful of pairs */
        for (j = n++; j > 0 && ql_sigv4_pair_cmp(&pairs[j - 1],
                                                 &pairs[j]) > 0; j--)
        {
            t = pairs[j];
            pairs[j] = pairs[j - 1];
            pairs[j - 1] = t;
        }
    }

    for (i = 0; i < n; i++) {
        if ((i && ql_sigv4_put(md, "&", 1) != 0)
            || ql_sigv4_put(md, pairs[i].p, pairs[i].len) != 0
            || (pairs[i].name_len == pairs[i].len
                && ql_sigv4_put(md, "=", 1) != 0))
        {
            return -1;
        }
    }

    return 0;
}


static int
ql_sigv4_name_cmp(const ql_sigv4_header_t *a, const ql_sigv4_header_t *b)
{
    size_t         i, n;
    unsigned char  x, y;

    n = a->name_len < b->name_len ? a->name_len : b->name_len;

    for (i = 0; i < n; i++) {
        x = (unsigned char) a->name[i];
        y = (unsigned char) b->name[i];
        x = (x >= 'A' && x <= 'Z') ? x + 32 : x;
        y = (y >= 'A' && y <= 'Z') ? y + 32 : y;

        if (x != y) {
            return x < y ? -1 : 1;
        }
    }

    return a->name_len < b->name_len ? -1 : a->name_len > b->name_len;
}


/* a value trimmed, inner runs of blanks as one space */
static int
ql_sigv4_put_value(EVP_MD_CTX *md, const char *v, size_t len)
{
    size_t  i, start;
    int     blank;

    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t')) {
        len--;
    }

    for (start = 0; start < len && (v[start] == ' ' || v[start] == '\t');
         start++)
    { /* void */ }

    blank = 0;

    for (i = start; i < len; i++) {
        if (v[i] == ' ' || v[i] == '\t') {
            blank = 1;
            continue;
        }

        if ((blank && ql_sigv4_put(md, " ", 1) != 0)
            || ql_sigv4_put(md, v + i, 1) != 0)
        {
            return -1;
        }

        blank = 0;
    }

    return 0;
}


/*
 * The canonical headers into the digest and the signed header names
 * into signed; returns 0 or -1.
 */
static int
ql_sigv4_put_headers(EVP_MD_CTX *md, const ql_sigv4_request_t *req,
    char *signed_names)
{
    size_t                    i, j, k, n;
    char                      c;
    const ql_sigv4_header_t  *sorted[QL_SIGV4_HEADERS_MAX], *t;

    if (req->nheaders > QL_SIGV4_HEADERS_MAX) {
        return -1;
    }

    for (i = 0; i < req->nheaders; i++) {
        sorted[i] = &req->headers[i];

        for (j = i; j > 0 && ql_sigv4_name_cmp(sorted[j - 1], sorted[j]) > 0;
             j--)
        {
            t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    }

    n = 0;

    for (i = 0; i < req->nheaders; i = j) {
        if (n + sorted[i]->name_len + 2 > QL_SIGV4_SIGNED_MAX) {
            return -1;
        }

        if (n) {
            signed_names[n++] = ';';
        }

        for (k = 0; k < sorted[i]->name_len; k++) {
            c = sorted[i]->name[k];
            signed_names[n++] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        }

        if (ql_sigv4_put(md, signed_names + n - sorted[i]->name_len,
                         sorted[i]->name_len) != 0
            || ql_sigv4_put(md, ":", 1) != 0)
        {
            return -1;
        }

        for (j = i; j < req->nheaders
                    && ql_sigv4_name_cmp(sorted[i], sorted[j]) == 0; j++)
        {
            if ((j > i && ql_sigv4_put(md, ",", 1) != 0)
                || ql_sigv4_put_value(md, sorted[j]->value,
                                      sorted[j]->value_len) != 0)
            {
                return -1;
            }
        }

        if (ql_sigv4_put(md, "\n", 1) != 0) {
            return -1;
        }
    }

    signed_names[n] = '\0';

    return 0;
}


/* the hex SHA-256 of the canonical request; signed: the header names */
static int
ql_sigv4_canonical_hash(const ql_sigv4_request_t *req, char *signed_names,
    char hash[QL_SIGV4_HASH_HEX + 1])
{
    int            rc;
    unsigned int   len;
    EVP_MD_CTX    *md;
    unsigned char  digest[EVP_MAX_MD_SIZE];

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return -1;
    }

    rc = -1;

    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1
        && ql_sigv4_put(md, req->method, strlen(req->method)) == 0
        && ql_sigv4_put(md, "\n", 1) == 0
        && ql_sigv4_put_path(md, req->path, req->path_len) == 0
        && ql_sigv4_put(md, "\n", 1) == 0
        && ql_sigv4_put_query(md, req->query, req->query_len) == 0
        && ql_sigv4_put(md, "\n", 1) == 0
        && ql_sigv4_put_headers(md, req, signed_names) == 0
        && ql_sigv4_put(md, "\n", 1) == 0
        && ql_sigv4_put(md, signed_names, strlen(signed_names)) == 0
        && ql_sigv4_put(md, "\n", 1) == 0
        && ql_sigv4_put(md, req->payload_hash, QL_SIGV4_HASH_HEX) == 0
        && EVP_DigestFinal_ex(md, digest, &len) == 1)
    {
        ql_sigv4_hex(digest, len, hash);
        rc = 0;
    }

    EVP_MD_CTX_free(md);

    return rc;
}


static int
ql_sigv4_hmac(const unsigned char *key, size_t key_len, const void *data,
    size_t len, unsigned char out[32])
{
    unsigned int  n;

    return HMAC(EVP_sha256(), key, (int) key_len, data, len, out, &n) != NULL
           && n == 32 ? 0 : -1;
}


/* the signing key of the day, region and service: cached or derived */
static int
ql_sigv4_key(const ql_sigv4_request_t *req, const char *date,
    const char *scope, ql_sigv4_key_t *key)
{
    int            rc;
    unsigned char  hash[32], k[32], secret[4 + QL_SIGV4_SECRET_MAX];

    if (req->secret_len > QL_SIGV4_SECRET_MAX
        || EVP_Digest(req->secret, req->secret_len, hash, NULL,
                      EVP_sha256(), NULL) != 1)
    {
        return -1;
    }

    if (key->valid && strcmp(key->date, date) == 0
        && strcmp(key->scope, scope) == 0
        && CRYPTO_memcmp(key->secret_hash, hash, 32) == 0)
    {
        return 0;
    }

    key->valid = 0;

    memcpy(secret, "AWS4", 4);
    memcpy(secret + 4, req->secret, req->secret_len);

    rc = ql_sigv4_hmac(secret, 4 + req->secret_len, date, 8, k) == 0
         && ql_sigv4_hmac(k, 32, req->region, strlen(req->region), k) == 0
         && ql_sigv4_hmac(k, 32, req->service, strlen(req->service), k) == 0
         && ql_sigv4_hmac(k, 32, "aws4_request", 12, key->key) == 0
         ? 0 : -1;

    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(k, sizeof(k));

    if (rc == 0) {
        memcpy(key->secret_hash, hash, 32);
        memcpy(key->date, date, 9);
        memcpy(key->scope, scope, strlen(scope) + 1);
        key->valid = 1;
    }

    return rc;
}


int
ql_sigv4_sign(const ql_sigv4_request_t *req, ql_sigv4_key_t *key,
    char *out, size_t size)
{
    int             n;
    char            amz[QL_SIGV4_AMZ_DATE_LEN + 1], date[9];
    char            scope[QL_SIGV4_SCOPE_MAX], sts[256];
    char            hash[QL_SIGV4_HASH_HEX + 1], sig[QL_SIGV4_HASH_HEX + 1];
    char            signed_names[QL_SIGV4_SIGNED_MAX];
    unsigned char   mac[32];
    ql_sigv4_key_t  own;

    if (key == NULL) {
        own.valid = 0;
        key = &own;
    }

    n = snprintf(scope, sizeof(scope), "%s/%s", req->region, req->service);
    if (n < 0 || (size_t) n >= sizeof(scope)) {
        return -1;
    }

    ql_sigv4_amz_date(req->time, amz);
    memcpy(date, amz, 8);
    date[8] = '\0';

    if (ql_sigv4_canonical_hash(req, signed_names, hash) != 0
        || ql_sigv4_key(req, date, scope, key) != 0)
    {
        return -1;
    }

    n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s/%s/"
                 "aws4_request\n%s", amz, date, scope, hash);
    if (n < 0 || (size_t) n >= sizeof(sts)
        || ql_sigv4_hmac(key->key, 32, sts, (size_t) n, mac) != 0)
    {
        return -1;
    }

    ql_sigv4_hex(mac, 32, sig);

    if (key == &own) {
        OPENSSL_cleanse(&own, sizeof(own));
    }

    n = snprintf(out, size, "AWS4-HMAC-SHA256 Credential=%.*s/%s/%s/"
                 "aws4_request, SignedHeaders=%s, Signature=%s",
                 (int) req->access_key_id_len, req->access_key_id, date,
                 scope, signed_names, sig);

    return (n < 0 || (size_t) n >= size) ? -1 : n;
}


void
ql_sigv4_amz_date(time_t t, char out[QL_SIGV4_AMZ_DATE_LEN + 1])
{
    struct tm  tm;

    if (gmtime_r(&t, &tm) == NULL
        || strftime(out, QL_SIGV4_AMZ_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm)
           != QL_SIGV4_AMZ_DATE_LEN)
    {
        memcpy(out, "19700101T000000Z", QL_SIGV4_AMZ_DATE_LEN + 1);
    }
}


int
ql_sigv4_sha256_hex(const void *p, size_t len,
    char out[QL_SIGV4_HASH_HEX + 1])
{
    unsigned char  digest[32];

    if (EVP_Digest(p, len, digest, NULL, EVP_sha256(), NULL) != 1) {
        return -1;
    }

    ql_sigv4_hex(digest, 32, out);

    return 0;
}
