/*
 * QuotaLane admind: one outbound HTTPS request from a worker or an admin
 * request (never an nginx worker): a provider's token endpoint, Code
 * Assist's project lookup, an account test, a webhook.  libcurl, TLS
 * verified, no redirects, http and https only, bounded in time; at most
 * ADMIND_FETCH_ANSWER_MAX bytes of the answer kept (the rest read and
 * dropped, overflow says so); to a resolved address when the caller has
 * one (the outbound URL policy's), through the account's proxy when it
 * has one and never through one from admind's environment.
 */

#ifndef _ADMIND_FETCH_H_INCLUDED_
#define _ADMIND_FETCH_H_INCLUDED_


#include <stddef.h>

#include "admind.h"


#define ADMIND_FETCH_ANSWER_MAX   65536
#define ADMIND_FETCH_HEADERS_MAX  8192


typedef struct {
    const char          *method;        /* NULL: POST when body, else GET */
    const char          *url;
    const char          *body;          /* NULL: none */
    const char *const   *headers;       /* "Name: value", NULL-ended */
    const char          *connect_addr;  /* "ip:port" to use, or NULL */
    const char          *proxy;         /* a proxy URL, or NULL */
    const char          *proxy_auth;    /* "user:password", or NULL */
    const char          *user_agent;    /* NULL: "QuotaLane/1" */
    long                 timeout_ms;    /* 0: 15 s */
} admind_fetch_t;


typedef struct {
    long     status;
    double   seconds;               /* until the last byte */
    char    *body;                  /* NUL terminated; malloc()ed */
    size_t   len;
    char    *headers;               /* the answer's header block */
    size_t   headers_len;
    unsigned overflow;             /* more came than is kept */
} admind_fetch_answer_t;


/*
 * ADMIND_OK when an answer came (any status); ADMIND_ERROR when none did,
 * err saying why (no secrets: the URL is not repeated).
 */
int admind_fetch(const admind_fetch_t *req, admind_fetch_answer_t *ans,
    char *err, size_t errlen);

/* the value of the answer's header name (case-insensitive), copied */
int admind_fetch_header(const admind_fetch_answer_t *ans, const char *name,
    char *value, size_t size);

/* wipes and frees the answer */
void admind_fetch_free(admind_fetch_answer_t *ans);


#endif /* _ADMIND_FETCH_H_INCLUDED_ */
