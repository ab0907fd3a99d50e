/*
 * AWS Signature Version 4 (see ql_sigv4.h).
 */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ql_crypto.h"
#include "ql_sigv4.h"


#define QL_SIGV4_QUERY_MAX     64       /* name=value pairs */
#define QL_SIGV4_SEGMENTS_MAX  64       /* path segments left after ".." */
#define QL_SIGV4_SIGNED_MAX    512      /* "host;x-amz-date;..." */
#define QL_SIGV4_SECRET_MAX    1024
#define QL_SIGV4_AKID_MAX      128
#define QL_SIGV4_STS_MAX       256

#define QL_SIGV4_TOKEN_NAME    "x-amz-security-token"


static const char  ql_sigv4_lower[] = "0123456789abcdef";
static const char  ql_sigv4_upper[] = "0123456789ABCDEF";


/* what one request's signature is made of, past the checks */
typedef struct {
    char           amz[QL_SIGV4_AMZ_DATE_LEN + 1];
    char           date[QL_SIGV4_DATE_LEN + 1];
    char           scope[QL_SIGV4_SCOPE_MAX];
    char           names[QL_SIGV4_SIGNED_MAX];
    char           hash[QL_SIGV4_HASH_HEX + 1];
} ql_sigv4_parts_t;


/*
 * Where the canonical request goes: a digest (through buf) or the
 * caller's text.  The first failure sticks and is checked once, at the
 * end.
 */
typedef struct {
    EVP_MD_CTX    *md;
    char          *out;
    size_t         size;
    size_t         len;
    int            error;
    char           buf[256];
} ql_sigv4_sink_t;


static void
ql_sigv4_hex(const unsigned char *p, size_t n, char *out)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        out[2 * i] = ql_sigv4_lower[p[i] >> 4];
        out[2 * i + 1] = ql_sigv4_lower[p[i] & 0x0f];
    }

    out[2 * n] = '\0';
}


static int
ql_sigv4_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9');
}


static int
ql_sigv4_unreserved(unsigned char c)
{
    return ql_sigv4_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}


/* RFC 7230's tchar: what a method or a header name is made of */
static int
ql_sigv4_tchar(unsigned char c)
{
    return ql_sigv4_alnum(c)
           || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}


static int
ql_sigv4_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}


static void
ql_sigv4_flush(ql_sigv4_sink_t *s)
{
    if (s->md != NULL && s->len) {
        if (EVP_DigestUpdate(s->md, s->out, s->len) != 1) {
            s->error = 1;
        }

        s->len = 0;
    }
}


static void
ql_sigv4_put(ql_sigv4_sink_t *s, const char *p, size_t len)
{
    size_t  n;

    while (len && !s->error) {
        if (s->len == s->size) {
            if (s->md == NULL) {
                s->error = 1;
                return;
            }

            ql_sigv4_flush(s);
            continue;
        }

        n = s->size - s->len < len ? s->size - s->len : len;
        memcpy(s->out + s->len, p, n);
        s->len += n;
        p += n;
        len -= n;
    }
}


static void
ql_sigv4_put_escaped(ql_sigv4_sink_t *s, unsigned char c)
{
    char  e[3];

    e[0] = '%';
    e[1] = ql_sigv4_upper[c >> 4];
    e[2] = ql_sigv4_upper[c & 0x0f];

    ql_sigv4_put(s, e, 3);
}


/*
 * A wire string encoded once, a character at a time: a valid "%xx" is
 * decoded and encoded again (so "%3a" is "%3A", "%41" is "A"), any other
 * byte but RFC 3986's unreserved (and "/" if kept) is encoded.
 */
typedef struct {
    const char    *p;
    size_t         len;
    size_t         i;
    char           esc[2];
    unsigned       pending;
    unsigned       slash:1;
} ql_sigv4_once_t;


static void
ql_sigv4_once_init(ql_sigv4_once_t *it, const char *p, size_t len,
    unsigned slash)
{
    it->p = p;
    it->len = len;
    it->i = 0;
    it->pending = 0;
    it->slash = slash;
}


