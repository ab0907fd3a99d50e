/*
 * QuotaLane API keys: "cr_" followed by 64 lowercase hex digits (32 random
 * bytes).  Only the SHA-256 digest of the whole key is ever stored: the
 * key carries 256 bits of entropy, so a plain hash cannot be brute-forced
 * and needs no secret that the module and admind would have to share.
 */

#ifndef QL_APIKEY_H
#define QL_APIKEY_H

#include <stddef.h>

#define QL_APIKEY_PREFIX      "cr_"
#define QL_APIKEY_PREFIX_LEN  3
#define QL_APIKEY_LEN         (QL_APIKEY_PREFIX_LEN + 64)
#define QL_APIKEY_DIGEST_HEX  64

/* 1 if p is a well-formed key, 0 otherwise (constant pattern checks). */
int ql_apikey_valid(const unsigned char *p, size_t len);

/* Writes the hex SHA-256 of the key (64 chars, no NUL); 0 on success. */
int ql_apikey_digest(const unsigned char *p, size_t len,
    unsigned char hex[QL_APIKEY_DIGEST_HEX]);

/* Makes a new random key into out (QL_APIKEY_LEN chars + NUL). */
int ql_apikey_generate(char out[QL_APIKEY_LEN + 1]);

#endif /* QL_APIKEY_H */
