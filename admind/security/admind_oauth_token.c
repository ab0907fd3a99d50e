/*
 * QuotaLane admind: an OAuth token endpoint (see admind_oauth_token.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "admind_fetch.h"
#include "admind_oauth_token.h"


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


static char *
admind_oauth_dup(json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0
           ? strdup(json_string_value(v)) : NULL;
}


/* a JWT's middle part: base64url JSON */
json_t *
admind_oauth_jwt_claims(const char *jwt)
{
    int             n;
    char           *b64;
    json_t         *claims;
    size_t          len, i;
    const char     *p, *end;
    unsigned char  *raw;

    p = jwt ? strchr(jwt, '.') : NULL;
    end = p ? strchr(p + 1, '.') : NULL;

    if (end == NULL || end == p + 1 || end - p - 1 > ADMIND_FETCH_ANSWER_MAX)
    {
        return NULL;
    }

    len = (size_t) (end - p - 1);
    b64 = calloc(1, len + 4);
    raw = malloc(len + 4);
    claims = NULL;

    if (b64 == NULL || raw == NULL) {
        goto done;
    }

    for (i = 0; i < len; i++) {
        b64[i] = p[1 + i] == '-' ? '+' : p[1 + i] == '_' ? '/' : p[1 + i];
    }

    while (i % 4) {
        b64[i++] = '=';
    }

    n = EVP_DecodeBlock(raw, (unsigned char *) b64, (int) i);

    if (n >= 0) {
        /* DecodeBlock counts the padding's zero bytes in */
        while (i > 0 && b64[--i] == '=' && n > 0) {
            n--;
        }

        claims = json_loadb((char *) raw, (size_t) n, 0, NULL);

        if (!json_is_object(claims)) {
            json_decref(claims);
            claims = NULL;
        }
    }

done:

    free(b64);
    free(raw);

    return claims;
}


/* who the tokens belong to, wherever this provider says it */
static void
admind_oauth_identity(json_t *root, admind_oauth_tokens_t *out)
{
    json_t  *id, *openai, *v;

    /* Claude: account and organization beside the tokens */
    out->email = admind_oauth_dup(json_object_get(
                     json_object_get(root, "account"), "email_address"));
    out->organization = admind_oauth_dup(json_object_get(
                            json_object_get(root, "organization"), "uuid"));

    /* WorkOS: the user, and the organization's id */
    if (out->email == NULL) {
        out->email = admind_oauth_dup(json_object_get(
                         json_object_get(root, "user"), "email"));
    }

    if (out->organization == NULL) {
        out->organization = admind_oauth_dup(json_object_get(
                                root, "organization_id"));
    }

    out->scope = admind_oauth_dup(json_object_get(root, "scope"));

    /* OpenAI and Google: an id_token, ChatGPT's claims in it */
    id = admind_oauth_jwt_claims(json_string_value(
                                     json_object_get(root, "id_token")));

    if (id != NULL) {
        if (out->email == NULL) {
            out->email = admind_oauth_dup(json_object_get(id, "email"));
        }

        openai = json_object_get(id, "https://api.openai.com/auth");
        out->account_id = admind_oauth_dup(json_object_get(
                                               openai, "chatgpt_account_id"));
        out->tier = admind_oauth_dup(json_object_get(openai,
                                                     "chatgpt_plan_type"));
        json_decref(id);
    }

    /* no expires_in (WorkOS): the access token's own exp */
    if (out->expires_in == 0) {
        id = admind_oauth_jwt_claims(out->access_token);
        v = json_object_get(id, "exp");

        if (json_is_integer(v) && json_integer_value(v) > time(NULL)) {
            out->expires_in = (long long) json_integer_value(v)
                              - (long long) time(NULL);
        }

        json_decref(id);
    }
}


