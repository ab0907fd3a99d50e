/*
 * QuotaLane admind: /api/v1/accounts.
 *
 * An account is an upstream AI account the gateway relays to.  Its
 * credential is sealed under the master key with the account id as AAD,
 * so the row is inserted first and sealed in the same transaction; the
 * API only ever shows whether a credential is set and a masked hint.
 * The base URL is resolved here, once per write, because nginx workers
 * must not resolve names, and checked by the outbound URL policy
 * (admind_outbound.h): the gateway connects only to the address stored.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_log.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_time.h"
#include "admind_resource.h"
#include "admind_audit.h"
#include "admind_hotstate.h"
#include "admind_config.h"
#include "admind_outbound.h"
#include "admind_account_types.h"
#include "admind_cred.h"
#include "admind_account_state.h"
#include "admind_account_proxy.h"
#include "admind_writer.h"
#include "admind_accounts.h"
#include "admind_oauth_refresh.h"
#include "ql_account_type.h"


static int admind_accounts_list(admind_req_t *r);
static int admind_accounts_get(admind_req_t *r);
static int admind_accounts_delete(admind_req_t *r);
static int admind_accounts_reset(admind_req_t *r);
static int admind_accounts_refresh(admind_req_t *r);


const admind_route_t  admind_accounts_routes[] = {
    { "GET", "/api/v1/accounts", admind_accounts_list, 0,
      ADMIND_ROLE_ADMIN },
    { "POST", "/api/v1/accounts", admind_accounts_create, 0,
      ADMIND_ROLE_ADMIN },
    { "GET", "/api/v1/accounts/{id}", admind_accounts_get, 0,
      ADMIND_ROLE_ADMIN },
    { "PATCH", "/api/v1/accounts/{id}", admind_accounts_update, 0,
      ADMIND_ROLE_ADMIN },
    { "DELETE", "/api/v1/accounts/{id}", admind_accounts_delete, 0,
      ADMIND_ROLE_ADMIN },
    { "POST", "/api/v1/accounts/{id}/refresh", admind_accounts_refresh, 0,
      ADMIND_ROLE_ADMIN },
    { "POST", "/api/v1/accounts/{id}/reset", admind_accounts_reset, 0,
      ADMIND_ROLE_ADMIN },
    { NULL, NULL, NULL, 0, 0 }
};


/* a model name (bytes), and the most names in a list or map */
#define ADMIND_ACCOUNTS_MODEL_MAX   256
#define ADMIND_ACCOUNTS_MODELS_MAX  256


/* admins switch accounts on and off; overloaded and error are observed */
static const char *const  admind_accounts_statuses[] = {
    "active", "disabled", NULL
};


/*
 * The credential fields are write-only: they appear in no answer.  Each
 * is the "credential" of some row of admind_account_types.c, which also
 * says which types take the type-specific fields (chatgptAccountId ...).
 * Type, URL, credentials, the API version and the model lists have no
 * column here: the hooks store them.  Model names go into the account
 * record between newlines and tabs (redis_layout.md): ADMIND_FIELD_LINE.
 */
