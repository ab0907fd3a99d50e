/*
 * QuotaLane admind: list pagination (pageSize, pageToken).
 *
 * A page token is opaque to clients: base64url of "o<offset>".  It is not
 * a secret and not signed; a forged token only moves the window over
 * rows the caller may list anyway.
 */

#ifndef _ADMIND_PAGE_H_INCLUDED_
#define _ADMIND_PAGE_H_INCLUDED_


#include "admind.h"


#define ADMIND_PAGE_DEFAULT     50
#define ADMIND_PAGE_MAX         500

/* the largest offset a token may carry: far beyond any table here */
#define ADMIND_PAGE_OFFSET_MAX  1000000000000ULL

/* room for any token, NUL included */
#define ADMIND_PAGE_TOKEN_LEN   32


typedef struct {
    unsigned long long  offset;
    unsigned            size;
} admind_page_t;


/*
 * pageSize: absent or 0 is the default, above the maximum is the maximum
 * (AIP-158), anything but digits is an error.  pageToken: absent or empty
 * is the first page.  Either may be NULL.  err names the parameter.
 */
int admind_page_parse(const char *size, const char *token,
    admind_page_t *page, char *err, size_t errlen);

/* the token of the page that starts at offset */
void admind_page_token(unsigned long long offset,
    char buf[ADMIND_PAGE_TOKEN_LEN]);


#endif /* _ADMIND_PAGE_H_INCLUDED_ */
