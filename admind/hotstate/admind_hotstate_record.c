/*
 * QuotaLane admind: hot-state records from MySQL rows.
 *
 * Rows come from admind_db_select(): integers as numbers, DECIMAL as
 * text, binary columns (the credential envelope) as hex.  Every field of
 * a record is written on each HSET, so a record never keeps a stale
 * configuration field, while fields the module writes itself (the
 * account's runtime state) are never named and so stay.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_log.h"
#include "admind_fields.h"
#include "admind_baseurl.h"
#include "admind_outbound.h"
#include "ql_account_type.h"
#include "admind_hotstate_models.h"
#include "admind_cred.h"
#include "admind_hotstate_record.h"


/* a column as Redis text: integers in decimal, NULL as "" */
static const char *
admind_hotstate_text(json_t *row, const char *name, char *buf, size_t size)
{
    json_t  *v;

    v = json_object_get(row, name);

    if (json_is_integer(v)) {
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }

    if (json_is_string(v)) {
        return json_string_value(v);
    }

    return "";
}


static void
admind_hotstate_field(admind_redis_args_t *a, const char *field,
    json_t *row, const char *column)
{
    char  buf[32];

    admind_redis_args_str(a, field);
    admind_redis_args_str(a, admind_hotstate_text(row, column, buf,
                                                  sizeof(buf)));
}


/* how the credential goes upstream: a Bedrock account's by its key id */
static const char *
admind_hotstate_auth(const ql_account_type_t *t, json_t *row)
{
    if (t->auth == QL_AUTH_SIGV4
        && json_string_value(json_object_get(row, "aws_access_key_id"))
           == NULL)
    {
        return "bearer";
    }

    return t->auth_name;
}


/*
 * An id column; IFNULL(BIGINT UNSIGNED, 0) comes back as DECIMAL, that
 * is as a string, so both forms are read.
 */
uint64_t
admind_hotstate_row_id(json_t *row, const char *name)
{
    long long  n;

    if (admind_fields_number(json_object_get(row, name), &n) != ADMIND_OK
        || n < 0)
    {
        return 0;
    }

    return (uint64_t) n;
}


/* a JSON array column (of strings) joined by sep; dflt for SQL NULL */
static char *
admind_hotstate_list(json_t *row, const char *name, const char *dflt,
    char sep)
{
    json_t  *v;

    v = json_object_get(row, name);

    return admind_hotstate_join(json_is_string(v) ? json_string_value(v)
                                                  : dflt, sep, 0);
}


int
admind_hotstate_key_args(const char *prefix, json_t *row,
    admind_redis_args_t *a)
{
    int          rc;
    char        *perms, *clients, *models;
    const char  *hash;

    hash = json_string_value(json_object_get(row, "key_hash"));
    if (hash == NULL || strlen(hash) != QL_APIKEY_DIGEST_HEX) {
        return ADMIND_ERROR;
    }

    perms = admind_hotstate_list(row, "permissions", "[\"all\"]", ',');
    clients = admind_hotstate_list(row, "allowed_clients", "[]", '\n');
    models = admind_hotstate_list(row, "blocked_models", "[]", '\n');

    rc = ADMIND_ERROR;

    if (perms != NULL && clients != NULL && models != NULL) {
        admind_redis_args_str(a, "HSET");
        admind_redis_args_fmt(a, "%skey:%s",
                              prefix, hash);
        admind_hotstate_field(a, "id", row, "id");
        admind_hotstate_field(a, "user_id", row, "user_id");
        admind_hotstate_field(a, "status", row, "status");
        admind_hotstate_field(a, "expires_at", row, "expires_at");
        admind_redis_args_str(a, "permissions");
        admind_redis_args_str(a, perms);
        admind_redis_args_str(a, "allowed_clients");
        admind_redis_args_str(a, clients);
        admind_redis_args_str(a, "blocked_models");
        admind_redis_args_str(a, models);
        admind_hotstate_field(a, "concurrency_limit", row,
                              "concurrency_limit");
        admind_hotstate_field(a, "account_id", row, "account_id");
        admind_hotstate_field(a, "group_id", row, "group_id");
        admind_hotstate_field(a, "rate_window", row, "rate_window");
        admind_hotstate_field(a, "rate_requests", row,
                              "rate_limit_requests");
        admind_hotstate_field(a, "rate_tokens", row, "rate_limit_tokens");
        admind_hotstate_field(a, "rate_cost", row, "rate_limit_cost_micros");
        admind_hotstate_field(a, "daily_cost_limit", row,
                              "daily_cost_limit_micros");
        admind_hotstate_field(a, "weekly_cost_limit", row,
                              "weekly_cost_limit_micros");
        admind_hotstate_field(a, "weekly_reset", row, "weekly_reset_hours");
        admind_hotstate_field(a, "total_cost_limit", row,
                              "total_cost_limit_micros");
        rc = a->failed ? ADMIND_ERROR : ADMIND_OK;
    }

    free(perms);
    free(clients);
    free(models);

    return rc;
}


