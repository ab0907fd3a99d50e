/*
 * QuotaLane admind: webhook URLs and the outbound URL policy.
 *
 * Chat services take their credential in the query (DingTalk's
 * access_token, WeCom's key), which account base URLs may not have: the
 * query is checked here (RFC 3986 characters, %XX escapes), the rest by
 * admind_outbound_url() (admind_outbound.h), which resolves the host and
 * refuses loopback, private and other inner addresses unless
 * outbound_allow covers them.  Checked when an admin sets the URL and
 * again before every delivery, whose connection goes only to the
 * address this check let through.
 */

#ifndef _ADMIND_WEBHOOK_URL_H_INCLUDED_
#define _ADMIND_WEBHOOK_URL_H_INCLUDED_


#include "admind.h"
#include "admind_baseurl.h"
#include "admind_outbound_allow.h"


#define ADMIND_WEBHOOK_URL_MAX   2048
#define ADMIND_WEBHOOK_HINT_MAX  (ADMIND_BASEURL_HOST + 24)


typedef struct {
    /* scheme and host lowercased, the path's trailing slashes dropped */
    char  url[ADMIND_WEBHOOK_URL_MAX + 1];
    /* "https://hooks.slack.com": what the API shows, no credential */
    char  hint[ADMIND_WEBHOOK_HINT_MAX];
    /* "ip:port" or "[ip]:port" to connect to */
    char  addr[ADMIND_BASEURL_ADDR];
} admind_webhook_url_t;


/*
 * ADMIND_OK with out filled, or ADMIND_ERROR with err naming the field
 * "url", fit for a 400.  Resolves the host: keep it out of
 * transactions.
 */
int admind_webhook_url_check(const admind_outbound_allow_t *allow,
    const char *url, admind_webhook_url_t *out, char *err, size_t errlen);


#endif /* _ADMIND_WEBHOOK_URL_H_INCLUDED_ */
