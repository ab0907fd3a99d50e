/*
 * QuotaLane admind: POST /api/v1/accounts/{id}/test, one tiny real
 * request to the account's vendor with its credential, through its
 * proxy when it has one: the status, the latency and the rate limit
 * headers the vendor sent (Claude's unified 5-hour and 7-day windows
 * among them).  The request is each type's cheapest: one output token.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "admind_config.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_resource.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_fields.h"
#include "admind_cred.h"
#include "admind_fetch.h"
#include "admind_outbound.h"
#include "admind_baseurl.h"
#include "ql_account_type.h"
#include "ql_bedrock_request.h"
#include "ql_sigv4.h"


static int admind_account_test(admind_req_t *r);


const admind_route_t  admind_account_test_routes[] = {
    { "POST", "/api/v1/accounts/{id}/test", admind_account_test, 0,
      ADMIND_ROLE_ADMIN },
    { NULL, NULL, NULL, 0, 0 }
};


static const admind_field_t  admind_account_test_fields[] = {
    ADMIND_F_STRING("model", NULL, ADMIND_FIELD_LINE, 1, 256),
    ADMIND_F_END
};


#define ADMIND_ACCOUNT_TEST_TIMEOUT_MS  30000
#define ADMIND_ACCOUNT_TEST_HEADERS     8
#define ADMIND_ACCOUNT_TEST_HEADER_MAX  4200


/* the request being built */
typedef struct {
    char         url[1024];
    char        *body;
    const char  *headers[ADMIND_ACCOUNT_TEST_HEADERS + 1];
    char         auth[ADMIND_ACCOUNT_TEST_HEADER_MAX];
    char         extra[256];
    size_t       nheaders;

    /* Bedrock: the path signed, the signature's own headers */
    char         path[512];
    char         date[32];
    char         host[300];
    char         token[ADMIND_ACCOUNT_TEST_HEADER_MAX];
} admind_account_test_req_t;


static void
admind_account_test_header(admind_account_test_req_t *t, const char *h)
{
    if (t->nheaders < ADMIND_ACCOUNT_TEST_HEADERS) {
        t->headers[t->nheaders++] = h;
        t->headers[t->nheaders] = NULL;
    }
}


/* the credential where the type's vendor wants it */
static int
admind_account_test_auth(admind_account_test_req_t *t,
    const ql_account_type_t *type, const char *cred)
{
    int          n;
    const char  *name;

    switch (type->auth) {
    case QL_AUTH_X_API_KEY:
        name = "x-api-key: %s";
        break;
    case QL_AUTH_API_KEY:
        name = "api-key: %s";
        break;
    case QL_AUTH_GOOG_API_KEY:
        name = "x-goog-api-key: %s";
        break;
    default:
        name = "Authorization: Bearer %s";
        break;
    }

    n = snprintf(t->auth, sizeof(t->auth), name, cred);
    if (n < 0 || (size_t) n >= sizeof(t->auth)) {
        return ADMIND_ERROR;
    }

    admind_account_test_header(t, t->auth);

    return ADMIND_OK;
}


/* the model a type is tested with, unless the admin names one */
static const char *
admind_account_test_model(const ql_account_type_t *type)
{
    switch (type->shape) {
    case QL_SHAPE_GEMINI:
    case QL_SHAPE_CODE_ASSIST:
        return "gemini-2.5-flash";
    case QL_SHAPE_CODEX:
        return "gpt-5";
    case QL_SHAPE_AZURE:
        return "gpt-4o-mini";
    default:
        return strcmp(type->platform, "openai") == 0 ? "gpt-4o-mini"
                                                     : "claude-haiku-4-5";
    }
}


/* /model/<id>/invoke: the region's inference profile of the model */
static int
admind_account_test_bedrock_path(admind_account_test_req_t *t, json_t *row,
    const char *model)
{
    size_t          i, k, n;
    const char     *region;
    unsigned char   id[QL_BEDROCK_MODEL_MAX], c;

    region = json_string_value(json_object_get(row, "aws_region"));
    if (region == NULL) {
        return -1;
    }

    n = ql_bedrock_model((const unsigned char *) model, strlen(model),
                         (const unsigned char *) region, strlen(region), id);
    if (n == 0) {
        n = strlen(model);
        if (n >= sizeof(id)) {
            return -1;
        }

        memcpy(id, model, n);
    }

    /* one path segment: all but RFC 3986's unreserved encoded */
    memcpy(t->path, "/model/", 7);
    i = 7;

    for (k = 0; k < n; k++) {
        c = id[k];

        if (i + 3 + sizeof("/invoke") >= sizeof(t->path)) {
            return -1;
        }

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~')
        {
            t->path[i++] = (char) c;

        } else {
            i += (size_t) snprintf(t->path + i, 4, "%%%02X", c);
        }
    }

    memcpy(t->path + i, "/invoke", sizeof("/invoke"));

    return 0;
}


