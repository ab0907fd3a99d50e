/*
 * API keys: where a client puts its key, the key record published by
 * admind (proto/redis_layout.md), and the per-key policy checks.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"
#include "ql_model_rule.h"


/* reply fields by the names key.lua knows them by: REPLY_ID, ... */
#define ngx_http_quotalane_field(f, name)                                     \
    (f)[NGX_HTTP_QUOTALANE_KEY_##name]

/*
 * The record's field names, asked in reply order (key.lua's REPLY_
 * positions); the serialized record keeps it.
 */
static const char  *ngx_http_quotalane_key_fields[] = {
    [NGX_HTTP_QUOTALANE_KEY_REPLY_ID] = "id",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_USER_ID] = "user_id",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_STATUS] = "status",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_EXPIRES_AT] = "expires_at",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_PERMISSIONS] = "permissions",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_ALLOWED_CLIENTS] = "allowed_clients",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_BLOCKED_MODELS] = "blocked_models",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_CONCURRENCY_LIMIT] = "concurrency_limit",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_ACCOUNT_ID] = "account_id",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_GROUP_ID] = "group_id",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_RATE_WINDOW] = "rate_window",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_RATE_REQUESTS] = "rate_requests",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_RATE_TOKENS] = "rate_tokens",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_RATE_COST] = "rate_cost",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_DAILY_COST_LIMIT] = "daily_cost_limit",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_WEEKLY_COST_LIMIT] = "weekly_cost_limit",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_WEEKLY_RESET] = "weekly_reset",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_TOTAL_COST_LIMIT] = "total_cost_limit",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_QUOTA_LIMIT] = "quota_limit",
    [NGX_HTTP_QUOTALANE_KEY_REPLY_QUOTA_BUCKET] = "quota_bucket"
};

#define NGX_HTTP_QUOTALANE_KEY_NFIELDS  NGX_HTTP_QUOTALANE_KEY_NREPLY
#define NGX_HTTP_QUOTALANE_KEY_NARGS                                          \
    (NGX_HTTP_QUOTALANE_KEY_ARG_FIELDS + NGX_HTTP_QUOTALANE_KEY_NFIELDS)

#define NGX_HTTP_QUOTALANE_NIL  0xffffffff


