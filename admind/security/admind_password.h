/*
 * QuotaLane admind: password hashing (bcrypt $2b$).
 */

#ifndef _ADMIND_PASSWORD_H_INCLUDED_
#define _ADMIND_PASSWORD_H_INCLUDED_


#include "admind.h"


#define ADMIND_PASSWORD_COST      12
#define ADMIND_PASSWORD_MIN_COST  4
#define ADMIND_PASSWORD_MAX       72      /* bcrypt ignores later bytes */
#define ADMIND_PASSWORD_HASH_LEN  128     /* room for "$2b$12$" + 53 */


/* hash into out (NUL terminated); cost 0 means ADMIND_PASSWORD_COST */
int admind_password_hash(const char *password, size_t len, unsigned cost,
    char *out, size_t outsize);

/* 1 if the password matches the stored hash, 0 if not (or malformed) */
int admind_password_verify(const char *password, size_t len,
    const char *hash);


#endif /* _ADMIND_PASSWORD_H_INCLUDED_ */
