/*
 * QuotaLane admind: one outbound HTTPS request (see admind_fetch.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "admind_fetch.h"


#define ADMIND_FETCH_CONNECT_MS  5000
#define ADMIND_FETCH_TIMEOUT_MS  15000


typedef struct {
    char      *buf;
    size_t     len;
    size_t     max;
    unsigned  *overflow;
} admind_fetch_sink_t;


/* keeps what fits; the rest is read and dropped, and said so */
static size_t
admind_fetch_write(char *p, size_t size, size_t n, void *data)
{
    size_t                len, room;
    admind_fetch_sink_t  *s = data;

    len = size * n;
    room = s->max - s->len;

    if (len > room) {
        *s->overflow = 1;
    }

    memcpy(s->buf + s->len, p, len < room ? len : room);
    s->len += len < room ? len : room;
    s->buf[s->len] = '\0';

    return len;
}


/* the headers of the last answer only (a proxy's CONNECT answer too) */
static size_t
admind_fetch_header_line(char *p, size_t size, size_t n, void *data)
{
    admind_fetch_sink_t  *s = data;

    if (size * n > 5 && memcmp(p, "HTTP/", 5) == 0) {
        s->len = 0;
        s->buf[0] = '\0';
    }

    return admind_fetch_write(p, size, n, data);
}


static int
admind_fetch_setup(CURL *curl, const admind_fetch_t *req,
    struct curl_slist *headers, struct curl_slist *connect_to,
    admind_fetch_sink_t *body, admind_fetch_sink_t *head)
{
    long  timeout;

    timeout = req->timeout_ms ? req->timeout_ms : ADMIND_FETCH_TIMEOUT_MS;

    return curl_easy_setopt(curl, CURLOPT_URL, req->url) == CURLE_OK
        && curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http")
           == CURLE_OK
        && curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) == CURLE_OK
        && curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, admind_fetch_write)
           == CURLE_OK
        && curl_easy_setopt(curl, CURLOPT_WRITEDATA, body) == CURLE_OK
        && curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION,
                            admind_fetch_header_line)
           == CURLE_OK
        && curl_easy_setopt(curl, CURLOPT_HEADERDATA, head) == CURLE_OK
        && curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK
        && curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                            (long) ADMIND_FETCH_CONNECT_MS)
           == CURLE_OK
        && curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout) == CURLE_OK
        && curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK
        && (req->body == NULL
            || curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body)
               == CURLE_OK)
        && (req->method == NULL
            || curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method)
               == CURLE_OK)
        && (connect_to == NULL
            || curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to)
               == CURLE_OK)
        /* the account's proxy, never one from admind's environment */
        && curl_easy_setopt(curl, CURLOPT_PROXY,
                            req->proxy ? req->proxy : "") == CURLE_OK
        && curl_easy_setopt(curl, CURLOPT_USERAGENT,
                            req->user_agent ? req->user_agent
                                            : "QuotaLane/1") == CURLE_OK
        && (req->proxy_auth == NULL
            || curl_easy_setopt(curl, CURLOPT_PROXYUSERPWD, req->proxy_auth)
               == CURLE_OK);
}


int
admind_fetch(const admind_fetch_t *req, admind_fetch_answer_t *ans,
    char *err, size_t errlen)
{
    int                   rc;
    char                  to[128];
    CURL                 *curl;
    CURLcode              res;
    size_t                i;
    struct curl_slist    *headers, *connect_to, *h;
    admind_fetch_sink_t   body, head;

    memset(ans, 0, sizeof(admind_fetch_answer_t));

    headers = NULL;
    connect_to = NULL;
    rc = ADMIND_ERROR;

    ans->body = malloc(ADMIND_FETCH_ANSWER_MAX + 1);
    ans->headers = malloc(ADMIND_FETCH_HEADERS_MAX + 1);
    curl = curl_easy_init();

    if (ans->body == NULL || ans->headers == NULL || curl == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }

    ans->body[0] = '\0';
    ans->headers[0] = '\0';

    body = (admind_fetch_sink_t) { ans->body, 0, ADMIND_FETCH_ANSWER_MAX,
                                   &ans->overflow };
    head = (admind_fetch_sink_t) { ans->headers, 0,
                                   ADMIND_FETCH_HEADERS_MAX, &ans->overflow };

    /* libcurl would wait a second for "100 Continue" on larger bodies */
    headers = curl_slist_append(NULL, "Expect:");
    if (headers == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }

    for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
        h = curl_slist_append(headers, req->headers[i]);
        if (h == NULL) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }

        headers = h;
    }

    /* any host, any port: to the address the policy checked */
    if (req->connect_addr != NULL && req->connect_addr[0]) {
        snprintf(to, sizeof(to), "::%s", req->connect_addr);
        connect_to = curl_slist_append(NULL, to);
        if (connect_to == NULL) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
    }

    if (!admind_fetch_setup(curl, req, headers, connect_to, &body, &head)) {
        snprintf(err, errlen, "cannot set up the request");
        goto done;
    }

    res = curl_easy_perform(curl);

    ans->len = body.len;
    ans->headers_len = head.len;

    if (res != CURLE_OK) {
        snprintf(err, errlen, "%s", curl_easy_strerror(res));
        goto done;
    }

    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &ans->status);
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &ans->seconds);

    rc = ADMIND_OK;

done:

    curl_slist_free_all(headers);
    curl_slist_free_all(connect_to);
    curl_easy_cleanup(curl);

    if (rc != ADMIND_OK) {
        admind_fetch_free(ans);
    }

    return rc;
}


int
admind_fetch_header(const admind_fetch_answer_t *ans, const char *name,
    char *value, size_t size)
{
    size_t       n, len;
    const char  *p, *end, *v;

    n = strlen(name);

    for (p = ans->headers; p != NULL && *p; p = end ? end + 1 : NULL) {
        end = strchr(p, '\n');

        if (strncasecmp(p, name, n) != 0 || p[n] != ':') {
            continue;
        }

        for (v = p + n + 1; *v == ' ' || *v == '\t'; v++) { /* void */ }

        len = end ? (size_t) (end - v) : strlen(v);

        while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == ' ')) {
            len--;
        }

        if (len >= size) {
            return ADMIND_DECLINED;
        }

        memcpy(value, v, len);
        value[len] = '\0';

        return ADMIND_OK;
    }

    return ADMIND_DECLINED;
}


void
admind_fetch_free(admind_fetch_answer_t *ans)
{
    if (ans->body != NULL) {
        OPENSSL_cleanse(ans->body, ans->len);
        free(ans->body);
    }

    free(ans->headers);
    memset(ans, 0, sizeof(admind_fetch_answer_t));
}
