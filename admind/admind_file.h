/*
 * QuotaLane admind: reading small files whole.
 */

#ifndef _ADMIND_FILE_H_INCLUDED_
#define _ADMIND_FILE_H_INCLUDED_


#include "admind.h"


/*
 * The whole regular file, NUL terminated (one extra byte not counted in
 * len), refused if larger than max bytes.  Free with free().
 */
int admind_file_read(const char *path, size_t max, unsigned char **data,
    size_t *len, char *err, size_t errlen);


#endif /* _ADMIND_FILE_H_INCLUDED_ */
