/*
 * QuotaLane admind: reading secrets from files (passwords, keys).
 */

#ifndef _ADMIND_SECRET_H_INCLUDED_
#define _ADMIND_SECRET_H_INCLUDED_


#include "admind.h"


#define ADMIND_JWT_SECRET_MIN   32
#define ADMIND_SECRET_FILE_MAX  4096


/*
 * The whole file as admind_file_read() reads it, with a warning when all
 * users may read it.  Free with admind_secret_free(), which wipes it.
 */
int admind_secret_read(const char *path, size_t max, unsigned char **data,
    size_t *len, char *err, size_t errlen);
void admind_secret_free(void *data, size_t len);

/* a one-line secret (password): the trailing newline is not part of it */
int admind_secret_read_line(const char *path, char **line, size_t *len,
    char *err, size_t errlen);

/* 32 raw bytes or 64 hex digits (ql_master_key_parse()) */
int admind_secret_master_key(const char *path, ql_master_key_t *key,
    char *err, size_t errlen);
int admind_secret_jwt(const char *path, unsigned char **secret, size_t *len,
    char *err, size_t errlen);


#endif /* _ADMIND_SECRET_H_INCLUDED_ */
