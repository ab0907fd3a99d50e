/*
 * QuotaLane admind: one webhook POST (see admind_webhook_send.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "admind_webhook_url.h"
#include "admind_webhook_send.h"


#define ADMIND_WEBHOOK_CONNECT_MS  5000
#define ADMIND_WEBHOOK_TIMEOUT_MS  10000


static size_t
admind_webhook_write(char *p, size_t size, size_t n, void *data)
{
    size_t                    len;
    admind_webhook_answer_t  *a = data;

    len = size * n;

    if (a->len < ADMIND_WEBHOOK_ANSWER_MAX) {
        n = ADMIND_WEBHOOK_ANSWER_MAX - a->len;
        n = len < n ? len : n;
        memcpy(a->answer + a->len, p, n);
        a->len += n;
        a->answer[a->len] = '\0';
    }

    return len;
}


static struct curl_slist *
admind_webhook_append(struct curl_slist *list, const char *const *lines)
{
    struct curl_slist  *next;

    for ( /* void */ ; lines != NULL && *lines != NULL; lines++) {
        next = curl_slist_append(list, *lines);
        if (next == NULL) {
            curl_slist_free_all(list);
            return NULL;
        }

        list = next;
    }

    return list;
}


/* ours, then the format's; NULL when out of memory */
static struct curl_slist *
admind_webhook_headers(const char *const *headers)
{
    struct curl_slist  *list;

    static const char *const  ours[] = {
        "Content-Type: application/json",
        /* libcurl would wait a second for "100 Continue" on larger bodies */
        "Expect:",
        NULL
    };

    list = admind_webhook_append(NULL, ours);

    return list != NULL ? admind_webhook_append(list, headers) : NULL;
}


int
admind_webhook_post(const admind_outbound_allow_t *allow, const char *url,
    const char *body, const char *const *headers,
    admind_webhook_answer_t *a, char *err, size_t errlen)
{
    int                    rc;
    char                   connect_to[ADMIND_BASEURL_ADDR + 4];
    CURL                  *curl;
    CURLcode               res;
    struct curl_slist     *list, *pin;
    admind_webhook_url_t   u;

    memset(a, 0, sizeof(admind_webhook_answer_t));

    if (admind_webhook_url_check(allow, url, &u, err, errlen) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    /* any host and port of this request goes to the checked address */
    snprintf(connect_to, sizeof(connect_to), "::%s", u.addr);

    rc = ADMIND_ERROR;
    curl = curl_easy_init();
    pin = curl_slist_append(NULL, connect_to);
    list = admind_webhook_headers(headers);

    if (curl == NULL || pin == NULL || list == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }

    if (curl_easy_setopt(curl, CURLOPT_URL, u.url) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_CONNECT_TO, pin) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_PROXY, "") != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https")
           != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_USERAGENT, "QuotaLane-Webhook/1")
           != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION,
                            admind_webhook_write)
           != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_WRITEDATA, a) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                            (long) ADMIND_WEBHOOK_CONNECT_MS)
           != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                            (long) ADMIND_WEBHOOK_TIMEOUT_MS)
           != CURLE_OK)
    {
        snprintf(err, errlen, "cannot set up the webhook request");
        goto done;
    }

    res = curl_easy_perform(curl);

    if (res != CURLE_OK) {
        snprintf(err, errlen, "%s", curl_easy_strerror(res));
        goto done;
    }

    if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status)
        != CURLE_OK)
    {
        snprintf(err, errlen, "no HTTP status");
        goto done;
    }

    rc = ADMIND_OK;

done:

    /* the URL may carry the receiver's credential */
    ql_wipe(u.url, sizeof(u.url));
    curl_slist_free_all(list);
    curl_slist_free_all(pin);
    curl_easy_cleanup(curl);

    return rc;
}