/* the next character, or -1 at the end */
static int
ql_sigv4_once_next(ql_sigv4_once_t *it)
{
    int            hi, lo;
    unsigned char  c;

    if (it->pending) {
        return (unsigned char) it->esc[2 - it->pending--];
    }

    if (it->i == it->len) {
        return -1;
    }

    c = (unsigned char) it->p[it->i++];

    if (c == '%' && it->len - it->i >= 2
        && (hi = ql_hex_value((unsigned char) it->p[it->i])) >= 0
        && (lo = ql_hex_value((unsigned char) it->p[it->i + 1])) >= 0)
    {
        c = (unsigned char) (hi << 4 | lo);
        it->i += 2;

        /* decoded, only the unreserved are left as is: %2F stays */
        if (ql_sigv4_unreserved(c)) {
            return c;
        }

    } else if (ql_sigv4_unreserved(c) || (c == '/' && it->slash)) {
        return c;
    }

    it->esc[0] = ql_sigv4_upper[c >> 4];
    it->esc[1] = ql_sigv4_upper[c & 0x0f];
    it->pending = 2;

    return '%';
}


static void
ql_sigv4_put_once(ql_sigv4_sink_t *s, const char *p, size_t len,
    unsigned slash)
{
    int              c;
    char             ch;
    ql_sigv4_once_t  it;

    ql_sigv4_once_init(&it, p, len, slash);

    while ((c = ql_sigv4_once_next(&it)) >= 0) {
        ch = (char) c;
        ql_sigv4_put(s, &ch, 1);
    }
}


/* two wire strings compared as encoded once, byte by byte */
static int
ql_sigv4_once_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int              x, y;
    ql_sigv4_once_t  ia, ib;

    ql_sigv4_once_init(&ia, a, alen, 0);
    ql_sigv4_once_init(&ib, b, blen, 0);

    do {
        x = ql_sigv4_once_next(&ia);
        y = ql_sigv4_once_next(&ib);
    } while (x == y && x != -1);

    return x < y ? -1 : x > y;
}


/*
 * The canonical URI.  Not S3: the path's empty, "." and ".." segments
 * removed (a "/" kept at the end), every byte but the unreserved and
 * "/" encoded, "%" too: the wire's %3A signs as %253A.  S3: the path as
 * is, encoded once.
 */
static int
ql_sigv4_put_path(ql_sigv4_sink_t *s, const ql_sigv4_request_t *req)
{
    size_t         i, k, start, n, len;
    const char    *path;
    unsigned char  c;
    struct {
        const char  *p;
        size_t       len;
    }              seg[QL_SIGV4_SEGMENTS_MAX];

    path = req->path;
    len = req->path_len;

    if (req->flags & QL_SIGV4_S3_PATH) {
        if (len == 0) {
            ql_sigv4_put(s, "/", 1);

        } else {
            ql_sigv4_put_once(s, path, len, 1);
        }

        return 0;
    }

    n = 0;

    for (start = 0; start <= len; start = i + 1) {
        for (i = start; i < len && path[i] != '/'; i++) { /* void */ }

        if (i == start || (i - start == 1 && path[start] == '.')) {
            continue;
        }

        if (i - start == 2 && path[start] == '.' && path[start + 1] == '.') {
            if (n) {
                n--;
            }

            continue;
        }

        if (n == QL_SIGV4_SEGMENTS_MAX) {
            return -1;
        }

        seg[n].p = path + start;
        seg[n].len = i - start;
        n++;
    }

    ql_sigv4_put(s, "/", 1);

    for (k = 0; k < n; k++) {
        if (k) {
            ql_sigv4_put(s, "/", 1);
        }

        for (i = 0; i < seg[k].len; i++) {
            c = (unsigned char) seg[k].p[i];

            if (ql_sigv4_unreserved(c)) {
                ql_sigv4_put(s, (const char *) &c, 1);

            } else {
                ql_sigv4_put_escaped(s, c);
            }
        }
    }

    if (n && path[len - 1] == '/') {
        ql_sigv4_put(s, "/", 1);
    }

    return 0;
}


typedef struct {
    const char    *name;
    size_t         name_len;
    const char    *value;
    size_t         value_len;
} ql_sigv4_pair_t;


static int
ql_sigv4_pair_cmp(const ql_sigv4_pair_t *a, const ql_sigv4_pair_t *b)
{
    int  rc;

    rc = ql_sigv4_once_cmp(a->name, a->name_len, b->name, b->name_len);

    return rc != 0 ? rc : ql_sigv4_once_cmp(a->value, a->value_len,
                                            b->value, b->value_len);
}


