/*
 * QuotaLane admind: an OAuth token endpoint (see admind_oauth_token.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "admind_oauth_token.h"


/* an answer larger than this is not a token answer */
#define ADMIND_OAUTH_ANSWER_MAX   65536

#define ADMIND_OAUTH_CONNECT_MS   5000
#define ADMIND_OAUTH_TIMEOUT_MS   15000


typedef struct {
    char    buf[ADMIND_OAUTH_ANSWER_MAX + 1];
    size_t  len;
    int     overflow;
} admind_oauth_answer_t;


int
admind_oauth_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
           ? ADMIND_OK : ADMIND_ERROR;
}


void
admind_oauth_shutdown(void)
{
    curl_global_cleanup();
}


static size_t
admind_oauth_write(char *p, size_t size, size_t n, void *data)
{
    admind_oauth_answer_t  *a = data;

    if (a->len + size * n > ADMIND_OAUTH_ANSWER_MAX) {
        a->overflow = 1;
        return 0;
    }

    memcpy(a->buf + a->len, p, size * n);
    a->len += size * n;

    return size * n;
}


static char *
admind_oauth_dup(json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0
           ? strdup(json_string_value(v)) : NULL;
}


/* the provider's answer: tokens, or which error it gave */
static int
admind_oauth_parse(long status, admind_oauth_answer_t *a,
    admind_oauth_tokens_t *out, char *err, size_t errlen)
{
    int            rc;
    json_t        *root, *v;
    const char    *what;
    json_error_t   error;

    root = json_loadb(a->buf, a->len, 0, &error);

    if (status >= 400 && status < 500) {
        v = json_object_get(root, "error");
        what = json_is_string(v) ? json_string_value(v)
               : json_is_string(json_object_get(v, "type"))
                 ? json_string_value(json_object_get(v, "type"))
                 : "refused";
        snprintf(err, errlen, "token endpoint answered %ld (%.64s)", status,
                 what);
        json_decref(root);
        return ADMIND_DECLINED;
    }

    if (status != 200 || !json_is_object(root)) {
        snprintf(err, errlen, "token endpoint answered %ld%s", status,
                 status == 200 ? " without a JSON object" : "");
        json_decref(root);
        return ADMIND_ERROR;
    }

    out->access_token = admind_oauth_dup(json_object_get(root,
                                                         "access_token"));
    out->refresh_token = admind_oauth_dup(json_object_get(root,
                                                          "refresh_token"));
    v = json_object_get(root, "expires_in");
    out->expires_in = json_is_integer(v) && json_integer_value(v) > 0
                      ? (long long) json_integer_value(v) : 0;

    /* who the tokens belong to, where the provider says (Claude does) */
    out->email = admind_oauth_dup(json_object_get(
                     json_object_get(root, "account"), "email_address"));

    rc = ADMIND_OK;

    if (out->access_token == NULL) {
        snprintf(err, errlen, "token endpoint answered no access_token");
        admind_oauth_tokens_free(out);
        rc = ADMIND_ERROR;
    }

    json_decref(root);

    return rc;
}


/* the request's string members as application/x-www-form-urlencoded */
static char *
admind_oauth_form(json_t *req)
{
    char        *out, *k, *v;
    size_t       len, n;
    json_t      *value;
    const char  *key;

    len = 1;
    json_object_foreach(req, key, value) {
        len += 3 * (strlen(key) + json_string_length(value)) + 2;
    }

    out = malloc(len);
    if (out == NULL) {
        return NULL;
    }

    n = 0;
    out[0] = '\0';

    json_object_foreach(req, key, value) {
        k = curl_easy_escape(NULL, key, 0);
        v = curl_easy_escape(NULL, json_string_value(value), 0);

        if (k == NULL || v == NULL) {
            curl_free(k);
            curl_free(v);
            OPENSSL_cleanse(out, n);
            free(out);
            return NULL;
        }

        n += (size_t) snprintf(out + n, len - n, "%s%s=%s", n ? "&" : "", k,
                               v);
        OPENSSL_cleanse(v, strlen(v));
        curl_free(k);
        curl_free(v);
    }

    return out;
}