/* one message, one token, in the type's wire format */
static int
admind_account_test_build(admind_account_test_req_t *t,
    const ql_account_type_t *type, json_t *row, const char *base,
    const char *model)
{
    int          n;
    json_t      *body, *msgs, *contents;
    const char  *s;

    msgs = json_pack("[{s:s,s:s}]", "role", "user", "content", "hi");
    contents = json_pack("[{s:s,s:[{s:s}]}]", "role", "user", "parts",
                         "text", "hi");
    body = NULL;
    n = -1;

    switch (type->shape) {
    case QL_SHAPE_CODEX:
        n = snprintf(t->url, sizeof(t->url), "%s/responses", base);
        body = json_pack("{s:s,s:s,s:[{s:s,s:s,s:[{s:s,s:s}]}],s:b,s:b}",
                         "model", model,
                         "instructions", "Answer in one word.",
                         "input", "type", "message", "role", "user",
                         "content", "type", "input_text", "text", "hi",
                         "stream", 1, "store", 0);
        s = json_string_value(json_object_get(row, "chatgpt_account_id"));
        snprintf(t->extra, sizeof(t->extra), "chatgpt-account-id: %s",
                 s ? s : "");
        admind_account_test_header(t, t->extra);
        break;

    case QL_SHAPE_AZURE:
        s = json_string_value(json_object_get(row, "azure_deployment"));
        n = snprintf(t->url, sizeof(t->url), "%s/openai/deployments/%s/"
                     "chat/completions?api-version=%s", base, s ? s : model,
                     json_string_value(json_object_get(row,
                                                  "azure_api_version")));
        body = json_pack("{s:O,s:i}", "messages", msgs, "max_tokens", 1);
        break;

    case QL_SHAPE_GEMINI:
        n = snprintf(t->url, sizeof(t->url),
                     "%s/v1beta/models/%s:generateContent", base, model);
        body = json_pack("{s:O,s:{s:i}}", "contents", contents,
                         "generationConfig", "maxOutputTokens", 1);
        break;

    case QL_SHAPE_BEDROCK:
        n = admind_account_test_bedrock_path(t, row, model);
        if (n < 0) {
            break;
        }

        n = snprintf(t->url, sizeof(t->url), "%s%s", base, t->path);
        body = json_pack("{s:s,s:i,s:O}", "anthropic_version",
                         QL_BEDROCK_ANTHROPIC_VERSION, "max_tokens", 1,
                         "messages", msgs);
        break;

    case QL_SHAPE_CODE_ASSIST:
        n = snprintf(t->url, sizeof(t->url), "%s/v1internal:generateContent",
                     base);
        s = json_string_value(json_object_get(row, "project_id"));
        body = json_pack("{s:s,s:s,s:{s:O,s:{s:i}}}", "model", model,
                         "project", s ? s : "", "request",
                         "contents", contents,
                         "generationConfig", "maxOutputTokens", 1);
        break;

    default:
        if (strcmp(type->platform, "openai") == 0) {
            n = snprintf(t->url, sizeof(t->url), "%s/v1/chat/completions",
                         base);
            body = json_pack("{s:s,s:O,s:i}", "model", model,
                             "messages", msgs, "max_tokens", 1);
            break;
        }

        /* Anthropic's Messages API: Claude types, CCR, Droid's /a/ */
        n = snprintf(t->url, sizeof(t->url), "%s%s/v1/messages", base,
                     type->shape == QL_SHAPE_DROID ? "/api/llm/a" : "");
        body = json_pack("{s:s,s:i,s:O}", "model", model, "max_tokens", 1,
                         "messages", msgs);
        admind_account_test_header(t, "anthropic-version: 2023-06-01");

        if (type->oauth) {
            admind_account_test_header(t, "anthropic-beta: "
                                          "oauth-2025-04-20");
        }

        break;
    }

    json_decref(msgs);
    json_decref(contents);

    t->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);

    admind_account_test_header(t, "Content-Type: application/json");

    return (n > 0 && (size_t) n < sizeof(t->url) && t->body != NULL)
           ? ADMIND_OK : ADMIND_ERROR;
}


/*
 * A Bedrock account's IAM key signs the request (SigV4) as the gateway
 * signs it: Host, x-amz-date, the session token if the credential holds
 * one ("secret\ntoken"), the body.
 */
