/*
 * QuotaLane admind: account base URLs (and other outbound URLs).
 *
 * A base URL becomes the parts of the account record the module uses
 * (proto/redis_layout.md): scheme, host (the Host header and, without its
 * port, the TLS SNI name) and path_prefix; its addr is resolved and
 * checked by the outbound URL policy (admind_outbound.h), because nginx
 * workers never resolve names.
 */

#ifndef _ADMIND_BASEURL_H_INCLUDED_
#define _ADMIND_BASEURL_H_INCLUDED_


#include "admind.h"


#define ADMIND_BASEURL_MAX    512
#define ADMIND_BASEURL_HOST   256

/* "[" 39 "]:" 5 and a NUL, rounded up */
#define ADMIND_BASEURL_ADDR   64


typedef struct {
    char        scheme[8];                          /* http, https */
    char        host[ADMIND_BASEURL_HOST];          /* no brackets */
    char        host_header[ADMIND_BASEURL_HOST + 8];
    unsigned    port;                               /* given or default */
    char        path[ADMIND_BASEURL_MAX];           /* "" or "/v1" */
    char        normalized[ADMIND_BASEURL_HOST + ADMIND_BASEURL_MAX + 24];
} admind_baseurl_t;


/* a scheme a URL may have, and its default port */
typedef struct {
    const char  *name;                              /* "https" */
    unsigned     port;
} admind_baseurl_scheme_t;


/*
 * "http[s]://host[:port][/path]": scheme and host lowercased, a default
 * port (80, 443) dropped from the Host header, trailing slashes dropped
 * from the path.  No user info, query or fragment; a host whose last
 * label is numeric must be a dotted-decimal IPv4 address (no 0x7f000001,
 * 2130706433, 0177.0.0.1 or 127.1, which resolvers read as 127.0.0.1).
 * err says why not.
 */
int admind_baseurl_parse(const char *s, admind_baseurl_t *u, char *err,
    size_t errlen);

/* the same with other schemes (NULL: http, https; a NULL name ends) */
int admind_baseurl_parse_schemes(const char *s,
    const admind_baseurl_scheme_t *schemes, admind_baseurl_t *u, char *err,
    size_t errlen);


#endif /* _ADMIND_BASEURL_H_INCLUDED_ */
