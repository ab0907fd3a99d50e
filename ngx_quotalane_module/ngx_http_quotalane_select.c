/*
 * Account selection: one EVALSHA of the select script, then the picked
 * account's credential is decrypted (cached per worker by account id and
 * credential version) and the upstream request is prepared.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


#define NGX_HTTP_QUOTALANE_CRED_CACHE_MAX  4096
#define NGX_HTTP_QUOTALANE_OAUTH_BETA      "oauth-2025-04-20"


/* Decrypted credentials, per worker: never in shared memory or logs. */
typedef struct {
    ngx_str_node_t             sn;       /* "id:version" */
    ngx_str_t                  secret;
} ngx_http_quotalane_cred_t;


/* The select script's fields of the picked account, in reply order. */
#define NGX_HTTP_QUOTALANE_PICK_FIELDS  10

typedef struct {
    ngx_str_node_t             sn;       /* binding */
    ngx_str_t                  fields[NGX_HTTP_QUOTALANE_PICK_FIELDS];
} ngx_http_quotalane_pick_t;


static ngx_rbtree_t       ngx_http_quotalane_creds;
static ngx_rbtree_node_t  ngx_http_quotalane_creds_sentinel;
static ngx_uint_t         ngx_http_quotalane_ncreds;

static ngx_rbtree_t       ngx_http_quotalane_picks;
static ngx_rbtree_node_t  ngx_http_quotalane_picks_sentinel;


#define NGX_HTTP_QUOTALANE_SELECT_KEYS  3
#define NGX_HTTP_QUOTALANE_SELECT_ARGS  27


typedef struct {
    const char                *argv[NGX_HTTP_QUOTALANE_SELECT_ARGS];
    size_t                     argvlen[NGX_HTTP_QUOTALANE_SELECT_ARGS];
    int                        n;
} ngx_http_quotalane_args_t;


static void
ngx_http_quotalane_arg(ngx_http_quotalane_args_t *a, u_char *p, size_t len)
{
    a->argv[a->n] = (const char *) p;
    a->argvlen[a->n] = len;
    a->n++;
}


/* A decimal field of the key record, "0" (no limit, no binding) if unset. */
static void
ngx_http_quotalane_arg_num(ngx_http_quotalane_args_t *a, ngx_str_t *s)
{
    if (s->len == 0) {
        ngx_http_quotalane_arg(a, (u_char *) "0", 1);
        return;
    }

    ngx_http_quotalane_arg(a, s->data, s->len);
}


/* Formats into pool memory and adds the result as an argument. */
static ngx_int_t
ngx_http_quotalane_arg_fmt(ngx_http_quotalane_args_t *a, ngx_pool_t *pool,
    const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;

    p = ngx_pnalloc(pool, NGX_INT64_LEN + 8);
    if (p == NULL) {
        return NGX_ERROR;
    }

    va_start(args, fmt);
    last = ngx_vslprintf(p, p + NGX_INT64_LEN + 8, fmt, args);
    va_end(args);

    ngx_http_quotalane_arg(a, p, last - p);

    return NGX_OK;
}


ngx_msec_t
ngx_http_quotalane_now_ms(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (ngx_msec_t) tp->sec * 1000 + tp->msec;
}


/*
 * Cost-limit periods: the UTC day number, and the key's week number
 * (weeks start Monday 00:00 UTC plus the key's reset hour; 1970-01-05 was
 * a Monday).
 */
void
ngx_http_quotalane_periods(ngx_http_quotalane_key_t *key, time_t now,
    time_t *day, time_t *week)
{
    *day = now / 86400;
    *week = (now - 4 * 86400 - key->weekly_reset * 3600) / (7 * 86400);
}