static ngx_table_elt_t *
ngx_http_quotalane_find_header(ngx_http_request_t *r, const char *name,
    size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


/*
 * x-api-key, else the header the platform's own clients send the key in
 * (Gemini's x-goog-api-key, Azure's api-key), else Authorization: Bearer.
 * Never the query string: keys in URLs end up in logs and proxies.
 */
ngx_int_t
ngx_http_quotalane_key_extract(ngx_http_request_t *r, ngx_str_t *key)
{
    ngx_table_elt_t                *h;
    ngx_http_quotalane_loc_conf_t  *qlcf;

    h = ngx_http_quotalane_find_header(r, "x-api-key", 9);
    if (h && h->value.len) {
        *key = h->value;
        return NGX_OK;
    }

    qlcf = ngx_http_get_module_loc_conf(r, ngx_http_quotalane_module);

    if (qlcf->platform->id == QL_PLATFORM_GEMINI) {
        h = ngx_http_quotalane_find_header(r, "x-goog-api-key", 14);

    } else if (ngx_strcmp(qlcf->pool->name, "azure") == 0) {
        h = ngx_http_quotalane_find_header(r, "api-key", 7);

    } else {
        h = NULL;
    }

    if (h && h->value.len) {
        *key = h->value;
        return NGX_OK;
    }

    h = r->headers_in.authorization;

    if (h && h->value.len > 7
        && ngx_strncasecmp(h->value.data, (u_char *) "Bearer ", 7) == 0)
    {
        key->data = h->value.data + 7;
        key->len = h->value.len - 7;

        while (key->len && key->data[0] == ' ') {
            key->data++;
            key->len--;
        }

        if (key->len) {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_quotalane_key_fetch(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_http_quotalane_redis_handler_pt handler)
{
    u_char                          *p;
    ngx_uint_t                       i;
    const char                      *args[NGX_HTTP_QUOTALANE_KEY_NARGS];
    size_t                           argslen[NGX_HTTP_QUOTALANE_KEY_NARGS];
    ngx_http_quotalane_main_conf_t  *qmcf;

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    p = ngx_pnalloc(r->pool, 2 * qmcf->prefix.len + sizeof("key:") - 1
                             + sizeof(ctx->digest) + sizeof("synced") - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_quotalane_field(args, KEY_RECORD) = (const char *) p;
    p = ngx_cpymem(p, qmcf->prefix.data, qmcf->prefix.len);
    p = ngx_cpymem(p, "key:", 4);
    p = ngx_cpymem(p, ctx->digest, sizeof(ctx->digest));
    ngx_http_quotalane_field(argslen, KEY_RECORD) =
        p - (u_char *) ngx_http_quotalane_field(args, KEY_RECORD);

    ngx_http_quotalane_field(args, KEY_SYNCED) = (const char *) p;
    p = ngx_cpymem(p, qmcf->prefix.data, qmcf->prefix.len);
    p = ngx_cpymem(p, "synced", sizeof("synced") - 1);
    ngx_http_quotalane_field(argslen, KEY_SYNCED) =
        p - (u_char *) ngx_http_quotalane_field(args, KEY_SYNCED);

    for (i = 0; i < NGX_HTTP_QUOTALANE_KEY_NFIELDS; i++) {
        args[NGX_HTTP_QUOTALANE_KEY_ARG_FIELDS + i] =
            ngx_http_quotalane_key_fields[i];
        argslen[NGX_HTTP_QUOTALANE_KEY_ARG_FIELDS + i] =
            ngx_strlen(ngx_http_quotalane_key_fields[i]);
    }

    ctx->op = ngx_http_quotalane_redis_eval(qmcf->key_script,
                                            NGX_HTTP_QUOTALANE_KEY_NKEYS,
                                            NGX_HTTP_QUOTALANE_KEY_NARGS,
                                            args, argslen, handler, ctx);

    return ctx->op ? NGX_OK : NGX_DECLINED;
}


/*
 * Serializes the key script's reply as length-prefixed fields, the form
 * kept in the L1 cache.  NGX_DECLINED: no such key; NGX_BUSY: the hot
 * state is being rebuilt, no verdict yet.
 */
ngx_int_t
ngx_http_quotalane_key_record_from_reply(ngx_pool_t *pool, redisReply *reply,
    ngx_str_t *record)
{
    u_char      *p;
    size_t       size;
    uint32_t     len;
    ngx_uint_t   i;
    redisReply  *e;

    if ((reply->type == REDIS_REPLY_STRING
         || reply->type == REDIS_REPLY_STATUS)
        && reply->len == 10 && ngx_strncmp(reply->str, "rebuilding", 10) == 0)
    {
        return NGX_BUSY;
    }

    if (reply->type != REDIS_REPLY_ARRAY
        || reply->elements != NGX_HTTP_QUOTALANE_KEY_NFIELDS)
    {
        return NGX_ERROR;
    }

    if (reply->element[NGX_HTTP_QUOTALANE_KEY_REPLY_ID]->type
        != REDIS_REPLY_STRING)
    {
        return NGX_DECLINED;
    }

    size = 0;
    for (i = 0; i < reply->elements; i++) {
        e = reply->element[i];
        size += sizeof(uint32_t)
                + (e->type == REDIS_REPLY_STRING ? e->len : 0);
    }

    record->data = ngx_pnalloc(pool, size);
    if (record->data == NULL) {
        return NGX_ERROR;
    }

    p = record->data;

    for (i = 0; i < reply->elements; i++) {
        e = reply->element[i];
        len = (e->type == REDIS_REPLY_STRING) ? (uint32_t) e->len
                                              : NGX_HTTP_QUOTALANE_NIL;
        p = ngx_cpymem(p, &len, sizeof(uint32_t));
        if (len != NGX_HTTP_QUOTALANE_NIL) {
            p = ngx_cpymem(p, e->str, len);
        }
    }

    record->len = size;

    return NGX_OK;
}


ngx_int_t
ngx_http_quotalane_key_parse(ngx_str_t *record, ngx_http_quotalane_key_t *key)
{
    u_char      *p, *last;
    uint32_t     len;
    ngx_int_t    n;
    ngx_str_t    f[NGX_HTTP_QUOTALANE_KEY_NFIELDS];
    ngx_uint_t   i;

    p = record->data;
    last = p + record->len;

    for (i = 0; i < NGX_HTTP_QUOTALANE_KEY_NFIELDS; i++) {
        if ((size_t) (last - p) < sizeof(uint32_t)) {
            return NGX_ERROR;
        }

        ngx_memcpy(&len, p, sizeof(uint32_t));
        p += sizeof(uint32_t);

        if (len == NGX_HTTP_QUOTALANE_NIL) {
            ngx_str_null(&f[i]);
            continue;
        }

        if ((size_t) (last - p) < len) {
            return NGX_ERROR;
        }

        f[i].data = p;
        f[i].len = len;
        p += len;
    }

    key->id = ngx_http_quotalane_field(f, REPLY_ID);
    key->user_id = ngx_http_quotalane_field(f, REPLY_USER_ID);
    key->status = ngx_http_quotalane_field(f, REPLY_STATUS);
    n = ngx_atotm(ngx_http_quotalane_field(f, REPLY_EXPIRES_AT).data,
                  ngx_http_quotalane_field(f, REPLY_EXPIRES_AT).len);
    key->expires_at = (n == NGX_ERROR) ? 0 : n;
    key->permissions = ngx_http_quotalane_field(f, REPLY_PERMISSIONS);
    key->allowed_clients = ngx_http_quotalane_field(f, REPLY_ALLOWED_CLIENTS);
    key->blocked_models = ngx_http_quotalane_field(f, REPLY_BLOCKED_MODELS);
    n = ngx_atoi(ngx_http_quotalane_field(f, REPLY_CONCURRENCY_LIMIT).data,
                 ngx_http_quotalane_field(f, REPLY_CONCURRENCY_LIMIT).len);
    key->concurrency_limit = (n == NGX_ERROR) ? 0 : n;
    key->account_id = ngx_http_quotalane_field(f, REPLY_ACCOUNT_ID);
    key->group_id = ngx_http_quotalane_field(f, REPLY_GROUP_ID);
    key->rate_window = ngx_http_quotalane_field(f, REPLY_RATE_WINDOW);
    key->rate_requests = ngx_http_quotalane_field(f, REPLY_RATE_REQUESTS);
    key->rate_tokens = ngx_http_quotalane_field(f, REPLY_RATE_TOKENS);
    key->rate_cost = ngx_http_quotalane_field(f, REPLY_RATE_COST);
    key->daily_cost_limit = ngx_http_quotalane_field(f,
                                                      REPLY_DAILY_COST_LIMIT);
    key->weekly_cost_limit = ngx_http_quotalane_field(f,
                                                       REPLY_WEEKLY_COST_LIMIT);
    n = ngx_atoi(ngx_http_quotalane_field(f, REPLY_WEEKLY_RESET).data,
                 ngx_http_quotalane_field(f, REPLY_WEEKLY_RESET).len);
    key->weekly_reset = (n == NGX_ERROR) ? 0 : n % (7 * 24);
    key->total_cost_limit = ngx_http_quotalane_field(f,
                                                      REPLY_TOTAL_COST_LIMIT);
    key->quota_limit = ngx_http_quotalane_field(f, REPLY_QUOTA_LIMIT);
    key->quota_bucket = ngx_http_quotalane_field(f, REPLY_QUOTA_BUCKET);

    return NGX_OK;
}


/* Whether item is one of the sep-separated entries of list. */
static ngx_uint_t
ngx_http_quotalane_list_has(ngx_str_t *list, u_char sep, u_char *item,
    size_t len)
{
    u_char  *p, *last, *next;

    p = list->data;
    last = p + list->len;

    while (p < last) {
        next = ngx_strlchr(p, last, sep);
        if (next == NULL) {
            next = last;
        }

        if ((size_t) (next - p) == len && ngx_strncmp(p, item, len) == 0) {
            return 1;
        }

        p = next + 1;
    }

    return 0;
}


static ngx_int_t
ngx_http_quotalane_client_allowed(ngx_http_request_t *r, ngx_str_t *list)
{
    u_char               *p, *last, *next;
    u_char                errstr[NGX_MAX_CONF_ERRSTR];
    ngx_str_t            *ua, empty = ngx_null_string;
    ngx_regex_compile_t   rc;

    ua = r->headers_in.user_agent ? &r->headers_in.user_agent->value : &empty;

    p = list->data;
    last = p + list->len;

    for ( /* void */ ; p < last; p = next + 1) {
        next = ngx_strlchr(p, last, '\n');
        if (next == NULL) {
            next = last;
        }

        if (next == p) {
            continue;
        }

        ngx_memzero(&rc, sizeof(ngx_regex_compile_t));
        rc.pattern.data = p;
        rc.pattern.len = next - p;
        rc.pool = r->pool;
        rc.err.len = NGX_MAX_CONF_ERRSTR;
        rc.err.data = errstr;

        if (ngx_regex_compile(&rc) != NGX_OK) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "quotalane: bad client pattern \"%V\": %V",
                          &rc.pattern, &rc.err);
            continue;
        }

        if (ngx_regex_exec(rc.regex, ua, NULL, 0) >= 0) {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_quotalane_key_check(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    const char                *name;
    ngx_http_quotalane_key_t  *key = &ctx->key;

    if (key->status.len != 6
        || ngx_strncmp(key->status.data, "active", 6) != 0)
    {
        ctx->error_kind = QL_ERR_AUTHENTICATION;
        ctx->error_message = "This API key is disabled.";
        return NGX_DECLINED;
    }

    if (key->expires_at && ngx_time() >= key->expires_at) {
        ctx->error_kind = QL_ERR_AUTHENTICATION;
        ctx->error_message = "This API key has expired.";
        return NGX_DECLINED;
    }

    /* the pool's permission: a droid route needs "droid", ccr "claude" */
    name = ctx->pool->permission;

    if (!ngx_http_quotalane_list_has(&key->permissions, ',',
                                     (u_char *) "all", 3)
        && !ngx_http_quotalane_list_has(&key->permissions, ',',
                                        (u_char *) name, ngx_strlen(name)))
    {
        ctx->error_kind = QL_ERR_PERMISSION;
        ctx->error_message = "This API key is not permitted to use this "
                             "platform.";
        return NGX_DECLINED;
    }

    if (key->allowed_clients.len
        && ngx_http_quotalane_client_allowed(r, &key->allowed_clients)
           != NGX_OK)
    {
        ctx->error_kind = QL_ERR_PERMISSION;
        ctx->error_message = "This client is not allowed to use this API "
                             "key.";
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* blocked models are rules, one a line (ql_model_rule.h) */
ngx_int_t
ngx_http_quotalane_key_check_model(ngx_http_quotalane_ctx_t *ctx)
{
    u_char  *p, *last, *next;

    p = ctx->key.blocked_models.data;
    last = p + ctx->key.blocked_models.len;

    while (p < last && ctx->model.len) {
        next = ngx_strlchr(p, last, '\n');
        if (next == NULL) {
            next = last;
        }

        if (ql_model_rule_match(p, next - p, ctx->model.data,
                                ctx->model.len))
        {
            ctx->error_kind = QL_ERR_PERMISSION;
            ctx->error_message = "This API key may not use the requested "
                                 "model.";
            return NGX_DECLINED;
        }

        p = next + 1;
    }

    return NGX_OK;
}