static const admind_field_t  admind_accounts_fields[] = {
    ADMIND_F_ROW_ID("a"),
    ADMIND_F_STRING("name", "name", ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE,
      1, 128),
    ADMIND_F_STRING("description", "description", ADMIND_FIELD_NULLABLE, 0,
      1024),
    ADMIND_F_STRING("type", NULL,
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_IMMUTABLE | ADMIND_FIELD_LINE, 1,
      32, "a.type"),
    ADMIND_F_OUTPUT("platform", ADMIND_FIELD_STRING, "a.platform"),
    ADMIND_F_STRING("baseUrl", NULL, ADMIND_FIELD_NULLABLE, 1,
      ADMIND_BASEURL_MAX, "a.base_url"),
    ADMIND_F_OUTPUT("resolvedAddr", ADMIND_FIELD_STRING, "a.upstream_addr"),
    ADMIND_F_STRING("apiKey", NULL, ADMIND_FIELD_LINE, 1, ADMIND_CRED_MAX),
    ADMIND_F_STRING("accessToken", NULL, ADMIND_FIELD_LINE, 1, ADMIND_CRED_MAX),
    ADMIND_F_STRING("refreshToken", NULL,
      ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE, 1, ADMIND_CRED_MAX),
    ADMIND_F_TIME("accessTokenExpiresAt", NULL, ADMIND_FIELD_NULLABLE,
      ADMIND_SQL_TIME_READ("a.credentials_expire_at")),
    ADMIND_F_INT("priority", "priority", 0, 0, 1000),
    ADMIND_F_INT("concurrencyLimit", "concurrency_limit", 0, 0, 100000),
    ADMIND_F_INT("rpmLimit", "rpm_limit", 0, 0, 4294967295LL),
    ADMIND_F_INT("tpmLimit", "tpm_limit", 0, 0, 9223372036854775807LL),
    ADMIND_F_BOOL("schedulable", "schedulable", 0),
    ADMIND_F_ID("groupId", "group_id", ADMIND_FIELD_NULLABLE),
    ADMIND_F_ENUM("status", "status", 0, admind_accounts_statuses),
    ADMIND_F_OUTPUT("healthScore", ADMIND_FIELD_INT, "a.health_score"),
    ADMIND_F_OUTPUT("hasCredential", ADMIND_FIELD_BOOL,
      "a.credentials_enc IS NOT NULL"),
    ADMIND_F_OUTPUT("hasRefreshToken", ADMIND_FIELD_BOOL,
      "a.refresh_token_enc IS NOT NULL"),
    ADMIND_F_OUTPUT("credentialHint", ADMIND_FIELD_STRING,
      "a.credential_hint"),
    ADMIND_F_STRING("proxyUrl", NULL, ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE,
      1, 1024, ADMIND_ACCOUNT_PROXY_URL_READ),
    ADMIND_F_STRING("proxyUsername", NULL,
      ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE, 1, 256,
      ADMIND_ACCOUNT_PROXY_USERNAME_READ),
    ADMIND_F_STRING("proxyPassword", NULL,
      ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE, 1, 1024),
    ADMIND_F_OUTPUT("hasProxyPassword", ADMIND_FIELD_BOOL,
      ADMIND_ACCOUNT_PROXY_PASSWORD_READ),
    ADMIND_F_STRING("chatgptAccountId", "chatgpt_account_id",
      ADMIND_FIELD_LINE, 1, 128),
    ADMIND_F_STRING("projectId", "project_id", ADMIND_FIELD_LINE, 1, 128),
    ADMIND_F_STRING("azureDeployment", "azure_deployment",
      ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE, 1, 128),
    ADMIND_F_STRING("azureApiVersion", NULL,
      ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE, 1, 32,
      "a.azure_api_version"),
    ADMIND_F_STRING("awsRegion", "aws_region", ADMIND_FIELD_LINE, 1, 32),
    ADMIND_F_STRING("awsAccessKeyId", "aws_access_key_id", ADMIND_FIELD_LINE,
      1, 128),
    ADMIND_F_STRING("awsSecretAccessKey", NULL, ADMIND_FIELD_LINE, 1,
      ADMIND_CRED_MAX),
    ADMIND_F_STRING("awsSessionToken", NULL, ADMIND_FIELD_LINE, 1,
      ADMIND_CRED_MAX),
    ADMIND_F_MAP("modelMap", NULL, ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE,
      1, ADMIND_ACCOUNTS_MODEL_MAX, ADMIND_ACCOUNTS_MODELS_MAX,
      "a.model_mapping"),
    ADMIND_F_STRINGS("supportedModels", NULL,
      ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE, 1, ADMIND_ACCOUNTS_MODEL_MAX,
      NULL, ADMIND_ACCOUNTS_MODELS_MAX, "a.supported_models"),
    ADMIND_F_MAP("oauthIdentity", NULL,
      ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE, 1, 512, 8,
      "a.oauth_identity"),
    ADMIND_F_TIME("cooldownUntil", NULL,
      ADMIND_FIELD_OUTPUT | ADMIND_FIELD_NULLABLE),
    ADMIND_F_OUTPUT("health", ADMIND_FIELD_INT),
    ADMIND_F_OUTPUT("leasesInUse", ADMIND_FIELD_INT),
    ADMIND_F_OUTPUT("circuit", ADMIND_FIELD_STRING),
    ADMIND_F_ROW_CREATED("a"),
    ADMIND_F_ROW_UPDATED("a"),
    ADMIND_F_ROW_VERSION("a"),
    ADMIND_F_END
};


/* the write-only fields, wiped from the parsed body after use */
static const char *const  admind_accounts_secrets[] = {
    "apiKey", "accessToken", "refreshToken", "proxyPassword",
    "awsSecretAccessKey", "awsSessionToken", NULL
};


static const admind_filter_t  admind_accounts_filters[] = {
    { "platform", "a.platform", ADMIND_FIELD_STRING },
    { "type", "a.type", ADMIND_FIELD_STRING },
    { "groupId", "a.group_id", ADMIND_FIELD_ID },
    { "status", "a.status", ADMIND_FIELD_STRING },
    { NULL, NULL, 0 }
};


static const admind_order_t  admind_accounts_orders[] = {
    { "name", "a.name" },
    { "priority", "a.priority" },
    { "createdAt", "a.created_at" },
    { "updatedAt", "a.updated_at" },
    { NULL, NULL }
};


static const admind_unique_t  admind_accounts_uniques[] = {
    { "uk_accounts_name", "name" },
    { NULL, NULL }
};


static int admind_accounts_fixup(json_t *row);


static const admind_resource_t  admind_accounts_resource = {
    "account", "account", "accounts",

    NULL,

    "a.id", "FROM accounts a", admind_accounts_filters,
    admind_accounts_uniques, admind_accounts_fixup, admind_accounts_fields
};