static int
admind_account_test_sign(admind_account_test_req_t *t, json_t *row,
    const char *base, const char *cred)
{
    int                  n;
    char                 err[ADMIND_ERRLEN], hash[QL_SIGV4_HASH_HEX + 1];
    char                 path[ADMIND_BASEURL_MAX + 512];
    size_t               secret_len;
    const char          *akid, *region, *nl;
    admind_baseurl_t     u;
    time_t               now;
    ql_sigv4_header_t    h[3];
    ql_sigv4_request_t   req;

    akid = json_string_value(json_object_get(row, "aws_access_key_id"));
    region = json_string_value(json_object_get(row, "aws_region"));

    if (akid == NULL || region == NULL
        || admind_baseurl_parse(base, &u, err, sizeof(err)) != ADMIND_OK
        || ql_sigv4_sha256_hex(t->body, strlen(t->body), hash) != 0)
    {
        return ADMIND_ERROR;
    }

    nl = strchr(cred, '\n');
    secret_len = nl ? (size_t) (nl - cred) : strlen(cred);

    n = snprintf(path, sizeof(path), "%s%s", u.path, t->path);
    if (n < 0 || (size_t) n >= sizeof(path)) {
        return ADMIND_ERROR;
    }

    /* one clock reading: the signer refuses an x-amz-date not its time's */
    now = time(NULL);
    memcpy(t->date, "x-amz-date: ", 12);

    if (ql_sigv4_amz_date(now, t->date + 12) != 0) {
        return ADMIND_ERROR;
    }

    snprintf(t->host, sizeof(t->host), "Host: %s", u.host_header);

    h[0] = (ql_sigv4_header_t) { "host", 4, u.host_header,
                                 strlen(u.host_header) };
    h[1] = (ql_sigv4_header_t) { "x-amz-date", 10, t->date + 12,
                                 QL_SIGV4_AMZ_DATE_LEN };

    memset(&req, 0, sizeof(req));
    req.nheaders = 2;

    if (nl != NULL) {
        n = snprintf(t->token, sizeof(t->token), "x-amz-security-token: %s",
                     nl + 1);
        if (n < 0 || (size_t) n >= sizeof(t->token)) {
            return ADMIND_ERROR;
        }

        h[2] = (ql_sigv4_header_t) { "x-amz-security-token", 20, nl + 1,
                                     strlen(nl + 1) };
        req.nheaders = 3;
    }

    req.method = "POST";
    req.path = path;
    req.path_len = strlen(path);
    req.query = "";
    req.headers = h;
    req.payload_hash = hash;
    req.time = now;
    req.region = region;
    req.service = "bedrock";
    req.access_key_id = akid;
    req.access_key_id_len = strlen(akid);
    req.secret = cred;
    req.secret_len = secret_len;

    memcpy(t->auth, "Authorization: ", 15);

    if (ql_sigv4_sign(&req, NULL, t->auth + 15, sizeof(t->auth) - 15) < 0) {
        return ADMIND_ERROR;
    }

    admind_account_test_header(t, t->auth);
    admind_account_test_header(t, t->date);
    admind_account_test_header(t, t->host);

    if (nl != NULL) {
        admind_account_test_header(t, t->token);
    }

    return ADMIND_OK;
}


/* the rate limit headers of the answer, by name */
static json_t *
admind_account_test_limits(const admind_fetch_answer_t *a)
{
    char         name[128], value[256];
    json_t      *limits;
    size_t       n, len;
    const char  *p, *end, *colon;

    limits = json_object();

    for (p = a->headers; limits != NULL && p != NULL && *p;
         p = end ? end + 1 : NULL)
    {
        end = strchr(p, '\n');
        colon = strchr(p, ':');

        if (colon == NULL || (end != NULL && colon > end)) {
            continue;
        }

        n = (size_t) (colon - p);

        if (n >= sizeof(name)
            || !(strncasecmp(p, "anthropic-ratelimit-", 20) == 0
                 || strncasecmp(p, "x-ratelimit-", 12) == 0
                 || (n == 11 && strncasecmp(p, "retry-after", 11) == 0)))
        {
            continue;
        }

        for (len = 0; len < n; len++) {
            name[len] = (p[len] >= 'A' && p[len] <= 'Z') ? p[len] + 32
                                                         : p[len];
        }

        name[n] = '\0';

        if (admind_fetch_header(a, name, value, sizeof(value)) == ADMIND_OK)
        {
            json_object_set_new(limits, name, json_string(value));
        }
    }

    return limits;
}