/*
 * POSTs the request to token_url, as JSON or (Google) as a form, and
 * reads the tokens it answers.
 */
static int
admind_oauth_post(const char *token_url, json_t *req, int form,
    admind_oauth_tokens_t *out, char *err, size_t errlen)
{
    int                     rc;
    char                   *body;
    long                    status;
    CURL                   *curl;
    CURLcode                res;
    struct curl_slist      *headers;
    admind_oauth_answer_t  *a;

    memset(out, 0, sizeof(admind_oauth_tokens_t));

    body = req == NULL ? NULL
           : form ? admind_oauth_form(req) : json_dumps(req, JSON_COMPACT);

    a = calloc(1, sizeof(admind_oauth_answer_t));
    curl = curl_easy_init();
    headers = curl_slist_append(NULL, form
                    ? "Content-Type: application/x-www-form-urlencoded"
                    : "Content-Type: application/json");

    rc = ADMIND_ERROR;

    if (body == NULL || a == NULL || curl == NULL || headers == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }

    if (curl_easy_setopt(curl, CURLOPT_URL, token_url) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http")
           != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, admind_oauth_write)
           != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_WRITEDATA, a) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                            (long) ADMIND_OAUTH_CONNECT_MS)
           != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                            (long) ADMIND_OAUTH_TIMEOUT_MS)
           != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK)
    {
        snprintf(err, errlen, "cannot set up the token request");
        goto done;
    }

    res = curl_easy_perform(curl);

    if (res != CURLE_OK) {
        snprintf(err, errlen, "token endpoint: %s", a->overflow
                 ? "answer too large" : curl_easy_strerror(res));
        goto done;
    }

    status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);

    rc = admind_oauth_parse(status, a, out, err, errlen);

done:

    if (body != NULL) {
        OPENSSL_cleanse(body, strlen(body));
        free(body);
    }

    if (a != NULL) {
        OPENSSL_cleanse(a->buf, a->len);
        free(a);
    }

    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    return rc;
}


int
admind_oauth_refresh(const char *token_url, const char *client_id,
    const char *client_secret, const char *refresh_token,
    admind_oauth_tokens_t *out, char *err, size_t errlen)
{
    int      rc;
    json_t  *req;

    req = json_pack("{s:s,s:s,s:s}", "grant_type", "refresh_token",
                    "refresh_token", refresh_token, "client_id", client_id);

    /* Google's installed-app clients: a form with the client secret */
    if (req != NULL && client_secret != NULL) {
        json_object_set_new(req, "client_secret",
                            json_string(client_secret));
    }

    rc = admind_oauth_post(token_url, req, client_secret != NULL, out, err,
                           errlen);
    json_decref(req);

    return rc;
}


int
admind_oauth_exchange(const char *token_url, const char *client_id,
    const char *redirect_uri, const char *code, const char *state,
    const char *verifier, admind_oauth_tokens_t *out, char *err,
    size_t errlen)
{
    int      rc;
    json_t  *req;

    req = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
                    "grant_type", "authorization_code", "code", code,
                    "state", state, "client_id", client_id,
                    "redirect_uri", redirect_uri, "code_verifier", verifier);

    rc = admind_oauth_post(token_url, req, 0, out, err, errlen);
    json_decref(req);

    return rc;
}


static void
admind_oauth_wipe(char **s)
{
    if (*s != NULL) {
        OPENSSL_cleanse(*s, strlen(*s));
        free(*s);
        *s = NULL;
    }
}


void
admind_oauth_tokens_free(admind_oauth_tokens_t *t)
{
    admind_oauth_wipe(&t->access_token);
    admind_oauth_wipe(&t->refresh_token);
    admind_oauth_wipe(&t->email);
}
