/*
 * QuotaLane: master key file format, shared by the nginx module and admind.
 *
 * The file holds the 32-byte AES-256 key either raw (exactly 32 bytes) or
 * as 64 hex digits, optionally followed by a newline.
 */

#ifndef _QL_MASTER_KEY_H_INCLUDED_
#define _QL_MASTER_KEY_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


#define QL_MASTER_KEY_LEN  32


/* 0 and the key in key[QL_MASTER_KEY_LEN], or -1 for a malformed file */
int ql_master_key_decode(const u_char *p, size_t len, u_char *key);


#endif /* _QL_MASTER_KEY_H_INCLUDED_ */