/* what the vendor said was wrong, from its error JSON */
static json_t *
admind_account_test_error(const admind_fetch_answer_t *a)
{
    json_t  *root, *e, *msg;

    /* {"error": {"message"}} or {"error": "..."}; Bedrock: {"message"} */
    root = json_loadb(a->body, a->len, 0, NULL);
    e = json_object_get(root, "error");
    msg = json_is_string(json_object_get(e, "message"))
          ? json_object_get(e, "message")
          : json_is_string(e) ? e
          : json_is_string(json_object_get(root, "message"))
          ? json_object_get(root, "message") : NULL;

    msg = msg ? json_stringn(json_string_value(msg),
                             json_string_length(msg) > 512
                             ? 512 : json_string_length(msg))
              : json_sprintf("the vendor answered %ld", a->status);
    json_decref(root);

    return msg;
}


/* the account's proxy: its checked address, and its login if any */
static int
admind_account_test_proxy(admind_req_t *r, uint64_t id, json_t *row,
    char *proxy, size_t size, char **login)
{
    char          *password;
    size_t         len;
    json_t        *cfg;
    const char    *url, *addr, *user, *env_hex;
    unsigned char *env;

    *login = NULL;
    proxy[0] = '\0';

    cfg = json_loads(json_string_value(json_object_get(row, "proxy_config"))
                     ? json_string_value(json_object_get(row,
                                                         "proxy_config"))
                     : "null", JSON_DECODE_ANY, NULL);

    url = json_string_value(json_object_get(cfg, "url"));
    addr = json_string_value(json_object_get(cfg, "addr"));

    if (url == NULL || addr == NULL || strstr(url, "://") == NULL) {
        json_decref(cfg);
        return ADMIND_OK;
    }

    /* the scheme as given, the address the policy checked */
    snprintf(proxy, size, "%.*s://%s", (int) (strstr(url, "://") - url),
             url, addr);

    user = json_string_value(json_object_get(cfg, "username"));
    env_hex = json_string_value(json_object_get(cfg, "passwordEnc"));
    password = NULL;

    if (env_hex != NULL
        && admind_cred_unhex(env_hex, &env, &len) == ADMIND_OK)
    {
        password = admind_cred_open(&r->ctx->master_key, id, env, len);
        free(env);
    }

    if (user != NULL) {
        len = strlen(user) + (password ? strlen(password) : 0) + 2;
        *login = malloc(len);
        if (*login != NULL) {
            snprintf(*login, len, "%s:%s", user, password ? password : "");
        }
    }

    if (password != NULL) {
        OPENSSL_cleanse(password, strlen(password));
        free(password);
    }

    json_decref(cfg);

    return ADMIND_OK;
}


/* the account's row with what the test needs; NULL with the answer set */
static json_t *
admind_account_test_row(admind_req_t *r, uint64_t id)
{
    char                err[ADMIND_ERRLEN];
    MYSQL              *mysql;
    json_t             *rows, *row;
    admind_db_param_t   params[1];

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return NULL;
    }

    params[0] = admind_db_int((long long) id);

    if (admind_db_select(mysql, "SELECT type, base_url, upstream_addr, "
                         "credentials_enc AS cred, chatgpt_account_id, "
                         "project_id, azure_deployment, azure_api_version, "
                         "aws_region, aws_access_key_id, "
                         "CAST(proxy_config AS CHAR) AS proxy_config "
                         "FROM accounts WHERE id = ?", params, 1, &rows,
                         err, sizeof(err))
        != ADMIND_OK)
    {
        admind_resp_error(r, 503, "unavailable", "the database is "
                          "unavailable, try again later");
        return NULL;
    }

    row = json_incref(json_array_get(rows, 0));
    json_decref(rows);

    if (row == NULL) {
        admind_resp_error(r, 404, "not_found", "no account %llu",
                          (unsigned long long) id);
    }

    return row;
}


