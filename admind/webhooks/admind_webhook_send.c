/*
 * QuotaLane admind: one webhook POST (see admind_webhook_send.h).
 */

#include <string.h>

#include "admind_fetch.h"
#include "admind_webhook_url.h"
#include "admind_webhook_send.h"


#define ADMIND_WEBHOOK_TIMEOUT_MS  10000


int
admind_webhook_post(const admind_outbound_allow_t *allow, const char *url,
    const char *body, const char *const *headers,
    admind_webhook_answer_t *a, char *err, size_t errlen)
{
    int                     rc;
    size_t                  i, n;
    const char             *lines[ADMIND_WEBHOOK_HEADERS_MAX + 2];
    admind_fetch_t          f;
    admind_fetch_answer_t   ans;
    admind_webhook_url_t    u;

    memset(a, 0, sizeof(admind_webhook_answer_t));

    if (admind_webhook_url_check(allow, url, &u, err, errlen) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    /* ours, then the format's */
    lines[0] = "Content-Type: application/json";
    n = 1;

    for (i = 0; headers != NULL && headers[i] != NULL
                && n < ADMIND_WEBHOOK_HEADERS_MAX + 1; i++)
    {
        lines[n++] = headers[i];
    }

    lines[n] = NULL;

    memset(&f, 0, sizeof(f));
    f.url = u.url;
    f.body = body;
    f.headers = lines;
    f.connect_addr = u.addr;
    f.user_agent = "QuotaLane-Webhook/1";
    f.timeout_ms = ADMIND_WEBHOOK_TIMEOUT_MS;

    rc = admind_fetch(&f, &ans, err, errlen);

    /* the URL may carry the receiver's credential */
    ql_wipe(u.url, sizeof(u.url));

    if (rc != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    /* enough of the answer to say why a receiver refused */
    a->status = ans.status;
    a->len = ans.len < ADMIND_WEBHOOK_ANSWER_MAX ? ans.len
                                                 : ADMIND_WEBHOOK_ANSWER_MAX;
    memcpy(a->answer, ans.body, a->len);
    a->answer[a->len] = '\0';

    admind_fetch_free(&ans);

    return ADMIND_OK;
}