int
admind_hotstate_account_args(const char *prefix,
    const admind_outbound_allow_t *allow, json_t *row,
    admind_redis_args_t *a, char *err, size_t errlen)
{
    char                      version[ADMIND_CRED_VERSION_LEN + 1];
    char                      detail[ADMIND_ERRLEN];
    char                     *models, *map;
    size_t                    cred_len;
    const char               *type, *base, *hex, *addr;
    unsigned char            *cred;
    admind_baseurl_t          url;
    const ql_account_type_t  *t;

    type = json_string_value(json_object_get(row, "type"));
    t = type ? ql_account_type_by_name((const unsigned char *) type,
                                       strlen(type))
             : NULL;

    /* the gateway could not shape its requests */
    if (t == NULL) {
        snprintf(err, errlen, "account %" JSON_INTEGER_FORMAT ": unknown "
                 "type", json_integer_value(json_object_get(row, "id")));
        return ADMIND_ERROR;
    }

    base = json_string_value(json_object_get(row, "base_url"));
    if (base == NULL) {
        base = t->base_url;
    }

    if (base == NULL
        || admind_baseurl_parse(base, &url, detail, sizeof(detail))
           != ADMIND_OK)
    {
        snprintf(err, errlen, "account %" JSON_INTEGER_FORMAT ": bad base "
                 "URL", json_integer_value(json_object_get(row, "id")));
        return ADMIND_ERROR;
    }

    /* stored under an older policy or a wider allowlist: not any more */
    addr = json_string_value(json_object_get(row, "upstream_addr"));

    if (addr != NULL && addr[0] != '\0'
        && admind_outbound_addr(allow, addr, detail, sizeof(detail))
           != ADMIND_OK)
    {
        snprintf(err, errlen, "account %" JSON_INTEGER_FORMAT ": %s",
                 json_integer_value(json_object_get(row, "id")), detail);
        return ADMIND_ERROR;
    }

    models = admind_hotstate_model_list(json_string_value(
                 json_object_get(row, "supported_models")));
    map = admind_hotstate_model_map(json_string_value(
              json_object_get(row, "model_mapping")));

    if (models == NULL || map == NULL) {
        free(models);
        free(map);
        snprintf(err, errlen, "account %" JSON_INTEGER_FORMAT ": bad model "
                 "list or map", json_integer_value(json_object_get(row, "id")));
        return ADMIND_ERROR;
    }

    cred = NULL;
    cred_len = 0;
    version[0] = '\0';

    hex = json_string_value(json_object_get(row, "credentials_enc"));

    if (hex != NULL) {
        if (admind_cred_unhex(hex, &cred, &cred_len) != ADMIND_OK) {
            free(models);
            free(map);
            snprintf(err, errlen, "out of memory");
            return ADMIND_ERROR;
        }

        admind_cred_version(cred, cred_len, version);
    }

    admind_redis_args_str(a, "HSET");
    admind_redis_args_fmt(a, "%saccount:%" JSON_INTEGER_FORMAT,
                          prefix,
                          json_integer_value(json_object_get(row, "id")));
    admind_hotstate_field(a, "id", row, "id");
    admind_hotstate_field(a, "name", row, "name");
    admind_hotstate_field(a, "type", row, "type");
    admind_hotstate_field(a, "platform", row, "platform");
    admind_hotstate_field(a, "status", row, "status");
    admind_hotstate_field(a, "schedulable", row, "schedulable");
    admind_hotstate_field(a, "priority", row, "priority");
    admind_hotstate_field(a, "concurrency_limit", row, "concurrency_limit");
    admind_hotstate_field(a, "rpm_limit", row, "rpm_limit");
    admind_hotstate_field(a, "tpm_limit", row, "tpm_limit");
    admind_redis_args_str(a, "scheme");
    admind_redis_args_str(a, url.scheme);
    admind_redis_args_str(a, "host");
    admind_redis_args_str(a, url.host_header);
    admind_redis_args_str(a, "addr");
    admind_redis_args_str(a, addr ? addr : "");
    admind_redis_args_str(a, "path_prefix");
    admind_redis_args_str(a, url.path);
    admind_redis_args_str(a, "auth");
    admind_redis_args_str(a, admind_hotstate_auth(t, row));
    admind_redis_args_str(a, "cred");
    admind_redis_args_add(a, cred, cred_len);
    admind_redis_args_str(a, "cred_version");
    admind_redis_args_str(a, version);
    admind_redis_args_str(a, "pools");
    admind_redis_args_str(a, t->pools);
    admind_redis_args_str(a, "endpoints");
    admind_redis_args_str(a, t->endpoints);
    admind_redis_args_str(a, "models");
    admind_redis_args_str(a, models);
    admind_redis_args_str(a, "model_map");
    admind_redis_args_str(a, map);
    admind_hotstate_field(a, "chatgpt_account_id", row,
                          "chatgpt_account_id");
    admind_hotstate_field(a, "project_id", row, "project_id");
    admind_hotstate_field(a, "azure_deployment", row, "azure_deployment");
    admind_hotstate_field(a, "azure_api_version", row, "azure_api_version");
    admind_hotstate_field(a, "aws_region", row, "aws_region");
    admind_hotstate_field(a, "aws_access_key_id", row, "aws_access_key_id");

    if (cred != NULL) {
        ql_wipe(cred, cred_len);
        free(cred);
    }

    free(models);
    free(map);

    if (a->failed) {
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


int
admind_hotstate_put_keys(const char *prefix, json_t *rows,
    admind_hotstate_digests_t *digests, unsigned long *put,
    unsigned long *skipped, char *err, size_t errlen)
{
    void                  *p;
    size_t                 i, cap;
    json_t                *row;
    const char            *hash;
    admind_redis_args_t    a;
    admind_redis_batch_t   b;

    if (json_array_size(rows) == 0) {
        return ADMIND_OK;
    }

    if (admind_redis_batch_begin(&b, 0, err, errlen) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    json_array_foreach(rows, i, row) {
        admind_redis_args_init(&a);

        if (admind_hotstate_key_args(prefix, row, &a) != ADMIND_OK) {
            admind_redis_args_free(&a);
            admind_log(ADMIND_LOG_WARN, "api key row not published",
                       "key_id", json_incref(json_object_get(row, "id")),
                       NULL);
            (*skipped)++;
            continue;
        }

        admind_redis_batch_add(&b, &a);
        admind_redis_args_free(&a);
        (*put)++;

        if (digests == NULL) {
            continue;
        }

        if (digests->n == digests->cap) {
            cap = digests->cap ? digests->cap * 2 : 256;
            p = realloc(digests->v, cap * sizeof(*digests->v));
            if (p == NULL) {
                b.failed = 1;
                snprintf(b.err, sizeof(b.err), "out of memory");
                break;
            }
            digests->v = p;
            digests->cap = cap;
        }

        hash = json_string_value(json_object_get(row, "key_hash"));
        memcpy(digests->v[digests->n++], hash, QL_APIKEY_DIGEST_HEX + 1);
    }

    return admind_redis_batch_end(&b, err, errlen);
}
