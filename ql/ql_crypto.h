/*
 * Credential envelope: AES-256-GCM under the 32-byte master key shared by
 * the module and admind.  Layout of a sealed envelope:
 *
 *   version (1) | key id (4) | nonce (12) | ciphertext (n) | tag (16)
 *
 * The key id is the first 4 bytes of SHA-256(master key), so a record
 * sealed under another key is told apart from a forged one.  The caller
 * passes additional authenticated data (the account id) that binds an
 * envelope to its record: it cannot be moved to another account.
 */

#ifndef QL_CRYPTO_H
#define QL_CRYPTO_H

#include <stddef.h>

#define QL_ENVELOPE_VERSION   1
#define QL_ENVELOPE_OVERHEAD  (1 + 4 + 12 + 16)
#define QL_MASTER_KEY_LEN     32

typedef struct {
    unsigned char  key[QL_MASTER_KEY_LEN];
    unsigned char  id[4];
} ql_master_key_t;

/* From 32 raw bytes or 64 hex digits (trailing newline allowed). */
int ql_master_key_parse(const unsigned char *data, size_t len,
    ql_master_key_t *mk);

/* Reads and parses a key file; on error returns -1 and fills err. */
int ql_master_key_load(const char *path, ql_master_key_t *mk, char *err,
    size_t errlen);

/* out must hold len + QL_ENVELOPE_OVERHEAD bytes; returns the size. */
int ql_envelope_seal(const ql_master_key_t *mk, const unsigned char *aad,
    size_t aad_len, const unsigned char *plain, size_t len,
    unsigned char *out, size_t *out_len);

/* out must hold len - QL_ENVELOPE_OVERHEAD bytes; -1 if not authentic. */
int ql_envelope_open(const ql_master_key_t *mk, const unsigned char *aad,
    size_t aad_len, const unsigned char *env, size_t len,
    unsigned char *out, size_t *out_len);

/* A hex digit's value, or -1. */
int ql_hex_value(unsigned char c);

/* Overwrites secret memory in a way the compiler keeps. */
void ql_wipe(void *p, size_t len);

#endif /* QL_CRYPTO_H */