ngx_int_t
ngx_http_quotalane_select(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_http_quotalane_redis_handler_pt handler)
{
    u_char                          *p, *pool_key, *key_key, *synced;
    size_t                           name_len;
    time_t                           day, week;
    ngx_time_t                      *tp;
    ngx_msec_int_t                   now;
    ngx_http_quotalane_key_t        *key = &ctx->key;
    ngx_http_quotalane_args_t        a;
    ngx_http_quotalane_main_conf_t  *qmcf;

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    name_len = ngx_strlen(ctx->platform->name);

    pool_key = ngx_pnalloc(r->pool, 3 * qmcf->prefix.len
                                    + sizeof("accounts:") - 1 + name_len
                                    + sizeof("key:") - 1
                                    + sizeof(ctx->digest)
                                    + sizeof("synced") - 1);
    if (pool_key == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(pool_key, qmcf->prefix.data, qmcf->prefix.len);
    p = ngx_cpymem(p, "accounts:", sizeof("accounts:") - 1);
    p = ngx_cpymem(p, ctx->platform->name, name_len);

    key_key = p;
    p = ngx_cpymem(p, qmcf->prefix.data, qmcf->prefix.len);
    p = ngx_cpymem(p, "key:", sizeof("key:") - 1);
    p = ngx_cpymem(p, ctx->digest, sizeof(ctx->digest));

    synced = p;
    p = ngx_cpymem(p, qmcf->prefix.data, qmcf->prefix.len);
    p = ngx_cpymem(p, "synced", sizeof("synced") - 1);

    tp = ngx_timeofday();
    now = (ngx_msec_int_t) tp->sec * 1000 + tp->msec;

    ngx_http_quotalane_periods(key, tp->sec, &day, &week);

    a.n = 0;

    /* KEYS, then ARGV in select.lua's order */
    ngx_http_quotalane_arg(&a, pool_key, key_key - pool_key);
    ngx_http_quotalane_arg(&a, key_key, synced - key_key);
    ngx_http_quotalane_arg(&a, synced, p - synced);
    ngx_http_quotalane_arg(&a, qmcf->prefix.data, qmcf->prefix.len);
    ngx_http_quotalane_arg(&a, (u_char *) ctx->platform->name, name_len);
    ngx_http_quotalane_arg_num(&a, &key->account_id);
    ngx_http_quotalane_arg_num(&a, &key->group_id);

    if (ngx_http_quotalane_arg_fmt(&a, r->pool, "%M", now) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_quotalane_arg(&a, ctx->request_id, sizeof(ctx->request_id));
    ngx_http_quotalane_arg(&a, key->id.data, key->id.len);

    if (ngx_http_quotalane_arg_fmt(&a, r->pool, "%i", key->concurrency_limit)
        != NGX_OK
        || ngx_http_quotalane_arg_fmt(&a, r->pool, "%M", qmcf->lease_time)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_quotalane_arg(&a, ctx->session,
                           ctx->has_session ? sizeof(ctx->session) : 0);

    if (ngx_http_quotalane_arg_fmt(&a, r->pool, "%T", qmcf->session_ttl)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_quotalane_arg(&a, ctx->excluded.data, ctx->excluded.len);
    ngx_http_quotalane_arg_num(&a, &key->rate_window);
    ngx_http_quotalane_arg_num(&a, &key->rate_requests);
    ngx_http_quotalane_arg_num(&a, &key->rate_tokens);
    ngx_http_quotalane_arg_num(&a, &key->rate_cost);
    ngx_http_quotalane_arg_num(&a, &key->daily_cost_limit);

    if (ngx_http_quotalane_arg_fmt(&a, r->pool, "%T", day) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_quotalane_arg_num(&a, &key->weekly_cost_limit);

    if (ngx_http_quotalane_arg_fmt(&a, r->pool, "%T", week) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_quotalane_arg_num(&a, &key->total_cost_limit);
    ngx_http_quotalane_arg_num(&a, &key->quota_limit);
    ngx_http_quotalane_arg_num(&a, &key->quota_bucket);
    ngx_http_quotalane_arg_num(&a, &key->user_id);

    ctx->op = ngx_http_quotalane_redis_eval(qmcf->select_script,
                                            NGX_HTTP_QUOTALANE_SELECT_KEYS, a.n,
                                            a.argv, a.argvlen, handler, ctx);

    return ctx->op ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_http_quotalane_reply_str(ngx_pool_t *pool, redisReply *e, ngx_str_t *s)
{
    if (e->type != REDIS_REPLY_STRING) {
        ngx_str_null(s);
        return NGX_OK;
    }

    s->data = ngx_pnalloc(pool, e->len);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, e->str, e->len);
    s->len = e->len;

    return NGX_OK;
}


static void
ngx_http_quotalane_free_tree(ngx_rbtree_t *tree, ngx_uint_t secrets)
{
    ngx_rbtree_node_t          *node;
    ngx_http_quotalane_cred_t  *cred;

    if (tree->root == NULL) {
        return;
    }

    while (tree->root != tree->sentinel) {
        node = ngx_rbtree_min(tree->root, tree->sentinel);
        ngx_rbtree_delete(tree, node);

        if (secrets) {
            cred = (ngx_http_quotalane_cred_t *) node;
            ql_wipe(cred->secret.data, cred->secret.len);
        }

        ngx_free(node);
    }
}


/* Worker exit: decrypted credentials are wiped, not left to the OS. */
void
ngx_http_quotalane_select_exit_process(void)
{
    ngx_http_quotalane_free_tree(&ngx_http_quotalane_creds, 1);
    ngx_http_quotalane_free_tree(&ngx_http_quotalane_picks, 0);
    ngx_http_quotalane_ncreds = 0;
}


/* Fills ctx->account from the picked account's record fields. */
static ngx_int_t
ngx_http_quotalane_select_account(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_str_t *f)
{
    ngx_http_quotalane_account_t  *a = &ctx->account;

    a->id = f[0];
    a->type = f[1];
    a->scheme = f[2];
    a->host = f[3];
    a->path_prefix = f[5];
    a->auth = (f[6].len == 6 && ngx_strncmp(f[6].data, "bearer", 6) == 0)
              ? NGX_HTTP_QUOTALANE_AUTH_BEARER
              : NGX_HTTP_QUOTALANE_AUTH_X_API_KEY;
    a->envelope = f[7];
    a->cred_version = f[8];
    a->degraded = (f[9].len == 1 && f[9].data[0] == '1');

    if (a->id.len == 0 || a->host.len == 0 || f[4].len == 0
        || a->envelope.len == 0
        || ngx_parse_addr_port(r->pool, &a->addr, f[4].data, f[4].len)
           != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "quotalane: account \"%V\" has an incomplete or bad "
                      "record (address \"%V\")", &a->id, &f[4]);
        ctx->error_kind = QL_ERR_API;
        ctx->error_message = "The picked upstream account is misconfigured.";
        return NGX_DECLINED;
    }

    a->addr.name = f[4];

    return NGX_OK;
}


/* "platform|account|group": what the pick depended on, for the fallback. */
static ngx_int_t
ngx_http_quotalane_binding(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_str_t *name)
{
    name->len = ngx_strlen(ctx->platform->name) + 2
                + ctx->key.account_id.len + ctx->key.group_id.len;
    name->data = ngx_pnalloc(r->pool, name->len);
    if (name->data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(name->data, "%s|%V|%V", ctx->platform->name,
                &ctx->key.account_id, &ctx->key.group_id);

    return NGX_OK;
}


/*
 * Remembers the last account picked per binding in this worker, so that
 * with `quotalane_redis_fail cache` requests still flow while Redis is
 * down.
 */
static void
ngx_http_quotalane_remember_pick(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_str_t *f)
{
    u_char                          *p;
    size_t                           size;
    uint32_t                         hash;
    ngx_str_t                        name;
    ngx_uint_t                       i;
    ngx_http_quotalane_pick_t       *pick, *old;
    ngx_http_quotalane_main_conf_t  *qmcf;

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    if (qmcf->redis_fail != NGX_HTTP_QUOTALANE_REDIS_FAIL_CACHE
        || ngx_http_quotalane_binding(r, ctx, &name) != NGX_OK)
    {
        return;
    }

    if (ngx_http_quotalane_picks.root == NULL) {
        ngx_rbtree_init(&ngx_http_quotalane_picks,
                        &ngx_http_quotalane_picks_sentinel,
                        ngx_str_rbtree_insert_value);
    }

    size = sizeof(ngx_http_quotalane_pick_t) + name.len;
    for (i = 0; i < NGX_HTTP_QUOTALANE_PICK_FIELDS; i++) {
        size += f[i].len;
    }

    pick = ngx_alloc(size, r->connection->log);
    if (pick == NULL) {
        return;
    }

    p = (u_char *) pick + sizeof(ngx_http_quotalane_pick_t);

    for (i = 0; i < NGX_HTTP_QUOTALANE_PICK_FIELDS; i++) {
        pick->fields[i].data = p;
        pick->fields[i].len = f[i].len;
        p = ngx_cpymem(p, f[i].data, f[i].len);
    }

    pick->sn.str.data = p;
    pick->sn.str.len = name.len;
    ngx_memcpy(p, name.data, name.len);

    hash = ngx_crc32_short(name.data, name.len);
    pick->sn.node.key = hash;

    old = (ngx_http_quotalane_pick_t *)
              ngx_str_rbtree_lookup(&ngx_http_quotalane_picks, &name, hash);
    if (old) {
        ngx_rbtree_delete(&ngx_http_quotalane_picks, &old->sn.node);
        ngx_free(old);
    }

    ngx_rbtree_insert(&ngx_http_quotalane_picks, &pick->sn.node);
}


ngx_int_t
ngx_http_quotalane_select_fallback(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ngx_str_t                        name;
    ngx_http_quotalane_pick_t       *pick;
    ngx_http_quotalane_main_conf_t  *qmcf;

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    if (qmcf->redis_fail != NGX_HTTP_QUOTALANE_REDIS_FAIL_CACHE
        || ngx_http_quotalane_picks.root == NULL
        || ngx_http_quotalane_binding(r, ctx, &name) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    pick = (ngx_http_quotalane_pick_t *)
               ngx_str_rbtree_lookup(&ngx_http_quotalane_picks, &name,
                                     ngx_crc32_short(name.data, name.len));
    if (pick == NULL) {
        return NGX_DECLINED;
    }

    return ngx_http_quotalane_select_account(r, ctx, pick->fields);
}


/* What the select script said was over its limit, for the client. */
static const char *
ngx_http_quotalane_limit_message(redisReply *what)
{
    static const struct {
        const char  *what;
        const char  *message;
    } messages[] = {
        { "concurrency", "Too many concurrent requests for this API key." },
        { "requests", "Request rate limit exceeded for this API key." },
        { "tokens", "Token rate limit exceeded for this API key." },
        { "cost", "Spending rate limit exceeded for this API key." },
        { "daily", "Daily cost limit reached for this API key." },
        { "weekly", "Weekly cost limit reached for this API key." },
        { "total", "Total cost limit reached for this API key." },
        { "plan", "Your plan's quota is used up for this period." },
    };

    ngx_uint_t  i;

    if (what->type == REDIS_REPLY_STRING) {
        for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
            if (ngx_strlen(messages[i].what) == what->len
                && ngx_strncmp(messages[i].what, what->str, what->len) == 0)
            {
                return messages[i].message;
            }
        }
    }

    return "Limit reached for this API key.";
}


/* Fills ctx->account from the script's reply, or sets the error. */
ngx_int_t
ngx_http_quotalane_select_reply(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, redisReply *reply)
{
    ngx_str_t                        f[NGX_HTTP_QUOTALANE_PICK_FIELDS];
    ngx_int_t                        rc;
    ngx_uint_t                       i;
    redisReply                      *status;
    ngx_http_quotalane_main_conf_t  *qmcf;

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "quotalane: select script failed: %*s",
                      reply->len, reply->str);
        return NGX_ERROR;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_STRING)
    {
        return NGX_ERROR;
    }

    status = reply->element[0];

    if (status->len == 4 && ngx_strncmp(status->str, "none", 4) == 0) {
        ctx->error_kind = QL_ERR_UNAVAILABLE;
        ctx->error_message = "No upstream account is available for this "
                             "request.";
        return NGX_OK;
    }

    if (status->len == 7 && ngx_strncmp(status->str, "revoked", 7) == 0) {
        /* the cached record is out of date: forget it in every worker */
        ngx_http_quotalane_cache_put(qmcf->key_cache, ctx->digest,
                                     sizeof(ctx->digest), NULL);
        ctx->error_kind = QL_ERR_AUTHENTICATION;
        ctx->error_message = "Invalid API key.";
        return NGX_OK;
    }

    if (status->len == 10 && ngx_strncmp(status->str, "rebuilding", 10) == 0)
    {
        ctx->error_kind = QL_ERR_UNAVAILABLE;
        ctx->error_message = "The gateway's state is being rebuilt; try "
                             "again shortly.";
        return NGX_OK;
    }

    if (status->len == 4 && ngx_strncmp(status->str, "busy", 4) == 0) {
        ctx->error_kind = QL_ERR_OVERLOADED;
        ctx->error_message = "All upstream accounts are busy; try again "
                             "shortly.";
        return NGX_OK;
    }

    if (status->len == 7 && ngx_strncmp(status->str, "limited", 7) == 0
        && reply->elements == 3
        && reply->element[2]->type == REDIS_REPLY_INTEGER)
    {
        ctx->error_kind = QL_ERR_RATE_LIMIT;
        ctx->error_message = ngx_http_quotalane_limit_message(
                                 reply->element[1]);
        ctx->retry_after = (ngx_uint_t) ngx_max(reply->element[2]->integer,
                                                1);
        return NGX_OK;
    }

    if (status->len == 5 && ngx_strncmp(status->str, "quota", 5) == 0
        && reply->elements == 2)
    {
        ctx->error_kind = QL_ERR_BILLING;
        ctx->error_message = ngx_http_quotalane_limit_message(
                                 reply->element[1]);
        return NGX_OK;
    }

    if (status->len != 2 || ngx_strncmp(status->str, "ok", 2) != 0
        || reply->elements != 1 + NGX_HTTP_QUOTALANE_PICK_FIELDS)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_HTTP_QUOTALANE_PICK_FIELDS; i++) {
        if (ngx_http_quotalane_reply_str(r->pool, reply->element[i + 1],
                                         &f[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* the slots are ours from here on, whatever happens next */
    ctx->account.id = f[0];
    if (ctx->account.id.len == 0
        || ngx_http_quotalane_lease_start(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_http_quotalane_select_account(r, ctx, f);

    if (rc == NGX_OK) {
        ngx_http_quotalane_remember_pick(r, ctx, f);
    }

    return (rc == NGX_ERROR) ? NGX_ERROR : NGX_OK;
}


static ngx_str_t *
ngx_http_quotalane_credential(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    ngx_str_t  *envelope = &ctx->account.envelope;
    ngx_str_t  *version = &ctx->account.cred_version;

    u_char                          *p;
    size_t                           len;
    uint32_t                         hash;
    ngx_str_t                        name;
    ngx_http_quotalane_cred_t       *cred;
    ngx_http_quotalane_main_conf_t  *qmcf;

    if (ngx_http_quotalane_creds.root == NULL) {
        ngx_rbtree_init(&ngx_http_quotalane_creds,
                        &ngx_http_quotalane_creds_sentinel,
                        ngx_str_rbtree_insert_value);
    }

    name.len = ctx->account.id.len + 1 + version->len;
    name.data = ngx_pnalloc(r->pool, name.len);
    if (name.data == NULL) {
        return NULL;
    }

    p = ngx_cpymem(name.data, ctx->account.id.data, ctx->account.id.len);
    *p++ = ':';
    ngx_memcpy(p, version->data, version->len);

    hash = ngx_crc32_short(name.data, name.len);

    cred = (ngx_http_quotalane_cred_t *)
               ngx_str_rbtree_lookup(&ngx_http_quotalane_creds, &name, hash);
    if (cred) {
        return &cred->secret;
    }

    if (envelope->len < QL_ENVELOPE_OVERHEAD) {
        return NULL;
    }

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    len = envelope->len - QL_ENVELOPE_OVERHEAD;

    cred = ngx_alloc(sizeof(ngx_http_quotalane_cred_t) + name.len + len,
                     r->connection->log);
    if (cred == NULL) {
        return NULL;
    }

    cred->secret.data = (u_char *) cred + sizeof(ngx_http_quotalane_cred_t);
    cred->sn.str.data = cred->secret.data + len;

    if (ql_envelope_open(qmcf->master_key, ctx->account.id.data,
                         ctx->account.id.len, envelope->data, envelope->len,
                         cred->secret.data, &cred->secret.len)
        != 0)
    {
        ngx_free(cred);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "quotalane: credential of account \"%V\" does not "
                      "decrypt under the configured master key",
                      &ctx->account.id);
        return NULL;
    }

    /* bounded: past the cap, decrypt on every request instead */
    if (ngx_http_quotalane_ncreds >= NGX_HTTP_QUOTALANE_CRED_CACHE_MAX) {
        p = ngx_pnalloc(r->pool, cred->secret.len);
        if (p == NULL) {
            ql_wipe(cred->secret.data, cred->secret.len);
            ngx_free(cred);
            return NULL;
        }

        ngx_memcpy(p, cred->secret.data, cred->secret.len);
        ctx->account.credential.data = p;
        ctx->account.credential.len = cred->secret.len;
        ql_wipe(cred->secret.data, cred->secret.len);
        ngx_free(cred);
        return &ctx->account.credential;
    }

    ngx_memcpy(cred->sn.str.data, name.data, name.len);
    cred->sn.str.len = name.len;
    cred->sn.node.key = hash;
    ngx_rbtree_insert(&ngx_http_quotalane_creds, &cred->sn.node);
    ngx_http_quotalane_ncreds++;

    return &cred->secret;
}


/*
 * /api/v1/messages and /claude/v1/messages go upstream as /v1/messages,
 * with only the query parameters the vendor takes.
 */
static ngx_int_t
ngx_http_quotalane_upstream_uri(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    u_char     *p;
    size_t      escape;
    ngx_str_t   path, args;
    ngx_str_t  *prefix = &ctx->account.path_prefix;

    ngx_http_quotalane_route_path(r, &path);

    if (ngx_http_quotalane_route_args(r, ctx, &args) != NGX_OK) {
        return NGX_ERROR;
    }

    escape = 2 * ngx_escape_uri(NULL, path.data, path.len, NGX_ESCAPE_URI);

    ctx->upstream_uri.data = ngx_pnalloc(r->pool, prefix->len + path.len
                                                  + escape + 1 + args.len);
    if (ctx->upstream_uri.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(ctx->upstream_uri.data, prefix->data, prefix->len);

    if (escape) {
        p = (u_char *) ngx_escape_uri(p, path.data, path.len,
                                      NGX_ESCAPE_URI);

    } else {
        p = ngx_cpymem(p, path.data, path.len);
    }

    if (args.len) {
        *p++ = '?';
        p = ngx_cpymem(p, args.data, args.len);
    }

    ctx->upstream_uri.len = p - ctx->upstream_uri.data;

    return NGX_OK;
}


/*
 * The client's anthropic-beta values, joined; OAuth accounts also need
 * the oauth beta, added once.
 */
static ngx_int_t
ngx_http_quotalane_anthropic_beta(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    u_char           *p;
    size_t            len;
    ngx_uint_t        i, need_oauth;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    need_oauth = (ctx->account.auth == NGX_HTTP_QUOTALANE_AUTH_BEARER);
    len = need_oauth ? sizeof(NGX_HTTP_QUOTALANE_OAUTH_BETA) : 0;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;
        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == 14
                && ngx_strncasecmp(h[i].key.data, (u_char *) "anthropic-beta",
                                   14) == 0)
            {
                len += h[i].value.len + 1;
            }
        }
    }

    if (len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->upstream_anthropic_beta.data = p;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;
        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len != 14
                || ngx_strncasecmp(h[i].key.data, (u_char *) "anthropic-beta",
                                   14) != 0
                || h[i].value.len == 0)
            {
                continue;
            }

            if (p != ctx->upstream_anthropic_beta.data) {
                *p++ = ',';
            }

            p = ngx_cpymem(p, h[i].value.data, h[i].value.len);

            if (ngx_strlcasestrn(h[i].value.data,
                                 h[i].value.data + h[i].value.len,
                                 (u_char *) NGX_HTTP_QUOTALANE_OAUTH_BETA,
                                 sizeof(NGX_HTTP_QUOTALANE_OAUTH_BETA) - 2))
            {
                need_oauth = 0;
            }
        }
    }

    if (need_oauth) {
        if (p != ctx->upstream_anthropic_beta.data) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, NGX_HTTP_QUOTALANE_OAUTH_BETA,
                       sizeof(NGX_HTTP_QUOTALANE_OAUTH_BETA) - 1);
    }

    ctx->upstream_anthropic_beta.len = p - ctx->upstream_anthropic_beta.data;

    return NGX_OK;
}


ngx_int_t
ngx_http_quotalane_select_prepare(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx)
{
    u_char     *p;
    ngx_str_t  *secret;

    secret = ngx_http_quotalane_credential(r, ctx);
    if (secret == NULL) {
        ctx->error_kind = QL_ERR_API;
        ctx->error_message = "The picked upstream account's credential "
                             "cannot be used.";
        return NGX_DECLINED;
    }

    ctx->account.credential = *secret;

    if (ctx->account.auth == NGX_HTTP_QUOTALANE_AUTH_BEARER) {
        p = ngx_pnalloc(r->pool, sizeof("Bearer ") - 1 + secret->len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ctx->upstream_authorization.data = p;
        p = ngx_cpymem(p, "Bearer ", sizeof("Bearer ") - 1);
        p = ngx_cpymem(p, secret->data, secret->len);
        ctx->upstream_authorization.len = p - ctx->upstream_authorization.data;

    } else {
        ctx->upstream_x_api_key = *secret;
    }

    if (ngx_http_quotalane_upstream_uri(r, ctx) != NGX_OK
        || ngx_http_quotalane_anthropic_beta(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}
