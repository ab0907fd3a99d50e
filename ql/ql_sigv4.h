/*
 * AWS Signature Version 4 for one request (the Authorization header
 * value), as the gateway signs what it sends to a Bedrock account.
 *
 * The canonical request is hashed as it is built (no buffer for it):
 *
 *   - the method;
 *   - the path as sent (already percent-encoded), its dot segments and
 *     empty segments removed, then URI-encoded AGAIN: every AWS service
 *     but S3 signs the path encoded twice (botocore, the AWS SDKs), so a
 *     wire path /model/a%3A0/invoke signs as /model/a%253A0/invoke.
 *     QL_SIGV4_S3_PATH signs S3's way instead: the path as is, encoded
 *     once ("%XX" kept, what is not yet encoded encoded);
 *   - the query's name=value pairs, each side encoded once ("%XX" kept,
 *     the rest but RFC 3986's unreserved encoded), sorted by name, then
 *     value; a bare "name" as "name=";
 *   - the headers given and the session token (as x-amz-security-token):
 *     names lowercased, values trimmed with inner runs of blanks made one
 *     space, sorted by name, repeated names joined with ",";
 *   - the signed header names; the payload's hex SHA-256.
 *
 * The signing key (an HMAC chain over "AWS4" + secret, date, region,
 * service, "aws4_request") is derived once per day, region, service and
 * secret and kept in a ql_sigv4_key_t the caller owns, with a SHA-256 of
 * the secret (not the secret), compared in constant time, to notice a
 * rotated secret.  nginx-free; no allocation but OpenSSL's own.
 */

#ifndef QL_SIGV4_H
#define QL_SIGV4_H

#include <stddef.h>
#include <time.h>


#define QL_SIGV4_AMZ_DATE_LEN  16      /* 20150830T123600Z */
#define QL_SIGV4_DATE_LEN      8       /* 20150830 */
#define QL_SIGV4_HASH_HEX      64
#define QL_SIGV4_HEADERS_MAX   16
#define QL_SIGV4_SCOPE_MAX     64      /* "region/service" and its NUL */

/* ql_sigv4_request_t.flags */
#define QL_SIGV4_S3_PATH       0x01


typedef struct {
    unsigned char  key[32];
    unsigned char  secret_hash[32];
    char           date[QL_SIGV4_DATE_LEN + 1];
    char           scope[QL_SIGV4_SCOPE_MAX];      /* region/service */
    unsigned       valid:1;
} ql_sigv4_key_t;


typedef struct {
    const char    *name;
    size_t         name_len;
    const char    *value;
    size_t         value_len;
} ql_sigv4_header_t;


typedef struct {
    const char               *method;
    const char               *path;         /* as sent, percent-encoded */
    size_t                    path_len;
    const char               *query;        /* as sent, without "?" */
    size_t                    query_len;
    const ql_sigv4_header_t  *headers;      /* host, x-amz-date, ... */
    size_t                    nheaders;
    const char               *payload_hash;   /* QL_SIGV4_HASH_HEX hex */
    time_t                    time;         /* x-amz-date, if given */
    const char               *region;
    const char               *service;
    const char               *access_key_id;
    size_t                    access_key_id_len;
    const char               *secret;
    size_t                    secret_len;
    const char               *session_token;  /* optional */
    size_t                    session_token_len;
    unsigned                  flags;
} ql_sigv4_request_t;


/*
 * Writes the Authorization value ("AWS4-HMAC-SHA256 Credential=...,
 * SignedHeaders=..., Signature=...") and a NUL into out and returns its
 * length; -1 when it does not fit or the request is not one to sign:
 * no "host" header, an x-amz-date header other than time's, more than
 * QL_SIGV4_HEADERS_MAX headers, a session token given twice, a malformed
 * method, path, header, payload hash, region, service or key id.  key
 * caches the signing key; NULL derives it for this call.
 */
int ql_sigv4_sign(const ql_sigv4_request_t *req, ql_sigv4_key_t *key,
    char *out, size_t size);

/* the canonical request and the string to sign, for tests; as above */
int ql_sigv4_canonical_request(const ql_sigv4_request_t *req, char *out,
    size_t size);
int ql_sigv4_string_to_sign(const ql_sigv4_request_t *req, char *out,
    size_t size);

/* "20150830T123600Z" for t (UTC) and a NUL; -1 if t has no such date */
int ql_sigv4_amz_date(time_t t, char out[QL_SIGV4_AMZ_DATE_LEN + 1]);

/* the hex SHA-256 of [p, p + len) and a NUL; -1 if OpenSSL fails */
int ql_sigv4_sha256_hex(const void *p, size_t len,
    char out[QL_SIGV4_HASH_HEX + 1]);

/*
 * The same over several buffers (a request body's chain).  After init
 * succeeds, final or free must follow; final frees even when it fails,
 * and after a failed update it fails.
 */
typedef struct {
    struct evp_md_ctx_st  *md;
} ql_sigv4_sha256_t;

int ql_sigv4_sha256_init(ql_sigv4_sha256_t *h);
int ql_sigv4_sha256_update(ql_sigv4_sha256_t *h, const void *p,
    size_t len);
int ql_sigv4_sha256_final(ql_sigv4_sha256_t *h,
    char out[QL_SIGV4_HASH_HEX + 1]);
void ql_sigv4_sha256_free(ql_sigv4_sha256_t *h);

/*
 * One path segment for the wire (a Bedrock model id: "a:0" is "a%3A0"):
 * all but RFC 3986's unreserved as %XX, uppercase.  Returns the length
 * (out NULL: only that) or -1 if size cannot hold it and a NUL.
 */
int ql_sigv4_encode_segment(const char *p, size_t len, char *out,
    size_t size);

#endif /* QL_SIGV4_H */