static int
admind_accounts_fixup(json_t *row)
{
    admind_resource_bool_column(row, "schedulable");
    admind_resource_bool_column(row, "hasCredential");
    admind_resource_bool_column(row, "hasRefreshToken");
    admind_resource_bool_column(row, "hasProxyPassword");

    if (admind_resource_json_column(row, "modelMap", "{}") != ADMIND_OK
        || admind_resource_json_column(row, "supportedModels", "[]")
           != ADMIND_OK
        || admind_resource_json_column(row, "oauthIdentity", "null")
           != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    /* the gateway's view of the account, from its hot-state record */
    admind_account_state_add(row);

    return ADMIND_OK;
}


static int
admind_accounts_list(admind_req_t *r)
{
    return admind_resource_list_ordered(r, &admind_accounts_resource,
                                        admind_accounts_orders);
}


static int
admind_accounts_get(admind_req_t *r)
{
    return admind_resource_get(r, &admind_accounts_resource);
}


static int
admind_accounts_type(admind_req_t *r, const char *type,
    admind_account_type_t *t)
{
    char  names[256];

    if (type == NULL || admind_account_type(type, t) != ADMIND_OK) {
        admind_account_type_names(names, sizeof(names));
        admind_resp_error(r, 400, "invalid_argument", "field \"type\" must "
                          "be one of: %s", names);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* a string field made of the characters of set only, or a 400 */
static int
admind_accounts_charset(admind_req_t *r, json_t *body, const char *name,
    const char *set, const char *what)
{
    const char  *s;

    s = admind_fields_str(body, name, NULL);

    if (s != NULL && s[strspn(s, set)] != '\0') {
        admind_resp_error(r, 400, "invalid_argument", "field \"%s\" may "
                          "only contain %s", name, what);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* model names travel in the record between "\n" and "\t": bytes bound */
static int
admind_accounts_models(admind_req_t *r, json_t *body)
{
    size_t       i;
    json_t      *e;
    const char  *name, *field;

    field = "supportedModels";

    json_array_foreach(json_object_get(body, field), i, e) {
        if (json_string_length(e) > ADMIND_ACCOUNTS_MODEL_MAX) {
            goto long_name;
        }
    }

    field = "modelMap";

    json_object_foreach(json_object_get(body, field), name, e) {
        if (strlen(name) > ADMIND_ACCOUNTS_MODEL_MAX
            || json_string_length(e) > ADMIND_ACCOUNTS_MODEL_MAX)
        {
            goto long_name;
        }
    }

    return ADMIND_OK;

long_name:

    admind_resp_error(r, 400, "invalid_argument", "field \"%s\": model "
                      "names must have at most %d bytes", field,
                      ADMIND_ACCOUNTS_MODEL_MAX);

    return ADMIND_ERROR;
}


/* the body gives the type's credential or its alternative */
static int
admind_accounts_secret_given(const admind_account_type_t *t, json_t *body)
{
    return admind_fields_str(body, t->credential, NULL) != NULL
           || (t->alt_credential != NULL
               && admind_fields_str(body, t->alt_credential, NULL) != NULL);
}


/*
 * One credential, on create required: the type's or its alternative (a
 * Bedrock API key instead of an IAM key).  An IAM key comes whole: the
 * id with the secret, a session token only with both.
 */
static int
admind_accounts_credential(admind_req_t *r, const admind_account_type_t *t,
    json_t *body, admind_fields_mode_e mode)
{
    int  own, alt;

    own = admind_fields_str(body, t->credential, NULL) != NULL;
    alt = t->alt_credential != NULL
          && admind_fields_str(body, t->alt_credential, NULL) != NULL;

    if (own && alt) {
        admind_resp_error(r, 400, "invalid_argument", "fields \"%s\" and "
                          "\"%s\" exclude each other", t->credential,
                          t->alt_credential);
        return ADMIND_ERROR;
    }

    if (mode == ADMIND_FIELDS_CREATE && !own && !alt) {
        if (t->alt_credential != NULL) {
            admind_resp_error(r, 400, "invalid_argument", "field \"%s\" or "
                              "\"%s\" is required for type %s",
                              t->credential, t->alt_credential, t->ql->name);

        } else {
            admind_resp_error(r, 400, "invalid_argument", "field \"%s\" is "
                              "required for type %s", t->credential,
                              t->ql->name);
        }

        return ADMIND_ERROR;
    }

    if (!(t->takes & ADMIND_ACCOUNT_AWS_ACCESS_KEY)) {
        return ADMIND_OK;
    }

    if (own != (admind_fields_str(body, "awsAccessKeyId", NULL) != NULL)) {
        admind_resp_error(r, 400, "invalid_argument", "fields "
                          "\"awsAccessKeyId\" and \"awsSecretAccessKey\" go "
                          "together");
        return ADMIND_ERROR;
    }

    if (!own && admind_fields_has(body, "awsSessionToken")) {
        admind_resp_error(r, 400, "invalid_argument", "field "
                          "\"awsSessionToken\" goes with "
                          "\"awsSecretAccessKey\"");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/*
 * Only the type's own credential and type-specific fields, its platform
 * (it follows the type); on create, its credential and required fields.
 */
static int
admind_accounts_check_type(admind_req_t *r, const admind_account_type_t *t,
    json_t *body, admind_fields_mode_e mode)
{
    json_t                        *v;
    const char                    *name, *platform;
    const admind_account_field_t  *f;

    json_object_foreach(body, name, v) {
        if (admind_account_type_is_credential(name)
            && strcmp(name, t->credential) != 0
            && (t->alt_credential == NULL
                || strcmp(name, t->alt_credential) != 0))
        {
            admind_resp_error(r, 400, "invalid_argument", "field \"%s\" "
                              "does not apply to type %s (its credential "
                              "is \"%s\")", name, t->ql->name,
                              t->credential);
            return ADMIND_ERROR;
        }
    }

    for (f = admind_account_fields; f->name != NULL; f++) {
        if (admind_fields_has(body, f->name) && !(t->takes & f->bit)) {
            admind_resp_error(r, 400, "invalid_argument", "field \"%s\" "
                              "does not apply to type %s", f->name,
                              t->ql->name);
            return ADMIND_ERROR;
        }

        if (mode == ADMIND_FIELDS_CREATE && (t->requires & f->bit)
            && admind_fields_str(body, f->name, NULL) == NULL)
        {
            admind_resp_error(r, 400, "invalid_argument", "field \"%s\" is "
                              "required for type %s", f->name, t->ql->name);
            return ADMIND_ERROR;
        }
    }

    /* output only, so a GET answer can be sent back; a change is refused */
    platform = json_string_value(json_object_get(body, "platform"));

    if (platform != NULL && strcmp(platform, t->ql->platform) != 0) {
        admind_resp_error(r, 400, "invalid_argument", "field \"platform\" "
                          "cannot be set: type %s is of platform %s",
                          t->ql->name, t->ql->platform);
        return ADMIND_ERROR;
    }

    if (admind_accounts_charset(r, body, "chatgptAccountId",
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "abcdefghijklmnopqrstuvwxyz0123456789-_",
                                "letters, digits, \"-\" and \"_\"")
        != ADMIND_OK
        || admind_accounts_charset(r, body, "projectId",
                                   "abcdefghijklmnopqrstuvwxyz0123456789-",
                                   "lowercase letters, digits and \"-\"")
           != ADMIND_OK
        || admind_accounts_charset(r, body, "azureDeployment",
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "abcdefghijklmnopqrstuvwxyz0123456789-_.",
                                   "letters, digits, \"-\", \"_\" and \".\"")
           != ADMIND_OK
        || admind_accounts_charset(r, body, "azureApiVersion",
                                   "abcdefghijklmnopqrstuvwxyz0123456789-.",
                                   "lowercase letters, digits, \"-\" and "
                                   "\".\"")
           != ADMIND_OK
        || admind_accounts_charset(r, body, "awsRegion",
                                   "abcdefghijklmnopqrstuvwxyz0123456789-",
                                   "lowercase letters, digits and \"-\"")
           != ADMIND_OK
        || admind_accounts_charset(r, body, "awsAccessKeyId",
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                                   "uppercase letters and digits")
           != ADMIND_OK
        || admind_accounts_models(r, body) != ADMIND_OK
        || admind_accounts_credential(r, t, body, mode) != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (admind_accounts_secret_given(t, body)
        || admind_fields_str(body, "refreshToken", NULL) != NULL)
    {
        if (!r->ctx->has_master_key) {
            admind_resp_error(r, 503, "unavailable", "master_key_file is "
                              "not configured: credentials cannot be "
                              "stored");
            return ADMIND_ERROR;
        }
    }

    return ADMIND_OK;
}


/*
 * The type's default for no base URL (Bedrock's: its region's runtime
 * endpoint, into buf); the types without one need one.
 */
static const char *
admind_accounts_base(admind_req_t *r, const admind_account_type_t *t,
    const char *base, const char *region, char *buf, size_t size)
{
    if (base != NULL) {
        return base;
    }

    base = t->ql->base_url;

    if (base == NULL && t->ql->shape == QL_SHAPE_BEDROCK && region != NULL) {
        snprintf(buf, size, "https://bedrock-runtime.%s.amazonaws.com",
                 region);
        base = buf;
    }

    if (base == NULL) {
        admind_resp_error(r, 400, "invalid_argument", "field "
                          "\"baseUrl\" is required for type %s",
                          t->ql->name);
    }

    return base;
}


/* parsed, resolved and let through by the policy, or a 400 saying why */
static int
admind_accounts_url(admind_req_t *r, const char *base, admind_baseurl_t *url,
    char *addr, size_t size)
{
    char  err[ADMIND_ERRLEN];

    if (admind_outbound_url(&r->ctx->conf->outbound, "baseUrl", base, NULL,
                            url, addr, size, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_resp_error(r, 400, "invalid_argument", "%s", err);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* the group exists (locked until commit); its pool is one of the type's */
static int
admind_accounts_group(admind_req_t *r, MYSQL *mysql, uint64_t group,
    const admind_account_type_t *t)
{
    char               err[ADMIND_ERRLEN];
    json_t            *rows;
    const char        *p;
    admind_db_param_t  params[1];

    params[0] = admind_db_int((long long) group);

    if (admind_db_select(mysql, "SELECT platform FROM account_groups "
                         "WHERE id = ? LOCK IN SHARE MODE", params, 1,
                         &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_resource_db_error(r, &admind_accounts_resource, err);
        return ADMIND_ERROR;
    }

    p = json_string_value(json_object_get(json_array_get(rows, 0),
                                          "platform"));

    if (p == NULL) {
        json_decref(rows);
        admind_resp_error(r, 400, "invalid_argument", "field \"groupId\": "
                          "no account group %llu",
                          (unsigned long long) group);
        return ADMIND_ERROR;
    }

    if (!ql_list_has(t->ql->pools, (const unsigned char *) p, strlen(p))) {
        admind_resp_error(r, 400, "invalid_argument", "field \"groupId\": "
                          "account group %llu is for pool %s, type %s "
                          "joins %s", (unsigned long long) group, p,
                          t->ql->name, t->ql->pools);
        json_decref(rows);
        return ADMIND_ERROR;
    }

    json_decref(rows);

    return ADMIND_OK;
}


/*
 * Seals the body's credential and refresh token for account id and adds
 * them to the UPDATE; the envelopes are freed by the caller.
 */
static int
admind_accounts_seal(admind_req_t *r, uint64_t id,
    const admind_account_type_t *t, json_t *body, admind_write_t *w,
    unsigned char **cred, size_t *cred_len, unsigned char **refresh,
    size_t *refresh_len, char hint[ADMIND_CRED_HINT_LEN])
{
    int          rc;
    char        *joined;
    size_t       len;
    const char  *s, *token;

    joined = NULL;
    s = admind_fields_str(body, t->credential, NULL);

    if (s == NULL && t->alt_credential != NULL) {
        s = admind_fields_str(body, t->alt_credential, NULL);

        /* a Bedrock API key: no IAM key id, the gateway sends a bearer */
        if (s != NULL && (t->takes & ADMIND_ACCOUNT_AWS_ACCESS_KEY)) {
            admind_write_set(w, "aws_access_key_id", admind_db_null());
        }
    }

    token = admind_fields_str(body, "awsSessionToken", NULL);

    /* an IAM secret and its session token are sealed as one */
    if (s != NULL && token != NULL) {
        len = strlen(s) + 1 + strlen(token);
        joined = malloc(len + 1);
        if (joined == NULL) {
            goto failed;
        }

        snprintf(joined, len + 1, "%s\n%s", s, token);
    }

    if (s != NULL) {
        rc = admind_cred_seal(&r->ctx->master_key, id, joined ? joined : s,
                              joined ? len : strlen(s), cred, cred_len);

        if (joined != NULL) {
            ql_wipe(joined, len);
            free(joined);
        }

        if (rc != ADMIND_OK) {
            goto failed;
        }

        admind_cred_hint(s, strlen(s), hint);
        admind_write_set(w, "credentials_enc",
                         admind_db_blob(*cred, *cred_len));
        admind_write_set(w, "credential_hint", admind_db_str(hint));
    }

    if (admind_fields_has(body, "refreshToken")) {
        s = admind_fields_str(body, "refreshToken", NULL);

        if (s == NULL) {
            admind_write_set(w, "refresh_token_enc", admind_db_null());

        } else {
            if (admind_cred_seal(&r->ctx->master_key, id, s, strlen(s),
                                 refresh, refresh_len)
                != ADMIND_OK)
            {
                goto failed;
            }

            admind_write_set(w, "refresh_token_enc",
                             admind_db_blob(*refresh, *refresh_len));
        }
    }

    return ADMIND_OK;

failed:

    admind_resp_error(r, 500, "internal_error", "cannot seal the "
                      "credential");

    return ADMIND_ERROR;
}


/* what the hooks of one write share */
typedef struct {
    admind_account_type_t         type;
    const char                   *base;
    char                          default_base[80];
    admind_baseurl_t              url;
    char                          addr[ADMIND_BASEURL_ADDR];
    char                          proxy[ADMIND_BASEURL_ADDR];
    char                          hint[ADMIND_CRED_HINT_LEN];
    char                          expires[ADMIND_TIME_LEN + 1];
    unsigned char                *cred;
    unsigned char                *refresh;
    size_t                        cred_len;
    size_t                        refresh_len;
    char                         *models;
    char                         *model_map;
    char                         *identity;
    uint64_t                      group;
    uint64_t                      old_group;
    json_t                       *keys;
} admind_accounts_op_t;


/* DNS may take a while: not inside the transaction */
static int
admind_accounts_prepare(admind_writer_op_t *op)
{
    json_t                *body;
    admind_req_t          *r;
    admind_accounts_op_t  *a;

    r = op->r;
    body = op->body;
    a = op->data;

    switch (op->op) {

    case ADMIND_WRITER_CREATE:
        if (admind_accounts_type(r, admind_fields_str(body, "type", NULL),
                                 &a->type)
            != ADMIND_OK
            || admind_accounts_check_type(r, &a->type, body,
                                          ADMIND_FIELDS_CREATE)
               != ADMIND_OK
            || admind_account_proxy_check(r, body, NULL) != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        a->base = admind_accounts_base(r, &a->type,
                                       admind_fields_str(body, "baseUrl",
                                                         NULL),
                                       admind_fields_str(body, "awsRegion",
                                                         NULL),
                                       a->default_base,
                                       sizeof(a->default_base));
        if (a->base == NULL) {
            return ADMIND_ERROR;
        }

        break;

    case ADMIND_WRITER_UPDATE:
        a->base = admind_fields_str(body, "baseUrl", NULL);
        break;

    case ADMIND_WRITER_DELETE:
        return ADMIND_OK;
    }

    if (a->base != NULL
        && admind_accounts_url(r, a->base, &a->url, a->addr,
                               sizeof(a->addr))
           != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    return admind_account_proxy_resolve(r, body, a->proxy, sizeof(a->proxy));
}


/*
 * The type's credentials, the group; keys bound to a deleted account
 * lose the binding (ON DELETE SET NULL), their records must say so.
 */
static int
admind_accounts_check(admind_writer_op_t *op)
{
    json_t                *body;
    admind_req_t          *r;
    admind_db_param_t      params[1];
    admind_accounts_op_t  *a;

    r = op->r;
    body = op->body;
    a = op->data;

    switch (op->op) {

    case ADMIND_WRITER_CREATE:
        a->group = (uint64_t) admind_fields_int(body, "groupId", 0);
        break;

    case ADMIND_WRITER_UPDATE:
        if (admind_accounts_type(r, json_string_value(
                                        json_object_get(op->before, "type")),
                                 &a->type)
            != ADMIND_OK
            || admind_accounts_check_type(r, &a->type, body,
                                          ADMIND_FIELDS_UPDATE)
               != ADMIND_OK
            || admind_account_proxy_check(r, body, op->before) != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        a->old_group = admind_resource_id(op->before, "groupId");
        a->group = a->old_group;

        if (!admind_fields_has(body, "groupId")) {
            return ADMIND_OK;
        }

        a->group = (uint64_t) admind_fields_int(body, "groupId", 0);
        break;

    case ADMIND_WRITER_DELETE:
        params[0] = admind_db_int((long long) op->id);

        return admind_db_select(op->mysql, "SELECT id FROM api_keys "
                                "WHERE account_id = ? FOR UPDATE", params,
                                1, &a->keys, op->err, sizeof(op->err));
    }

    if (a->group
        && admind_accounts_group(r, op->mysql, a->group, &a->type)
           != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/*
 * The model list and map as JSON text (NULL, the column's "none", when
 * empty) when given; the Azure API version when given or created, its
 * default for null or absent.
 */
static int
admind_accounts_write_models(admind_req_t *r, admind_accounts_op_t *a,
    json_t *body, int create, admind_write_t *w)
{
    json_t      *v;
    const char  *version;

    if (admind_fields_has(body, "supportedModels")) {
        v = admind_fields_array(body, "supportedModels");

        if (v != NULL && json_array_size(v) > 0) {
            a->models = json_dumps(v, JSON_COMPACT);
            if (a->models == NULL) {
                goto nomem;
            }
        }

        admind_write_set(w, "supported_models",
                         a->models ? admind_db_str(a->models)
                                   : admind_db_null());
    }

    if (admind_fields_has(body, "modelMap")) {
        v = json_object_get(body, "modelMap");

        if (json_is_object(v) && json_object_size(v) > 0) {
            a->model_map = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
            if (a->model_map == NULL) {
                goto nomem;
            }
        }

        admind_write_set(w, "model_mapping",
                         a->model_map ? admind_db_str(a->model_map)
                                      : admind_db_null());
    }

    if ((a->type.takes & ADMIND_ACCOUNT_AZURE_API_VERSION)
        && (create || admind_fields_has(body, "azureApiVersion")))
    {
        version = admind_fields_str(body, "azureApiVersion",
                                    ADMIND_ACCOUNT_AZURE_API_VERSION_DEFAULT);
        admind_write_set(w, "azure_api_version", admind_db_str(version));
    }

    return ADMIND_OK;

nomem:

    admind_resp_error(r, 500, "internal_error", "out of memory");

    return ADMIND_ERROR;
}


/* the URL as resolved; an update's credentials (a create's wait) */
/*
 * When an OAuth type's access token expires (the refresh worker renews
 * it before) and who it belongs to; a new refresh token starts the
 * failure count again.
 */
static int
admind_accounts_write_expiry(admind_req_t *r, admind_accounts_op_t *a,
    json_t *body, admind_write_t *w)
{
    time_t   t;
    json_t  *v;

    if (!(a->type.takes & ADMIND_ACCOUNT_REFRESH_TOKEN)
        && (admind_fields_has(body, "accessTokenExpiresAt")
            || admind_fields_has(body, "oauthIdentity")))
    {
        admind_resp_error(r, 400, "invalid_argument", "fields "
                          "\"accessTokenExpiresAt\" and \"oauthIdentity\" "
                          "do not apply to type %s", a->type.ql->name);
        return ADMIND_ERROR;
    }

    if (admind_fields_has(body, "oauthIdentity")) {
        v = json_object_get(body, "oauthIdentity");

        if (json_is_object(v) && json_object_size(v) > 0) {
            a->identity = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
            if (a->identity == NULL) {
                admind_resp_error(r, 500, "internal_error", "out of memory");
                return ADMIND_ERROR;
            }
        }

        admind_write_set(w, "oauth_identity",
                         a->identity ? admind_db_str(a->identity)
                                     : admind_db_null());
    }

    if (admind_fields_has(body, "accessTokenExpiresAt")) {

        t = admind_fields_time(body, "accessTokenExpiresAt", 0);
        admind_time_sql(t, a->expires, sizeof(a->expires));
        admind_write_set(w, "credentials_expire_at",
                         t ? admind_db_str(a->expires) : admind_db_null());
    }

    if (admind_fields_str(body, "refreshToken", NULL) != NULL) {
        admind_write_set(w, "refresh_failures", admind_db_int(0));
    }

    return ADMIND_OK;
}


static int
admind_accounts_write(admind_writer_op_t *op)
{
    const char            *region;
    admind_req_t          *r;
    admind_accounts_op_t  *a;

    r = op->r;
    a = op->data;

    if (admind_accounts_write_models(r, a, op->body,
                                     op->op == ADMIND_WRITER_CREATE, &op->w)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (admind_accounts_write_expiry(r, a, op->body, &op->w) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    if (op->op == ADMIND_WRITER_CREATE) {
        admind_write_set(&op->w, "type", admind_db_str(a->type.ql->name));
        admind_write_set(&op->w, "platform",
                         admind_db_str(a->type.ql->platform));
        admind_write_set(&op->w, "base_url",
                         admind_db_str(a->url.normalized));
        admind_write_set(&op->w, "upstream_addr", admind_db_str(a->addr));

        return ADMIND_OK;
    }

    if (admind_fields_has(op->body, "baseUrl")) {
        /* null: back to the type's default, known only now */
        if (a->base == NULL) {
            region = admind_fields_str(op->body, "awsRegion",
                                       json_string_value(json_object_get(
                                           op->before, "awsRegion")));
            a->base = admind_accounts_base(r, &a->type, NULL, region,
                                           a->default_base,
                                           sizeof(a->default_base));

            if (a->base == NULL
                || admind_accounts_url(r, a->base, &a->url, a->addr,
                                       sizeof(a->addr))
                   != ADMIND_OK)
            {
                return ADMIND_ERROR;
            }
        }

        admind_write_set(&op->w, "base_url",
                         admind_db_str(a->url.normalized));
        admind_write_set(&op->w, "upstream_addr", admind_db_str(a->addr));
    }

    return admind_accounts_seal(r, op->id, &a->type, op->body, &op->w,
                                &a->cred, &a->cred_len, &a->refresh,
                                &a->refresh_len, a->hint);
}


/* the AAD of a new account's credentials is its id, known only now */
static int
admind_accounts_after(admind_writer_op_t *op)
{
    int                    empty;
    admind_accounts_op_t  *a;

    a = op->data;

    if (op->op == ADMIND_WRITER_DELETE) {
        return ADMIND_OK;
    }

    empty = op->w.n == 0;

    if (op->op == ADMIND_WRITER_CREATE) {
        admind_write_init(&op->w);
        empty = 0;

        if (admind_accounts_seal(op->r, op->id, &a->type, op->body, &op->w,
                                 &a->cred, &a->cred_len, &a->refresh,
                                 &a->refresh_len, a->hint)
            != ADMIND_OK
            || admind_write_update(op->mysql, "accounts", &op->w, op->id,
                                   op->err, sizeof(op->err))
               != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }
    }

    return admind_account_proxy_write(op->r, op->mysql, op->id, op->body,
                                      a->proxy, empty, op->err,
                                      sizeof(op->err));
}


static void
admind_accounts_publish(admind_writer_op_t *op)
{
    json_t                *key;
    size_t                 i;
    admind_accounts_op_t  *a;

    a = op->data;

    switch (op->op) {

    case ADMIND_WRITER_CREATE:
        admind_hotstate_account(op->mysql, op->id, 0);
        break;

    case ADMIND_WRITER_UPDATE:
        admind_hotstate_account(op->mysql, op->id,
                                a->group != a->old_group ? a->old_group : 0);
        break;

    case ADMIND_WRITER_DELETE:
        admind_hotstate_account_deleted(op->id,
                                        admind_resource_id(op->before,
                                                           "groupId"));

        json_array_foreach(a->keys, i, key) {
            admind_hotstate_key(op->mysql, admind_resource_id(key, "id"));
        }

        break;
    }
}


static void
admind_accounts_cleanup(admind_writer_op_t *op)
{
    const char *const     *name;
    admind_accounts_op_t  *a;

    a = op->data;

    for (name = admind_accounts_secrets; *name != NULL; name++) {
        admind_fields_wipe(op->body, *name);
    }

    free(a->cred);
    free(a->refresh);
    free(a->models);
    free(a->model_map);
    free(a->identity);
    json_decref(a->keys);
}


static const admind_writer_t  admind_accounts_writer = {
    &admind_accounts_resource, "accounts", admind_accounts_fields, NULL,
    NULL, admind_accounts_prepare, admind_accounts_check,
    admind_accounts_write, admind_accounts_after, admind_accounts_publish,
    admind_accounts_cleanup
};


int
admind_accounts_create(admind_req_t *r)
{
    admind_accounts_op_t  a;

    memset(&a, 0, sizeof(a));

    return admind_writer_create(r, &admind_accounts_writer, &a);
}


int
admind_accounts_update(admind_req_t *r)
{
    admind_accounts_op_t  a;

    memset(&a, 0, sizeof(a));

    return admind_writer_update(r, &admind_accounts_writer, &a);
}


static int
admind_accounts_delete(admind_req_t *r)
{
    admind_accounts_op_t  a;

    memset(&a, 0, sizeof(a));

    return admind_writer_delete(r, &admind_accounts_writer, &a);
}


/*
 * Puts an account back in rotation at once: the gateway's cooldown,
 * circuit and health are its own (Redis), so the reset is there; the
 * audit row records the state before and after.
 */
static int
admind_accounts_reset(admind_req_t *r)
{
    char       err[ADMIND_ERRLEN];
    MYSQL     *mysql;
    json_t    *before, *after;
    uint64_t   id;

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        return r->status;
    }

    before = NULL;
    after = NULL;

    if (admind_resource_load_answer(r, &admind_accounts_resource, mysql, id,
                                    &before)
        != ADMIND_OK)
    {
        goto undo;
    }

    if (admind_account_state_reset(id, err, sizeof(err)) != ADMIND_OK) {
        admind_log(ADMIND_LOG_ERROR, "account reset failed",
                   "id", json_string(r->id),
                   "error", admind_log_str(err), NULL);
        admind_resp_error(r, 503, "unavailable", "the hot state is "
                          "unavailable, try again later");
        goto undo;
    }

    if (admind_resource_load(mysql, &admind_accounts_resource, id, &after,
                             err, sizeof(err))
        != ADMIND_OK
        || admind_audit_write(mysql, r, "reset", "account", id, before,
                              after, err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    json_decref(before);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(after);
        return r->status;
    }

    return admind_resp_json(r, 200, after);

failed:

    admind_resource_db_error(r, &admind_accounts_resource, err);

undo:

    json_decref(before);
    json_decref(after);
    admind_resource_rollback(mysql);

    return r->status;
}


/*
 * An OAuth account's tokens refreshed now, by an admin: after failures
 * set it to error, or to check the refresh token.  The answer is the
 * account as it is after; the provider's refusal is a 502.
 */
static int
admind_accounts_refresh(admind_req_t *r)
{
    int        rc;
    char       err[ADMIND_ERRLEN];
    MYSQL     *mysql;
    json_t    *before;
    uint64_t   id;

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return r->status;
    }

    if (admind_resource_load_answer(r, &admind_accounts_resource, mysql, id,
                                    &before)
        != ADMIND_OK)
    {
        return r->status;
    }

    if (!json_is_true(json_object_get(before, "hasRefreshToken"))) {
        json_decref(before);
        return admind_resp_error(r, 400, "invalid_argument", "account %llu "
                                 "has no refresh token to refresh with",
                                 (unsigned long long) id);
    }

    rc = admind_oauth_refresh_account(mysql, id, err, sizeof(err));

    switch (rc) {
    case ADMIND_OK:
        if (admind_audit_write(mysql, r, "refresh", "account", id, before,
                               NULL, err, sizeof(err))
            != ADMIND_OK)
        {
            admind_log(ADMIND_LOG_WARN, "account refresh not audited",
                       "id", json_string(r->id),
                       "error", admind_log_str(err), NULL);
        }

        json_decref(before);
        return admind_resource_get(r, &admind_accounts_resource);

    case ADMIND_BUSY:
        json_decref(before);
        return admind_resp_error(r, 409, "conflict", "%s", err);

    default:
        json_decref(before);
        return admind_resp_error(r, 502, "bad_gateway", "the refresh "
                                 "failed: %s", err);
    }
}