/* the query's pairs encoded once, sorted by name, then value */
static int
ql_sigv4_put_query(ql_sigv4_sink_t *s, const char *q, size_t len)
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

        pairs[n].name = q + start;
        pairs[n].name_len = eq ? (size_t) (eq - (q + start)) : i - start;
        pairs[n].value = eq ? eq + 1 : q + i;
        pairs[n].value_len = eq ? (size_t) (q + i - (eq + 1)) : 0;

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
        if (i) {
            ql_sigv4_put(s, "&", 1);
        }

        ql_sigv4_put_once(s, pairs[i].name, pairs[i].name_len, 0);
        ql_sigv4_put(s, "=", 1);
        ql_sigv4_put_once(s, pairs[i].value, pairs[i].value_len, 0);
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


static int
ql_sigv4_name_is(const ql_sigv4_header_t *h, const char *name)
{
    ql_sigv4_header_t  n;

    n.name = name;
    n.name_len = strlen(name);

    return ql_sigv4_name_cmp(h, &n) == 0;
}


/*
 * A header as one to sign: a token for a name; a value of visible
 * characters, blanks and obsolete line folding (a line break before a
 * blank), nothing that would end the header.
 */
static int
ql_sigv4_header_ok(const ql_sigv4_header_t *h)
{
    size_t         i;
    unsigned char  c;

    if (h->name == NULL || h->name_len == 0
        || (h->value == NULL && h->value_len))
    {
        return 0;
    }

    for (i = 0; i < h->name_len; i++) {
        if (!ql_sigv4_tchar((unsigned char) h->name[i])) {
            return 0;
        }
    }

    for (i = 0; i < h->value_len; i++) {
        c = (unsigned char) h->value[i];

        if (c == '\r' && i + 1 < h->value_len && h->value[i + 1] == '\n') {
            c = '\n';
            i++;
        }

        if (c == '\n') {
            if (i + 1 == h->value_len
                || (h->value[i + 1] != ' ' && h->value[i + 1] != '\t'))
            {
                return 0;
            }

            continue;
        }

        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return 0;
        }
    }

    return 1;
}


/* a value trimmed, each inner run of blanks as one space */
static void
ql_sigv4_put_value(ql_sigv4_sink_t *s, const char *v, size_t len)
{
    size_t    i, start;
    unsigned  space;

    i = 0;
    space = 0;

    for ( ;; ) {
        while (i < len && ql_sigv4_blank((unsigned char) v[i])) {
            i++;
        }

        if (i == len) {
            return;
        }

        if (space) {
            ql_sigv4_put(s, " ", 1);
        }

        for (start = i; i < len && !ql_sigv4_blank((unsigned char) v[i]);
             i++)
        { /* void */ }

        ql_sigv4_put(s, v + start, i - start);
        space = 1;
    }
}


/*
 * The canonical headers into s, the signed header names into names.
 * The session token joins the headers as x-amz-security-token.
 */