/* the provider's answer: tokens, or which error it gave */
static int
admind_oauth_parse(const admind_fetch_answer_t *a,
    admind_oauth_tokens_t *out, char *err, size_t errlen)
{
    int            rc;
    json_t        *root, *v;
    const char    *what;
    long           status;
    json_error_t   error;

    status = a->status;
    root = json_loadb(a->body, a->len, 0, &error);

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

    rc = ADMIND_OK;

    if (out->access_token == NULL) {
        snprintf(err, errlen, "token endpoint answered no access_token");
        rc = ADMIND_ERROR;

    } else {
        admind_oauth_identity(root, out);
    }

    if (rc != ADMIND_OK) {
        admind_oauth_tokens_free(out);
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
 * POSTs the request to token_url, as JSON or as a form, and reads the
 * tokens it answers.
 */
static int
admind_oauth_post(const char *token_url, json_t *req, int form,
    admind_oauth_tokens_t *out, char *err, size_t errlen)
{
    int                     rc;
    char                   *body, why[ADMIND_ERRLEN];
    admind_fetch_t          f;
    admind_fetch_answer_t   a;
    const char             *headers[3];

    memset(out, 0, sizeof(admind_oauth_tokens_t));

    body = form ? admind_oauth_form(req) : json_dumps(req, JSON_COMPACT);
    if (body == NULL) {
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    headers[0] = form ? "Content-Type: application/x-www-form-urlencoded"
                      : "Content-Type: application/json";
    headers[1] = "Accept: application/json";
    headers[2] = NULL;

    memset(&f, 0, sizeof(f));
    f.url = token_url;
    f.body = body;
    f.headers = headers;

    rc = admind_fetch(&f, &a, why, sizeof(why));

    OPENSSL_cleanse(body, strlen(body));
    free(body);

    if (rc != ADMIND_OK) {
        snprintf(err, errlen, "token endpoint: %s", why);
        return ADMIND_ERROR;
    }

    rc = admind_oauth_parse(&a, out, err, errlen);
    admind_fetch_free(&a);

    return rc;
}


/* the provider's client, and its secret where it has one (Google's) */
static int
admind_oauth_grant(const admind_oauth_provider_t *p, json_t *req,
    admind_oauth_tokens_t *out, char *err, size_t errlen)
{
    int  rc;

    if (req == NULL
        || json_object_set_new(req, "client_id", json_string(p->client_id))
           != 0
        || (p->client_secret != NULL
            && json_object_set_new(req, "client_secret",
                                   json_string(p->client_secret))
               != 0))
    {
        json_decref(req);
        memset(out, 0, sizeof(admind_oauth_tokens_t));
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    rc = admind_oauth_post(p->token_url, req, p->form, out, err, errlen);
    json_decref(req);

    return rc;
}


int
admind_oauth_refresh(const admind_oauth_provider_t *p,
    const char *refresh_token, admind_oauth_tokens_t *out, char *err,
    size_t errlen)
{
    return admind_oauth_grant(p, json_pack("{s:s,s:s}",
                                           "grant_type", "refresh_token",
                                           "refresh_token", refresh_token),
                              out, err, errlen);
}


int
admind_oauth_exchange(const admind_oauth_provider_t *p, const char *code,
    const char *state, const char *verifier, admind_oauth_tokens_t *out,
    char *err, size_t errlen)
{
    json_t  *req;

    req = json_pack("{s:s,s:s,s:s,s:s}",
                    "grant_type", "authorization_code", "code", code,
                    "redirect_uri", p->redirect_uri,
                    "code_verifier", verifier);

    /* Claude's endpoint wants the state back; the others take none */
    if (req != NULL && !p->form) {
        json_object_set_new(req, "state", json_string(state));
    }

    return admind_oauth_grant(p, req, out, err, errlen);
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
    admind_oauth_wipe(&t->organization);
    admind_oauth_wipe(&t->account_id);
    admind_oauth_wipe(&t->tier);
    admind_oauth_wipe(&t->scope);
}
