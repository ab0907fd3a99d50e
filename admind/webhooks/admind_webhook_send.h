/*
 * QuotaLane admind: one webhook POST.
 *
 * The URL is checked by the outbound URL policy right before the
 * request (admind_webhook_url.h: an allowlist may have narrowed, a DNS
 * answer may have moved since the admin set it) and admind_fetch()
 * connects only to the address the check let through (no proxy from the
 * environment, no redirects, http and https only, TLS verified, 5 s to
 * connect and 10 s in all).  At most ADMIND_WEBHOOK_ANSWER_MAX bytes of
 * the answer are kept: enough to say why a receiver refused.
 */

#ifndef _ADMIND_WEBHOOK_SEND_H_INCLUDED_
#define _ADMIND_WEBHOOK_SEND_H_INCLUDED_


#include "admind.h"
#include "admind_outbound_allow.h"


#define ADMIND_WEBHOOK_ANSWER_MAX  1024

/* the format's own header lines, at most */
#define ADMIND_WEBHOOK_HEADERS_MAX  8


typedef struct {
    long    status;                     /* 0: no HTTP answer */
    char    answer[ADMIND_WEBHOOK_ANSWER_MAX + 1];
    size_t  len;
} admind_webhook_answer_t;


/*
 * POSTs body (JSON) to url with the extra headers (NULL-terminated
 * "Name: value" lines, or NULL).  ADMIND_OK when an answer came, of
 * whatever status; ADMIND_ERROR with err (refused by the policy, no
 * connection, a timeout).
 */
int admind_webhook_post(const admind_outbound_allow_t *allow,
    const char *url, const char *body, const char *const *headers,
    admind_webhook_answer_t *a, char *err, size_t errlen);


#endif /* _ADMIND_WEBHOOK_SEND_H_INCLUDED_ */
