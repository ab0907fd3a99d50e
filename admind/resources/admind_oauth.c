/*
 * QuotaLane admind: /api/v1/oauth/{provider}/start and /exchange, the
 * OAuth authorization code flow with PKCE (S256) that onboards a
 * subscription account (proto/quotalane/v1/oauth.proto), for the
 * providers of admind_oauth_provider.h.
 *
 * start keeps the verifier and state server-side (oauth_sessions, for
 * oauth_session_seconds) and answers the authorization URL; exchange
 * takes the code the user pasted, uses the session up, gets the tokens
 * from the provider, learns what else the account needs (Codex: the
 * ChatGPT account from the id_token; Gemini: the Code Assist project)
 * and creates the account through POST /api/v1/accounts (or, given
 * accountId, renews that one through PATCH), so the account is
 * validated, sealed, published and audited like any other.  Droid has
 * no code flow: its exchange takes a WorkOS refresh token.  Tokens never
 * appear in an answer or a log.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "admind_config.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_time.h"
#include "admind_resource.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_fields.h"
#include "admind_oauth_provider.h"
#include "admind_oauth_token.h"
#include "admind_code_assist.h"
#include "admind_outbound.h"
#include "admind_account_types.h"
#include "admind_accounts.h"


static int admind_oauth_start(admind_req_t *r);
static int admind_oauth_exchange_code(admind_req_t *r);


const admind_route_t  admind_oauth_routes[] = {
    { "POST", "/api/v1/oauth/{provider}/start", admind_oauth_start, 0,
      ADMIND_ROLE_ADMIN },
    { "POST", "/api/v1/oauth/{provider}/exchange",
      admind_oauth_exchange_code, 0, ADMIND_ROLE_ADMIN },
    { NULL, NULL, NULL, 0, 0 }
};


/* what the exchanges take beside the proof of the grant */
#define ADMIND_OAUTH_ACCOUNT_FIELDS                                          \
    ADMIND_F_STRING("name", NULL, ADMIND_FIELD_LINE, 1, 128),                \
    ADMIND_F_ID("accountId", NULL, 0),                                       \
    ADMIND_F_INT("priority", NULL, 0, 0, 1000),                              \
    ADMIND_F_ID("groupId", NULL, ADMIND_FIELD_NULLABLE),                     \
    ADMIND_F_STRING("baseUrl", NULL, ADMIND_FIELD_NULLABLE, 1, 512),         \
    ADMIND_F_STRING("projectId", NULL, ADMIND_FIELD_LINE, 1, 128),           \
    ADMIND_F_END


static const admind_field_t  admind_oauth_exchange_fields[] = {
    ADMIND_F_STRING("sessionId", NULL,
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE, 32, 32),
    ADMIND_F_STRING("code", NULL, ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE,
      1, 4096),
    ADMIND_OAUTH_ACCOUNT_FIELDS
};


/* Droid (WorkOS): a refresh token from the user's Factory login */
static const admind_field_t  admind_oauth_refresh_fields[] = {
    ADMIND_F_STRING("refreshToken", NULL,
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE, 1, 4096),
    ADMIND_OAUTH_ACCOUNT_FIELDS
};