static int
admind_account_test_send(admind_req_t *r, uint64_t id, json_t *row,
    const ql_account_type_t *type, const char *cred, const char *model)
{
    int                         rc;
    char                        err[ADMIND_ERRLEN], proxy[128], *login;
    json_t                     *out;
    const char                 *base, *addr;
    unsigned                    signed_req;
    admind_fetch_t              f;
    admind_fetch_answer_t       a;
    admind_account_test_req_t   t;

    memset(&t, 0, sizeof(t));
    login = NULL;

    base = json_string_value(json_object_get(row, "base_url"));
    addr = json_string_value(json_object_get(row, "upstream_addr"));

    if (base == NULL) {
        base = type->base_url;
    }

    /* today's policy for the address checked when the URL was set */
    if (base == NULL
        || (addr != NULL
            && admind_outbound_addr(&r->ctx->conf->outbound, addr, err,
                                    sizeof(err))
               != ADMIND_OK))
    {
        return admind_resp_error(r, 400, "invalid_argument", "the account's "
                                 "base URL may not be reached: %s",
                                 base ? err : "none is set");
    }

    signed_req = type->auth == QL_AUTH_SIGV4
                 && json_string_value(json_object_get(row,
                                              "aws_access_key_id"));

    if ((signed_req ? ADMIND_OK : admind_account_test_auth(&t, type, cred))
           != ADMIND_OK
        || admind_account_test_build(&t, type, row, base, model)
           != ADMIND_OK
        || (signed_req
            && admind_account_test_sign(&t, row, base, cred) != ADMIND_OK)
        || admind_account_test_proxy(r, id, row, proxy, sizeof(proxy),
                                     &login)
           != ADMIND_OK)
    {
        rc = admind_resp_error(r, 500, "internal_error", "cannot build the "
                               "test request");
        goto done;
    }

    memset(&f, 0, sizeof(f));
    f.url = t.url;
    f.body = t.body;
    f.headers = t.headers;
    f.connect_addr = proxy[0] ? NULL : addr;
    f.proxy = proxy[0] ? proxy : NULL;
    f.proxy_auth = login;
    f.timeout_ms = ADMIND_ACCOUNT_TEST_TIMEOUT_MS;

    if (admind_fetch(&f, &a, err, sizeof(err)) != ADMIND_OK) {
        out = json_pack("{s:b,s:i,s:s,s:s}", "ok", 0, "status", 0,
                        "model", model, "error", err);

    } else {
        out = json_pack("{s:b,s:i,s:I,s:s,s:o}",
                        "ok", a.status >= 200 && a.status < 300,
                        "status", (int) a.status,
                        "latencyMs", (json_int_t) (a.seconds * 1000),
                        "model", model,
                        "rateLimits", admind_account_test_limits(&a));

        if (out != NULL && (a.status < 200 || a.status >= 300)) {
            json_object_set_new(out, "error", admind_account_test_error(&a));
        }

        admind_fetch_free(&a);
    }

    rc = out ? admind_resp_json(r, 200, out)
             : admind_resp_error(r, 500, "internal_error", "out of memory");

done:

    OPENSSL_cleanse(t.auth, sizeof(t.auth));
    OPENSSL_cleanse(t.token, sizeof(t.token));

    if (login != NULL) {
        OPENSSL_cleanse(login, strlen(login));
        free(login);
    }

    free(t.body);

    return rc;
}


static int
admind_account_test(admind_req_t *r)
{
    int                       rc;
    char                     *cred;
    size_t                    env_len;
    json_t                   *body, *row;
    uint64_t                  id;
    const char               *type_name, *model;
    unsigned char            *env;
    const ql_account_type_t  *type;

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    body = r->body_len ? admind_req_json(r) : json_object();
    if (body == NULL
        || admind_fields_check(r, admind_account_test_fields, body,
                               ADMIND_FIELDS_CREATE)
           != ADMIND_OK)
    {
        json_decref(body);
        return r->status;
    }

    row = admind_account_test_row(r, id);
    if (row == NULL) {
        json_decref(body);
        return r->status;
    }

    type_name = json_string_value(json_object_get(row, "type"));
    type = type_name ? ql_account_type_by_name((const unsigned char *)
                                               type_name, strlen(type_name))
                     : NULL;
    cred = NULL;

    if (type == NULL || !r->ctx->has_master_key
        || admind_cred_unhex(json_string_value(json_object_get(row, "cred")),
                             &env, &env_len)
           != ADMIND_OK)
    {
        rc = admind_resp_error(r, 400, "invalid_argument", "account %llu "
                               "has no credential to test with",
                               (unsigned long long) id);
        goto done;
    }

    cred = admind_cred_open(&r->ctx->master_key, id, env, env_len);
    free(env);

    if (cred == NULL) {
        rc = admind_resp_error(r, 500, "internal_error", "the credential "
                               "does not open with this master key");
        goto done;
    }

    model = admind_fields_str(body, "model",
                              admind_account_test_model(type));

    rc = admind_account_test_send(r, id, row, type, cred, model);

    OPENSSL_cleanse(cred, strlen(cred));
    free(cred);

done:

    json_decref(row);
    json_decref(body);

    return rc;
}
