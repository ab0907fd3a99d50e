/*
 * AWS Signature Version 4 for one request (the Authorization header
 * value), as the gateway signs what it sends to a Bedrock account.
 *
 * The canonical request is hashed as it is built (no buffer for it): the
 * method; the path as sent, URI-encoded again (every AWS service but S3
 * signs the path encoded twice: a wire path /model/a%3A0/invoke signs as
 * /model/a%253A0/invoke); the query's name=value pairs sorted; the headers
 * given, names lowercased, values trimmed with inner runs of spaces made
 * one, sorted by name, repeated names joined with ","; the signed header
 * names; the payload's hex SHA-256.
 *
 * The signing key (HMAC chain over date, region, service) is derived once
 * per day, region and service and kept in a ql_sigv4_key_t the caller
 * owns, with a SHA-256 of the secret (not the secret) to notice a new
 * secret.  nginx-free.
 */

#ifndef QL_SIGV4_H
#define QL_SIGV4_H

#include <stddef.h>
#include <time.h>


#define QL_SIGV4_AMZ_DATE_LEN  16      /* 20150830T123600Z */
#define QL_SIGV4_HASH_HEX      64
#define QL_SIGV4_HEADERS_MAX   16
#define QL_SIGV4_SCOPE_MAX     64      /* region and service */


typedef struct {
    unsigned char  key[32];
    unsigned char  secret_hash[32];
    char           date[9];            /* YYYYMMDD */
    char           scope[QL_SIGV4_SCOPE_MAX];    /* region/service */
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
    time_t                    time;         /* must match x-amz-date */
    const char               *region;
    const char               *service;
    const char               *access_key_id;
    size_t                    access_key_id_len;
    const char               *secret;
    size_t                    secret_len;
} ql_sigv4_request_t;


/*
 * Writes the Authorization value ("AWS4-HMAC-SHA256 Credential=...,
 * SignedHeaders=..., Signature=...") into out and returns its length, or
 * -1 when it does not fit, there are more than QL_SIGV4_HEADERS_MAX
 * headers, or OpenSSL fails.  key may be NULL (derived for this call).
 */
int ql_sigv4_sign(const ql_sigv4_request_t *req, ql_sigv4_key_t *key,
    char *out, size_t size);

/* "20150830T123600Z" for t (UTC), NUL-terminated */
void ql_sigv4_amz_date(time_t t, char out[QL_SIGV4_AMZ_DATE_LEN + 1]);

/* the hex SHA-256 of [p, p + len), NUL-terminated; -1 if OpenSSL fails */
int ql_sigv4_sha256_hex(const void *p, size_t len,
    char out[QL_SIGV4_HASH_HEX + 1]);

#endif /* QL_SIGV4_H */