/* the path's provider; 404 for one admind does not know */
static int
admind_oauth_route_provider(admind_req_t *r, admind_oauth_provider_t *p)
{
    const char  *name;

    name = admind_req_param(r, "provider");

    if (admind_oauth_provider(r->ctx->conf, name, p) != ADMIND_OK) {
        admind_resp_error(r, 404, "not_found", "no OAuth onboarding for "
                          "provider \"%s\" (claude, codex, gemini, droid)",
                          name ? name : "");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* n random bytes as base64url without padding (out: 4 * n / 3 + 4) */
static int
admind_oauth_random(size_t n, char *out)
{
    unsigned char  raw[64];

    if (n > sizeof(raw) || RAND_bytes(raw, (int) n) != 1) {
        return ADMIND_ERROR;
    }

    EVP_EncodeBlock((unsigned char *) out, raw, (int) n);
    OPENSSL_cleanse(raw, sizeof(raw));

    return ADMIND_OK;
}


/* a session id: 16 random bytes in hex */
static int
admind_oauth_id(char out[33])
{
    size_t         i;
    unsigned char  raw[16];

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return ADMIND_ERROR;
    }

    for (i = 0; i < sizeof(raw); i++) {
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    }

    return ADMIND_OK;
}


/* base64 to base64url, padding dropped (RFC 7636 wants both) */
static void
admind_oauth_url64(char *s)
{
    for ( /* void */ ; *s; s++) {
        if (*s == '+') {
            *s = '-';

        } else if (*s == '/') {
            *s = '_';

        } else if (*s == '=') {
            *s = '\0';
            return;
        }
    }
}


/* S256: base64url(SHA-256(verifier)) */
static int
admind_oauth_challenge(const char *verifier, char out[48])
{
    unsigned int   len;
    unsigned char  digest[EVP_MAX_MD_SIZE];

    if (EVP_Digest(verifier, strlen(verifier), digest, &len, EVP_sha256(),
                   NULL)
        != 1)
    {
        return ADMIND_ERROR;
    }

    EVP_EncodeBlock((unsigned char *) out, digest, (int) len);
    admind_oauth_url64(out);

    return ADMIND_OK;
}


/* the provider's authorization URL; malloc()ed */
static char *
admind_oauth_authorize_url(const admind_oauth_provider_t *p,
    const char *state, const char *challenge)
{
    char    *url, *client, *redirect, *scope;
    size_t   len;

    client = curl_easy_escape(NULL, p->client_id, 0);
    redirect = curl_easy_escape(NULL, p->redirect_uri, 0);
    scope = curl_easy_escape(NULL, p->scopes, 0);
    url = NULL;

    if (client != NULL && redirect != NULL && scope != NULL) {
        len = strlen(p->authorize_url) + strlen(client) + strlen(redirect)
              + strlen(scope) + strlen(state) + strlen(challenge)
              + strlen(p->authorize_extra) + 160;
        url = malloc(len);

        if (url != NULL) {
            snprintf(url, len, "%s?client_id=%s&response_type=code"
                     "&redirect_uri=%s&scope=%s&code_challenge=%s"
                     "&code_challenge_method=S256&state=%s&%s",
                     p->authorize_url, client, redirect, scope, challenge,
                     state, p->authorize_extra);
        }
    }

    curl_free(client);
    curl_free(redirect);
    curl_free(scope);

    return url;
}


static int
admind_oauth_start(admind_req_t *r)
{
    char                 id[48], state[48], verifier[48], challenge[48];
    char                 err[ADMIND_ERRLEN], expires[ADMIND_TIME_LEN + 1];
    char                *url;
    MYSQL                   *mysql;
    json_t                  *body;
    unsigned                 seconds;
    admind_db_param_t        params[6];
    admind_oauth_provider_t  p;

    if (admind_oauth_route_provider(r, &p) != ADMIND_OK) {
        return r->status;
    }

    if (p.authorize_url == NULL) {
        return admind_resp_error(r, 400, "invalid_argument", "provider %s "
                                 "has no authorization code flow: POST its "
                                 "refresh token to /api/v1/oauth/%s/exchange",
                                 p.name, p.name);
    }

    seconds = r->ctx->conf->oauth_session_seconds;

    if (admind_oauth_id(id) != ADMIND_OK
        || admind_oauth_random(32, state) != ADMIND_OK
        || admind_oauth_random(32, verifier) != ADMIND_OK)
    {
        return admind_resp_error(r, 500, "internal_error", "no randomness");
    }

    /* RFC 7636: the verifier and its challenge in base64url */
    admind_oauth_url64(state);
    admind_oauth_url64(verifier);

    if (admind_oauth_challenge(verifier, challenge) != ADMIND_OK) {
        return admind_resp_error(r, 500, "internal_error", "no SHA-256");
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return r->status;
    }

    /* sessions nobody came back for go as new ones start */
    params[0] = admind_db_str(id);
    params[1] = admind_db_str(p.name);
    params[2] = admind_db_str(state);
    params[3] = admind_db_str(verifier);
    params[4] = admind_db_int((long long) r->auth.id);
    params[5] = admind_db_int((long long) seconds);

    if (admind_db_exec(mysql, "DELETE FROM oauth_sessions "
                       "WHERE expires_at < UTC_TIMESTAMP(3)", NULL, 0, NULL,
                       err, sizeof(err))
        != ADMIND_OK
        || admind_db_exec(mysql, "INSERT INTO oauth_sessions "
                          "(id, provider, state, code_verifier, created_by, "
                          "expires_at) VALUES (?, ?, ?, ?, ?, "
                          "UTC_TIMESTAMP(3) + INTERVAL ? SECOND)",
                          params, 6, NULL, err, sizeof(err))
           != ADMIND_OK)
    {
        OPENSSL_cleanse(verifier, sizeof(verifier));
        return admind_resp_error(r, 503, "unavailable", "the database is "
                                 "unavailable, try again later");
    }

    OPENSSL_cleanse(verifier, sizeof(verifier));

    url = admind_oauth_authorize_url(&p, state, challenge);
    if (url == NULL) {
        return admind_resp_error(r, 500, "internal_error", "out of memory");
    }

    admind_time_format(time(NULL) + seconds, expires, sizeof(expires));

    body = json_pack("{s:s,s:s,s:s,s:s}", "sessionId", id,
                     "provider", p.name, "authorizeUrl", url,
                     "expiresAt", expires);
    free(url);

    if (body == NULL) {
        return admind_resp_error(r, 500, "internal_error", "out of memory");
    }

    return admind_resp_json(r, 201, body);
}


/*
 * The code and the state the user pasted: "code#state" as Claude shows
 * it, a callback URL (…?code=…&state=…), or the bare code.  malloc()ed.
 */
static int
admind_oauth_split(const char *given, char **code, char **state)
{
    char        *c, *s;
    const char  *q, *v, *end;

    *code = NULL;
    *state = NULL;

    q = strchr(given, '?');

    if (q != NULL) {
        for (v = q + 1; v != NULL && *v; v = end ? end + 1 : NULL) {
            end = strchr(v, '&');

            /* an empty value is no value (length 0 means "to the NUL") */
            if (strncmp(v, "code=", 5) == 0 && v[5] != '&' && v[5]) {
                curl_free(*code);
                *code = curl_easy_unescape(NULL, v + 5,
                                           end ? (int) (end - v - 5) : 0,
                                           NULL);

            } else if (strncmp(v, "state=", 6) == 0 && v[6] != '&' && v[6])
            {
                curl_free(*state);
                *state = curl_easy_unescape(NULL, v + 6,
                                            end ? (int) (end - v - 6) : 0,
                                            NULL);
            }
        }

        /* curl's copies, moved to malloc() memory for one way to free */
        c = *code ? strdup(*code) : NULL;
        s = *state ? strdup(*state) : NULL;
        curl_free(*code);
        curl_free(*state);
        *code = c;
        *state = s;

        return (*code != NULL && **code) ? ADMIND_OK : ADMIND_ERROR;
    }

    *code = strdup(given);
    if (*code == NULL) {
        return ADMIND_ERROR;
    }

    c = strchr(*code, '#');
    if (c != NULL) {
        *c = '\0';
        *state = strdup(c + 1);
    }

    return **code ? ADMIND_OK : ADMIND_ERROR;
}


/* the session's state and verifier, used up; ADMIND_DECLINED: none */
static int
admind_oauth_take_session(MYSQL *mysql, const char *id,
    const char *provider, char **state, char **verifier, char *err,
    size_t errlen)
{
    json_t             *rows, *row;
    admind_db_param_t   params[2];

    params[0] = admind_db_str(id);
    params[1] = admind_db_str(provider);

    if (admind_db_select(mysql, "SELECT state, code_verifier "
                         "FROM oauth_sessions WHERE id = ? AND provider = ? "
                         "AND expires_at > UTC_TIMESTAMP(3)", params, 2,
                         &rows, err, errlen)
        != ADMIND_OK
        || admind_db_exec(mysql, "DELETE FROM oauth_sessions WHERE id = ?",
                          params, 1, NULL, err, errlen)
           != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    row = json_array_get(rows, 0);

    if (row == NULL) {
        json_decref(rows);
        return ADMIND_DECLINED;
    }

    *state = strdup(json_string_value(json_object_get(row, "state")));
    *verifier = strdup(json_string_value(json_object_get(row,
                                                         "code_verifier")));
    json_decref(rows);

    return (*state && *verifier) ? ADMIND_OK : ADMIND_ERROR;
}


/* the Code Assist project of a Gemini account, asked where it will be */
static int
admind_oauth_gemini_project(admind_req_t *r, const admind_account_type_t *at,
    json_t *given, admind_oauth_tokens_t *t, admind_code_assist_t *ca)
{
    char              addr[ADMIND_BASEURL_ADDR], err[ADMIND_ERRLEN];
    const char       *base;
    admind_baseurl_t  u;

    base = admind_fields_str(given, "baseUrl", at->ql->base_url);

    if (admind_outbound_url(&r->ctx->conf->outbound, "baseUrl", base, NULL,
                            &u, addr, sizeof(addr), err, sizeof(err))
        != ADMIND_OK)
    {
        return admind_resp_error(r, 400, "invalid_argument", "%s", err);
    }

    switch (admind_code_assist_project(u.normalized, addr, t->access_token,
                                       admind_fields_str(given, "projectId",
                                                         NULL),
                                       ca, err, sizeof(err)))
    {
    case ADMIND_OK:
        return ADMIND_OK;

    case ADMIND_DECLINED:
        return admind_resp_error(r, 400, "invalid_argument", "%s", err);

    default:
        return admind_resp_error(r, 503, "unavailable", "%s", err);
    }
}


/* who the account is, as the provider said: shown as oauthIdentity */
static json_t *
admind_oauth_identity(admind_oauth_tokens_t *t, const char *tier)
{
    json_t  *id;

    id = json_object();
    if (id == NULL) {
        return NULL;
    }

    if (t->email != NULL) {
        json_object_set_new(id, "email", json_string(t->email));
    }

    if (t->organization != NULL) {
        json_object_set_new(id, "organization",
                            json_string(t->organization));
    }

    if (t->account_id != NULL) {
        json_object_set_new(id, "accountId", json_string(t->account_id));
    }

    if (tier != NULL && tier[0] != '\0') {
        json_object_set_new(id, "tier", json_string(tier));
    }

    if (t->scope != NULL) {
        json_object_set_new(id, "scope", json_string(t->scope));
    }

    return id;
}


/*
 * The account's create (or, with accountId, update) body: the tokens,
 * their expiry, who they belong to and what the type needs beside them.
 * NULL with the answer set.
 */
static json_t *
admind_oauth_account_body(admind_req_t *r, const admind_oauth_provider_t *p,
    const admind_account_type_t *at, json_t *given,
    admind_oauth_tokens_t *t)
{
    char                   expires[ADMIND_TIME_LEN + 1], description[320];
    json_t                *body, *v;
    const char            *name, *tier;
    admind_code_assist_t   ca;

    tier = t->tier;
    memset(&ca, 0, sizeof(ca));

    if (strcmp(p->type, "codex") == 0 && t->account_id == NULL) {
        admind_resp_error(r, 400, "invalid_argument", "the provider's "
                          "id_token names no ChatGPT account");
        return NULL;
    }

    if (strcmp(p->type, "gemini-oauth") == 0) {
        if (admind_oauth_gemini_project(r, at, given, t, &ca) != ADMIND_OK) {
            return NULL;
        }

        tier = ca.tier;
    }

    body = json_object();
    if (body == NULL
        || json_object_set_new(body, at->credential,
                               json_string(t->access_token))
           != 0)
    {
        goto nomem;
    }

    if (t->refresh_token != NULL) {
        json_object_set_new(body, "refreshToken",
                            json_string(t->refresh_token));
    }

    if (t->expires_in > 0) {
        admind_time_format(time(NULL) + t->expires_in, expires,
                           sizeof(expires));
        json_object_set_new(body, "accessTokenExpiresAt",
                            json_string(expires));
    }

    if (t->account_id != NULL && strcmp(p->type, "codex") == 0) {
        json_object_set_new(body, "chatgptAccountId",
                            json_string(t->account_id));
    }

    if (ca.project[0] != '\0') {
        json_object_set_new(body, "projectId", json_string(ca.project));
    }

    v = admind_oauth_identity(t, tier);
    if (v == NULL || json_object_set_new(body, "oauthIdentity", v) != 0) {
        goto nomem;
    }

    if (json_object_get(given, "accountId") != NULL) {
        /* renewed by the user: out of error, back in rotation */
        json_object_set_new(body, "status", json_string("active"));

    } else {
        json_object_set_new(body, "type", json_string(p->type));

        if (t->email != NULL) {
            snprintf(description, sizeof(description), "OAuth: %.256s",
                     t->email);
            json_object_set_new(body, "description",
                                json_string(description));
        }
    }

    /* what the account takes beside the tokens, checked by accounts.c */
    json_object_foreach(given, name, v) {
        if (strcmp(name, "name") == 0 || strcmp(name, "priority") == 0
            || strcmp(name, "groupId") == 0 || strcmp(name, "baseUrl") == 0)
        {
            json_object_set(body, name, v);
        }
    }

    return body;

nomem:

    json_decref(body);
    admind_resp_error(r, 500, "internal_error", "out of memory");

    return NULL;
}


/* the account, of the provider's type, that accountId names */
static int
admind_oauth_renewed(admind_req_t *r, const admind_oauth_provider_t *p,
    json_t *given, char id[24])
{
    char                err[ADMIND_ERRLEN];
    MYSQL              *mysql;
    json_t             *rows;
    const char         *type;
    json_int_t          n;
    admind_db_param_t   params[1];

    n = admind_fields_int(given, "accountId", 0);
    snprintf(id, 24, "%lld", (long long) n);

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return ADMIND_ERROR;
    }

    params[0] = admind_db_int((long long) n);

    if (admind_db_select(mysql, "SELECT type FROM accounts WHERE id = ?",
                         params, 1, &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_resp_error(r, 503, "unavailable", "the database is "
                          "unavailable, try again later");
        return ADMIND_ERROR;
    }

    type = json_string_value(json_object_get(json_array_get(rows, 0),
                                             "type"));

    if (type == NULL || strcmp(type, p->type) != 0) {
        admind_resp_error(r, type ? 400 : 404,
                          type ? "invalid_argument" : "not_found",
                          type ? "account %s is no %s account"
                               : "account %s not found", id, p->type);
        json_decref(rows);
        return ADMIND_ERROR;
    }

    json_decref(rows);

    return ADMIND_OK;
}


/*
 * The account created, or renewed, with the tokens: through the accounts
 * resource itself, its body in place of the request's, wiped after.
 */
static int
admind_oauth_account(admind_req_t *r, const admind_oauth_provider_t *p,
    json_t *given, admind_oauth_tokens_t *t)
{
    int                     rc;
    char                   *text, id[24];
    json_t                 *body;
    admind_account_type_t   at;

    if (admind_account_type(p->type, &at) != ADMIND_OK) {
        return admind_resp_error(r, 500, "internal_error", "no account "
                                 "type %s", p->type);
    }

    if (json_object_get(given, "accountId") != NULL) {
        if (admind_oauth_renewed(r, p, given, id) != ADMIND_OK) {
            return r->status;
        }

        if (r->match.nparams == ADMIND_ROUTE_MAX_PARAMS) {
            return admind_resp_error(r, 500, "internal_error", "no room");
        }

        r->match.params[r->match.nparams].name = "id";
        r->match.params[r->match.nparams].value = id;
        r->match.nparams++;

    } else if (json_object_get(given, "name") == NULL) {
        return admind_resp_error(r, 400, "invalid_argument", "field "
                                 "\"name\" is required (or \"accountId\" "
                                 "to renew an account)");
    }

    body = admind_oauth_account_body(r, p, &at, given, t);
    if (body == NULL) {
        return r->status;
    }

    text = json_dumps(body, JSON_COMPACT);
    json_decref(body);

    if (text == NULL) {
        return admind_resp_error(r, 500, "internal_error", "out of memory");
    }

    OPENSSL_cleanse(r->body, r->body_len);
    free(r->body);
    r->body = text;
    r->body_len = strlen(text);
    r->body_cap = r->body_len + 1;

    rc = json_object_get(given, "accountId") != NULL
         ? admind_accounts_update(r) : admind_accounts_create(r);

    OPENSSL_cleanse(r->body, r->body_len);

    return rc;
}


/* the grant's answer: tokens, an account of them, or what went wrong */
static int
admind_oauth_granted(admind_req_t *r, const admind_oauth_provider_t *p,
    json_t *given, int rc, admind_oauth_tokens_t *t, const char *err)
{
    switch (rc) {
    case ADMIND_OK:
        return admind_oauth_account(r, p, given, t);

    case ADMIND_DECLINED:
        return admind_resp_error(r, 400, "invalid_argument", "the provider "
                                 "refused the grant: %s", err);

    default:
        return admind_resp_error(r, 503, "unavailable", "%s", err);
    }
}


/* Droid: the user's WorkOS refresh token, redeemed (it rotates) */
static int
admind_oauth_exchange_refresh(admind_req_t *r,
    const admind_oauth_provider_t *p)
{
    int                     rc;
    char                    err[ADMIND_ERRLEN];
    json_t                 *body;
    admind_oauth_tokens_t   t;

    body = admind_req_json(r);
    if (body == NULL
        || admind_fields_check(r, admind_oauth_refresh_fields, body,
                               ADMIND_FIELDS_CREATE)
           != ADMIND_OK)
    {
        json_decref(body);
        return r->status;
    }

    rc = admind_oauth_refresh(p, admind_fields_str(body, "refreshToken", ""),
                              &t, err, sizeof(err));
    rc = admind_oauth_granted(r, p, body, rc, &t, err);

    admind_oauth_tokens_free(&t);
    admind_fields_wipe(body, "refreshToken");
    json_decref(body);

    return rc;
}


static int
admind_oauth_exchange_code(admind_req_t *r)
{
    int                      rc;
    char                     err[ADMIND_ERRLEN];
    char                    *code, *state, *saved, *verifier;
    MYSQL                   *mysql;
    json_t                  *body;
    admind_oauth_tokens_t    t;
    admind_oauth_provider_t  p;

    if (admind_oauth_route_provider(r, &p) != ADMIND_OK) {
        return r->status;
    }

    if (p.authorize_url == NULL) {
        return admind_oauth_exchange_refresh(r, &p);
    }

    body = admind_req_json(r);
    if (body == NULL
        || admind_fields_check(r, admind_oauth_exchange_fields, body,
                               ADMIND_FIELDS_CREATE)
           != ADMIND_OK)
    {
        json_decref(body);
        return r->status;
    }

    code = NULL;
    state = NULL;
    saved = NULL;
    verifier = NULL;
    memset(&t, 0, sizeof(t));

    if (admind_oauth_split(admind_fields_str(body, "code", ""), &code,
                           &state)
        != ADMIND_OK)
    {
        rc = admind_resp_error(r, 400, "invalid_argument", "field \"code\" "
                               "holds no code");
        goto done;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        rc = r->status;
        goto done;
    }

    switch (admind_oauth_take_session(mysql,
                                      admind_fields_str(body, "sessionId",
                                                        ""),
                                      p.name, &saved, &verifier, err,
                                      sizeof(err)))
    {
    case ADMIND_OK:
        break;

    case ADMIND_DECLINED:
        rc = admind_resp_error(r, 400, "invalid_argument", "field "
                               "\"sessionId\": no such OAuth session (it "
                               "expired or was used)");
        goto done;

    default:
        rc = admind_resp_error(r, 503, "unavailable", "the database is "
                               "unavailable, try again later");
        goto done;
    }

    if (state != NULL
        && (strlen(state) != strlen(saved)
            || CRYPTO_memcmp(state, saved, strlen(saved)) != 0))
    {
        rc = admind_resp_error(r, 400, "invalid_argument", "field \"code\": "
                               "its state is not this session's");
        goto done;
    }

    rc = admind_oauth_exchange(&p, code, saved, verifier, &t, err,
                               sizeof(err));
    rc = admind_oauth_granted(r, &p, body, rc, &t, err);

done:

    admind_oauth_tokens_free(&t);

    if (code != NULL) {
        OPENSSL_cleanse(code, strlen(code));
    }

    if (verifier != NULL) {
        OPENSSL_cleanse(verifier, strlen(verifier));
    }

    free(code);
    free(state);
    free(saved);
    free(verifier);
    admind_fields_wipe(body, "code");
    json_decref(body);

    return rc;
}
