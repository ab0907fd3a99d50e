/*
 * QuotaLane admind: webhook URLs (see admind_webhook_url.h).
 */

#include <stdio.h>
#include <string.h>

#include "admind_outbound.h"
#include "admind_webhook_url.h"


static int
admind_webhook_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
           || (c >= 'A' && c <= 'F');
}


/* RFC 3986 query: pchar, '/' and '?', with %XX escapes checked */
static int
admind_webhook_query_valid(const char *p)
{
    for ( /* void */ ; *p != '\0'; p++) {
        if (*p == '%') {
            if (!admind_webhook_hex(p[1]) || !admind_webhook_hex(p[2])) {
                return 0;
            }

            p += 2;
            continue;
        }

        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9')
              || strchr("/?-._~!$&'()*+,;=:@", *p) != NULL))
        {
            return 0;
        }
    }

    return 1;
}


int
admind_webhook_url_check(const admind_outbound_allow_t *allow,
    const char *url, admind_webhook_url_t *out, char *err, size_t errlen)
{
    char              base[ADMIND_WEBHOOK_URL_MAX + 1];
    size_t            len, n;
    const char       *query;
    admind_baseurl_t  u;

    len = strlen(url);

    if (len > ADMIND_WEBHOOK_URL_MAX) {
        snprintf(err, errlen, "field \"url\" must be at most %d characters",
                 ADMIND_WEBHOOK_URL_MAX);
        return ADMIND_ERROR;
    }

    if (strchr(url, '#') != NULL) {
        snprintf(err, errlen, "field \"url\" must not have a fragment");
        return ADMIND_ERROR;
    }

    query = strchr(url, '?');
    n = query != NULL ? (size_t) (query - url) : len;

    if (query != NULL && !admind_webhook_query_valid(query + 1)) {
        snprintf(err, errlen, "field \"url\" has characters a URL query "
                 "may not hold");
        return ADMIND_ERROR;
    }

    memcpy(base, url, n);
    base[n] = '\0';

    if (admind_outbound_url(allow, "url", base, NULL, &u, out->addr,
                            sizeof(out->addr), err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    n = (size_t) snprintf(out->url, sizeof(out->url), "%s%s", u.normalized,
                          query != NULL ? query : "");

    if (n >= sizeof(out->url)) {
        snprintf(err, errlen, "field \"url\" must be at most %d characters",
                 ADMIND_WEBHOOK_URL_MAX);
        return ADMIND_ERROR;
    }

    snprintf(out->hint, sizeof(out->hint), "%s://%s", u.scheme,
             u.host_header);

    return ADMIND_OK;
}