static int
ql_sigv4_put_headers(ql_sigv4_sink_t *s, const ql_sigv4_request_t *req,
    const char *amz, char *names)
{
    char                      c;
    size_t                    i, j, k, n, total;
    ql_sigv4_header_t         token;
    const ql_sigv4_header_t  *sorted[QL_SIGV4_HEADERS_MAX + 1], *h, *t;
    unsigned                  host;

    if (req->nheaders > QL_SIGV4_HEADERS_MAX
        || (req->nheaders && req->headers == NULL))
    {
        return -1;
    }

    total = 0;
    host = 0;

    for (i = 0; i <= req->nheaders; i++) {
        if (i < req->nheaders) {
            h = &req->headers[i];

        } else if (req->session_token_len) {
            token.name = QL_SIGV4_TOKEN_NAME;
            token.name_len = sizeof(QL_SIGV4_TOKEN_NAME) - 1;
            token.value = req->session_token;
            token.value_len = req->session_token_len;
            h = &token;

        } else {
            break;
        }

        if (!ql_sigv4_header_ok(h)
            || (ql_sigv4_name_is(h, "x-amz-date")
                && (h->value_len != QL_SIGV4_AMZ_DATE_LEN
                    || memcmp(h->value, amz, QL_SIGV4_AMZ_DATE_LEN) != 0))
            || (h != &token && req->session_token_len
                && ql_sigv4_name_is(h, QL_SIGV4_TOKEN_NAME)))
        {
            return -1;
        }

        host |= ql_sigv4_name_is(h, "host");

        /* insertion sort, stable: repeated names keep their order */
        sorted[total] = h;

        for (j = total++; j > 0
                          && ql_sigv4_name_cmp(sorted[j - 1], sorted[j]) > 0;
             j--)
        {
            t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    }

    if (!host) {
        return -1;
    }

    n = 0;

    for (i = 0; i < total; i = j) {
        if (n + sorted[i]->name_len + 2 > QL_SIGV4_SIGNED_MAX) {
            return -1;
        }

        if (n) {
            names[n++] = ';';
        }

        for (k = 0; k < sorted[i]->name_len; k++) {
            c = sorted[i]->name[k];
            names[n++] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        }

        ql_sigv4_put(s, names + n - sorted[i]->name_len,
                     sorted[i]->name_len);
        ql_sigv4_put(s, ":", 1);

        for (j = i; j < total && ql_sigv4_name_cmp(sorted[i], sorted[j]) == 0;
             j++)
        {
            if (j > i) {
                ql_sigv4_put(s, ",", 1);
            }

            ql_sigv4_put_value(s, sorted[j]->value, sorted[j]->value_len);
        }

        ql_sigv4_put(s, "\n", 1);
    }

    names[n] = '\0';

    return 0;
}


/* the canonical request into s; p holds the dates, gets the names */
static int
ql_sigv4_canonical(ql_sigv4_sink_t *s, const ql_sigv4_request_t *req,
    ql_sigv4_parts_t *p)
{
    ql_sigv4_put(s, req->method, strlen(req->method));
    ql_sigv4_put(s, "\n", 1);

    if (ql_sigv4_put_path(s, req) != 0) {
        return -1;
    }

    ql_sigv4_put(s, "\n", 1);

    if (ql_sigv4_put_query(s, req->query, req->query_len) != 0) {
        return -1;
    }

    ql_sigv4_put(s, "\n", 1);

    if (ql_sigv4_put_headers(s, req, p->amz, p->names) != 0) {
        return -1;
    }

    ql_sigv4_put(s, "\n", 1);
    ql_sigv4_put(s, p->names, strlen(p->names));
    ql_sigv4_put(s, "\n", 1);
    ql_sigv4_put(s, req->payload_hash, QL_SIGV4_HASH_HEX);

    return s->error ? -1 : 0;
}


/* the canonical request's hex SHA-256 into p->hash */
static int
ql_sigv4_canonical_hash(const ql_sigv4_request_t *req, ql_sigv4_parts_t *p)
{
    int              rc;
    unsigned int     n;
    unsigned char    digest[EVP_MAX_MD_SIZE];
    ql_sigv4_sink_t  s;

    s.md = EVP_MD_CTX_new();
    if (s.md == NULL) {
        return -1;
    }

    s.out = s.buf;
    s.size = sizeof(s.buf);
    s.len = 0;
    s.error = 0;

    rc = -1;

    if (EVP_DigestInit_ex(s.md, EVP_sha256(), NULL) == 1
        && ql_sigv4_canonical(&s, req, p) == 0)
    {
        ql_sigv4_flush(&s);

        if (!s.error && EVP_DigestFinal_ex(s.md, digest, &n) == 1
            && n == 32)
        {
            ql_sigv4_hex(digest, n, p->hash);
            rc = 0;
        }
    }

    EVP_MD_CTX_free(s.md);

    return rc;
}


/* a NUL-terminated name of letters, digits and extra, 1 to max long */
static int
ql_sigv4_word_ok(const char *s, size_t max, const char *extra)
{
    size_t  i;

    if (s == NULL) {
        return 0;
    }

    for (i = 0; s[i] != '\0'; i++) {
        if (i == max
            || !(ql_sigv4_alnum((unsigned char) s[i])
                 || strchr(extra, s[i]) != NULL))
        {
            return 0;
        }
    }

    return i > 0;
}


/* the request's own checks, its dates and credential scope into p */
static int
ql_sigv4_prepare(const ql_sigv4_request_t *req, ql_sigv4_parts_t *p)
{
    int            n;
    size_t         i;
    unsigned char  c;

    if (req->method == NULL || req->method[0] == '\0'
        || (req->path == NULL && req->path_len)
        || (req->path_len && req->path[0] != '/')
        || (req->query == NULL && req->query_len)
        || req->payload_hash == NULL
        || !ql_sigv4_word_ok(req->region, QL_SIGV4_SCOPE_MAX, "-_.")
        || !ql_sigv4_word_ok(req->service, QL_SIGV4_SCOPE_MAX, "-_.")
        || req->access_key_id == NULL || req->access_key_id_len == 0
        || req->access_key_id_len > QL_SIGV4_AKID_MAX
        || req->secret == NULL || req->secret_len == 0
        || req->secret_len > QL_SIGV4_SECRET_MAX
        || (req->session_token == NULL && req->session_token_len))
    {
        return -1;
    }

    for (i = 0; req->method[i] != '\0'; i++) {
        if (!ql_sigv4_tchar((unsigned char) req->method[i])) {
            return -1;
        }
    }

    for (i = 0; i < req->path_len; i++) {
        if (req->path[i] == '?' || req->path[i] == '#') {
            return -1;
        }
    }

    /* the key id goes into the header as is */
    for (i = 0; i < req->access_key_id_len; i++) {
        if (!ql_sigv4_alnum((unsigned char) req->access_key_id[i])) {
            return -1;
        }
    }

    /* stops at a NUL: a shorter hash is not read past */
    for (i = 0; i < QL_SIGV4_HASH_HEX; i++) {
        c = (unsigned char) req->payload_hash[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return -1;
        }
    }

    n = snprintf(p->scope, sizeof(p->scope), "%s/%s", req->region,
                 req->service);
    if (n < 0 || (size_t) n >= sizeof(p->scope)
        || ql_sigv4_amz_date(req->time, p->amz) != 0)
    {
        return -1;
    }

    memcpy(p->date, p->amz, QL_SIGV4_DATE_LEN);
    p->date[QL_SIGV4_DATE_LEN] = '\0';

    return 0;
}


static int
ql_sigv4_hmac(const unsigned char *key, size_t key_len, const void *data,
    size_t len, unsigned char out[32])
{
    unsigned int  n;

    return HMAC(EVP_sha256(), key, (int) key_len, data, len, out, &n) != NULL
           && n == 32 ? 0 : -1;
}


/* the signing key of the day, region, service and secret: cached or new */
static int
ql_sigv4_key(const ql_sigv4_request_t *req, const ql_sigv4_parts_t *p,
    ql_sigv4_key_t *key)
{
    int            rc;
    unsigned char  hash[32], k[32], secret[4 + QL_SIGV4_SECRET_MAX];

    if (EVP_Digest(req->secret, req->secret_len, hash, NULL, EVP_sha256(),
                   NULL) != 1)
    {
        return -1;
    }

    if (key->valid && strcmp(key->date, p->date) == 0
        && strcmp(key->scope, p->scope) == 0
        && CRYPTO_memcmp(key->secret_hash, hash, 32) == 0)
    {
        return 0;
    }

    key->valid = 0;

    memcpy(secret, "AWS4", 4);
    memcpy(secret + 4, req->secret, req->secret_len);

    rc = ql_sigv4_hmac(secret, 4 + req->secret_len, p->date,
                       QL_SIGV4_DATE_LEN, k) == 0
         && ql_sigv4_hmac(k, 32, req->region, strlen(req->region), k) == 0
         && ql_sigv4_hmac(k, 32, req->service, strlen(req->service), k) == 0
         && ql_sigv4_hmac(k, 32, "aws4_request", 12, key->key) == 0
         ? 0 : -1;

    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(k, sizeof(k));

    if (rc == 0) {
        memcpy(key->secret_hash, hash, 32);
        memcpy(key->date, p->date, sizeof(key->date));
        memcpy(key->scope, p->scope, strlen(p->scope) + 1);
        key->valid = 1;
    }

    return rc;
}


static int
ql_sigv4_sts(const ql_sigv4_parts_t *p, char *out, size_t size)
{
    int  n;

    n = snprintf(out, size, "AWS4-HMAC-SHA256\n%s\n%s/%s/aws4_request\n%s",
                 p->amz, p->date, p->scope, p->hash);

    return (n < 0 || (size_t) n >= size) ? -1 : n;
}


int
ql_sigv4_sign(const ql_sigv4_request_t *req, ql_sigv4_key_t *key,
    char *out, size_t size)
{
    int               n, rc;
    char              sts[QL_SIGV4_STS_MAX], sig[QL_SIGV4_HASH_HEX + 1];
    unsigned char     mac[32];
    ql_sigv4_key_t    own;
    ql_sigv4_parts_t  p;

    if (size) {
        out[0] = '\0';
    }

    if (key == NULL) {
        own.valid = 0;
        key = &own;
    }

    rc = -1;

    if (ql_sigv4_prepare(req, &p) != 0
        || ql_sigv4_canonical_hash(req, &p) != 0
        || ql_sigv4_key(req, &p, key) != 0
        || (n = ql_sigv4_sts(&p, sts, sizeof(sts))) < 0
        || ql_sigv4_hmac(key->key, 32, sts, (size_t) n, mac) != 0)
    {
        goto done;
    }

    ql_sigv4_hex(mac, 32, sig);

    n = snprintf(out, size, "AWS4-HMAC-SHA256 Credential=%.*s/%s/%s/"
                 "aws4_request, SignedHeaders=%s, Signature=%s",
                 (int) req->access_key_id_len, req->access_key_id, p.date,
                 p.scope, p.names, sig);

    if (n >= 0 && (size_t) n < size) {
        rc = n;

    } else if (size) {
        out[0] = '\0';
    }

done:

    if (key == &own) {
        OPENSSL_cleanse(&own, sizeof(own));
    }

    return rc;
}


int
ql_sigv4_canonical_request(const ql_sigv4_request_t *req, char *out,
    size_t size)
{
    ql_sigv4_sink_t   s;
    ql_sigv4_parts_t  p;

    if (size == 0) {
        return -1;
    }

    s.md = NULL;
    s.out = out;
    s.size = size - 1;
    s.len = 0;
    s.error = 0;

    if (ql_sigv4_prepare(req, &p) != 0 || ql_sigv4_canonical(&s, req, &p) != 0
        || s.len > INT_MAX)
    {
        out[0] = '\0';
        return -1;
    }

    out[s.len] = '\0';

    return (int) s.len;
}


int
ql_sigv4_string_to_sign(const ql_sigv4_request_t *req, char *out,
    size_t size)
{
    ql_sigv4_parts_t  p;

    if (ql_sigv4_prepare(req, &p) != 0
        || ql_sigv4_canonical_hash(req, &p) != 0)
    {
        return -1;
    }

    return ql_sigv4_sts(&p, out, size);
}


int
ql_sigv4_amz_date(time_t t, char out[QL_SIGV4_AMZ_DATE_LEN + 1])
{
    struct tm  tm;

    /* a year outside 1000..9999 is not 4 digits: the length tells */
    if (gmtime_r(&t, &tm) == NULL
        || strftime(out, QL_SIGV4_AMZ_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm)
           != QL_SIGV4_AMZ_DATE_LEN
        || out[0] < '1' || out[0] > '9')
    {
        out[0] = '\0';
        return -1;
    }

    return 0;
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


int
ql_sigv4_sha256_init(ql_sigv4_sha256_t *h)
{
    h->md = EVP_MD_CTX_new();
    if (h->md == NULL) {
        return -1;
    }

    if (EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
        ql_sigv4_sha256_free(h);
        return -1;
    }

    return 0;
}


int
ql_sigv4_sha256_update(ql_sigv4_sha256_t *h, const void *p, size_t len)
{
    if (h->md == NULL) {
        return -1;
    }

    if (len && EVP_DigestUpdate(h->md, p, len) != 1) {
        ql_sigv4_sha256_free(h);
        return -1;
    }

    return 0;
}


int
ql_sigv4_sha256_final(ql_sigv4_sha256_t *h, char out[QL_SIGV4_HASH_HEX + 1])
{
    int            rc;
    unsigned int   n;
    unsigned char  digest[EVP_MAX_MD_SIZE];

    if (h->md == NULL) {
        return -1;
    }

    rc = EVP_DigestFinal_ex(h->md, digest, &n) == 1 && n == 32 ? 0 : -1;
    ql_sigv4_sha256_free(h);

    if (rc == 0) {
        ql_sigv4_hex(digest, 32, out);
    }

    return rc;
}


void
ql_sigv4_sha256_free(ql_sigv4_sha256_t *h)
{
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
}


int
ql_sigv4_encode_segment(const char *p, size_t len, char *out, size_t size)
{
    size_t         i, n;
    unsigned char  c;

    n = 0;

    for (i = 0; i < len; i++) {
        n += ql_sigv4_unreserved((unsigned char) p[i]) ? 1 : 3;
    }

    if (n > INT_MAX) {
        return -1;
    }

    if (out == NULL) {
        return (int) n;
    }

    if (n >= size) {
        if (size) {
            out[0] = '\0';
        }

        return -1;
    }

    for (i = 0, n = 0; i < len; i++) {
        c = (unsigned char) p[i];

        if (ql_sigv4_unreserved(c)) {
            out[n++] = (char) c;

        } else {
            out[n++] = '%';
            out[n++] = ql_sigv4_upper[c >> 4];
            out[n++] = ql_sigv4_upper[c & 0x0f];
        }
    }

    out[n] = '\0';

    return (int) n;
}
