/*
 * QuotaLane admind: account base URLs.
 *
 * A base URL becomes the parts of the account record the module uses
 * (proto/redis_layout.md): scheme, host (the Host header and, without its
 * port, the TLS SNI name), addr (resolved here, because nginx workers
 * never resolve names) and path_prefix.
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


/*
 * "http[s]://host[:port][/path]": scheme and host lowercased, a default
 * port (80, 443) dropped from the Host header, trailing slashes dropped
 * from the path.  No user info, query or fragment.  err says why not.
 */
int admind_baseurl_parse(const char *s, admind_baseurl_t *u, char *err,
    size_t errlen);

/*
 * getaddrinfo() of the host (this blocks): "ip:port", or "[ip]:port" for
 * IPv6.  IPv4 is preferred when a name has both, since workers connect to
 * one address without falling back.
 */
int admind_baseurl_resolve(const admind_baseurl_t *u, char *addr,
    size_t size, char *err, size_t errlen);


#endif /* _ADMIND_BASEURL_H_INCLUDED_ */
