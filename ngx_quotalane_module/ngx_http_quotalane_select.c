/*
 * Account selection: one EVALSHA of select.lua, its arguments and its
 * reply by the names of ngx_http_quotalane_scripts.h, and the last pick
 * per binding kept for `quotalane_redis_fail cache`.  The credential is
 * opened in ngx_http_quotalane_credential.c, the upstream request shaped
 * in ngx_http_quotalane_upstream.c.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_quotalane_module.h"


/* The picked account's reply fields (STATUS unused), per binding. */
typedef struct {
    ngx_str_node_t             sn;       /* binding */
    ngx_str_t                  fields[NGX_HTTP_QUOTALANE_SELECT_NREPLY];
} ngx_http_quotalane_pick_t;


static ngx_rbtree_t       ngx_http_quotalane_picks;
static ngx_rbtree_node_t  ngx_http_quotalane_picks_sentinel;


/* KEYS then ARGV, each slot set by its name */
typedef struct {
    const char                *argv[NGX_HTTP_QUOTALANE_SELECT_NARGS];
    size_t                     argvlen[NGX_HTTP_QUOTALANE_SELECT_NARGS];
} ngx_http_quotalane_args_t;


static void
ngx_http_quotalane_arg(ngx_http_quotalane_args_t *a, ngx_uint_t i,
    u_char *p, size_t len)
{
    a->argv[i] = p ? (const char *) p : "";
    a->argvlen[i] = len;
}


/* A decimal field of the key record, "0" (no limit, no binding) if unset. */
static void
ngx_http_quotalane_arg_num(ngx_http_quotalane_args_t *a, ngx_uint_t i,
    ngx_str_t *s)
{
    if (s->len == 0) {
        ngx_http_quotalane_arg(a, i, (u_char *) "0", 1);
        return;
    }

    ngx_http_quotalane_arg(a, i, s->data, s->len);
}


/* Formats into pool memory and sets the result as argument i. */
static ngx_int_t
ngx_http_quotalane_arg_fmt(ngx_http_quotalane_args_t *a, ngx_uint_t i,
    ngx_pool_t *pool, const char *fmt, ...)
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

    ngx_http_quotalane_arg(a, i, p, last - p);

    return NGX_OK;
}


/* slots by the names select.lua reads them by: KEY_POOL, ARG_NOW, ... */
#define ngx_http_quotalane_set(a, name, p, len)                               \
    ngx_http_quotalane_arg(a, NGX_HTTP_QUOTALANE_SELECT_##name, p, len)
#define ngx_http_quotalane_set_num(a, name, s)                                \
    ngx_http_quotalane_arg_num(a, NGX_HTTP_QUOTALANE_SELECT_##name, s)
#define ngx_http_quotalane_set_fmt(a, name, pool, ...)                        \
    ngx_http_quotalane_arg_fmt(a, NGX_HTTP_QUOTALANE_SELECT_##name, pool,     \
                               __VA_ARGS__)


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
    ngx_uint_t                       i;
    ngx_time_t                      *tp;
    ngx_msec_int_t                   now;
    ngx_http_quotalane_key_t        *key = &ctx->key;
    ngx_http_quotalane_args_t        a;
    ngx_http_quotalane_main_conf_t  *qmcf;

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    name_len = ngx_strlen(ctx->pool->name);

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
    p = ngx_cpymem(p, ctx->pool->name, name_len);

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

    ngx_memzero(&a, sizeof(ngx_http_quotalane_args_t));

    ngx_http_quotalane_set(&a, KEY_POOL, pool_key, key_key - pool_key);
    ngx_http_quotalane_set(&a, KEY_KEY, key_key, synced - key_key);
    ngx_http_quotalane_set(&a, KEY_SYNCED, synced, p - synced);

    ngx_http_quotalane_set(&a, ARG_PREFIX, qmcf->prefix.data,
                           qmcf->prefix.len);
    ngx_http_quotalane_set(&a, ARG_POOL, (u_char *) ctx->pool->name,
                           name_len);
    ngx_http_quotalane_set(&a, ARG_ENDPOINT, (u_char *) ctx->route->endpoint,
                           ngx_strlen(ctx->route->endpoint));
    ngx_http_quotalane_set(&a, ARG_MODEL, ctx->sched_model.data,
                           ctx->sched_model.len);
    ngx_http_quotalane_set_num(&a, ARG_BOUND_ACCOUNT, &key->account_id);
    ngx_http_quotalane_set_num(&a, ARG_BOUND_GROUP, &key->group_id);
    ngx_http_quotalane_set(&a, ARG_REQUEST_ID, ctx->request_id,
                           sizeof(ctx->request_id));
    ngx_http_quotalane_set(&a, ARG_KEY_ID, key->id.data, key->id.len);
    ngx_http_quotalane_set(&a, ARG_SESSION, ctx->session,
                           ctx->has_session ? sizeof(ctx->session) : 0);
    ngx_http_quotalane_set(&a, ARG_EXCLUDED, ctx->excluded.data,
                           ctx->excluded.len);
    ngx_http_quotalane_set_num(&a, ARG_RATE_WINDOW, &key->rate_window);
    ngx_http_quotalane_set_num(&a, ARG_RATE_REQUESTS, &key->rate_requests);
    ngx_http_quotalane_set_num(&a, ARG_RATE_TOKENS, &key->rate_tokens);
    ngx_http_quotalane_set_num(&a, ARG_RATE_COST, &key->rate_cost);
    ngx_http_quotalane_set_num(&a, ARG_DAILY_LIMIT, &key->daily_cost_limit);
    ngx_http_quotalane_set_num(&a, ARG_WEEKLY_LIMIT, &key->weekly_cost_limit);
    ngx_http_quotalane_set_num(&a, ARG_TOTAL_LIMIT, &key->total_cost_limit);
    ngx_http_quotalane_set_num(&a, ARG_QUOTA_LIMIT, &key->quota_limit);
    ngx_http_quotalane_set_num(&a, ARG_QUOTA_BUCKET, &key->quota_bucket);
    ngx_http_quotalane_set_num(&a, ARG_USER_ID, &key->user_id);

    if (ngx_http_quotalane_set_fmt(&a, ARG_NOW, r->pool, "%M", now)
        != NGX_OK
        || ngx_http_quotalane_set_fmt(&a, ARG_KEY_CONC_LIMIT, r->pool, "%i",
                                      key->concurrency_limit)
           != NGX_OK
        || ngx_http_quotalane_set_fmt(&a, ARG_LEASE_MS, r->pool, "%M",
                                      qmcf->lease_time)
           != NGX_OK
        || ngx_http_quotalane_set_fmt(&a, ARG_SESSION_TTL, r->pool, "%T",
                                      qmcf->session_ttl)
           != NGX_OK
        || ngx_http_quotalane_set_fmt(&a, ARG_DAY, r->pool, "%T", day)
           != NGX_OK
        || ngx_http_quotalane_set_fmt(&a, ARG_WEEK, r->pool, "%T", week)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* a name added to the contract but not set here */
    for (i = 0; i < NGX_HTTP_QUOTALANE_SELECT_NARGS; i++) {
        if (a.argv[i] == NULL) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "quotalane: select argument %ui is not set", i);
            return NGX_ERROR;
        }
    }

    ctx->op = ngx_http_quotalane_redis_eval(qmcf->select_script,
                                            NGX_HTTP_QUOTALANE_SELECT_NKEYS,
                                            NGX_HTTP_QUOTALANE_SELECT_NARGS,
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


void
ngx_http_quotalane_select_exit_process(void)
{
    ngx_rbtree_t       *tree = &ngx_http_quotalane_picks;
    ngx_rbtree_node_t  *node;

    if (tree->root == NULL) {
        return;
    }

    while (tree->root != tree->sentinel) {
        node = ngx_rbtree_min(tree->root, tree->sentinel);
        ngx_rbtree_delete(tree, node);
        ngx_free(node);
    }
}


/* reply fields by the names select.lua sets them by: REPLY_ID, ... */
#define ngx_http_quotalane_field(f, name)                                     \
    (f)[NGX_HTTP_QUOTALANE_SELECT_##name]


/* Fills ctx->account from the picked account's reply fields. */
static ngx_int_t
ngx_http_quotalane_select_account(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_str_t *f)
{
    ngx_str_t                     *addr, *degraded;
    ngx_http_quotalane_account_t  *a = &ctx->account;

    addr = &ngx_http_quotalane_field(f, REPLY_ADDR);
    degraded = &ngx_http_quotalane_field(f, REPLY_DEGRADED);

    a->id = ngx_http_quotalane_field(f, REPLY_ID);
    a->type = ngx_http_quotalane_field(f, REPLY_TYPE);
    a->scheme = ngx_http_quotalane_field(f, REPLY_SCHEME);
    a->host = ngx_http_quotalane_field(f, REPLY_HOST);
    a->path_prefix = ngx_http_quotalane_field(f, REPLY_PATH_PREFIX);
    a->row = ql_account_type_by_name(a->type.data, a->type.len);
    a->envelope = ngx_http_quotalane_field(f, REPLY_CRED);
    a->cred_version = ngx_http_quotalane_field(f, REPLY_CRED_VERSION);
    a->degraded = (degraded->len == 1 && degraded->data[0] == '1');
    a->upstream_model = ngx_http_quotalane_field(f, REPLY_UPSTREAM_MODEL);
    a->chatgpt_account_id = ngx_http_quotalane_field(f,
                                                     REPLY_CHATGPT_ACCOUNT_ID);
    a->project_id = ngx_http_quotalane_field(f, REPLY_PROJECT_ID);
    a->azure_deployment = ngx_http_quotalane_field(f, REPLY_AZURE_DEPLOYMENT);
    a->azure_api_version = ngx_http_quotalane_field(f,
                                                    REPLY_AZURE_API_VERSION);
    a->aws_region = ngx_http_quotalane_field(f, REPLY_AWS_REGION);
    a->aws_access_key_id = ngx_http_quotalane_field(f,
                                                    REPLY_AWS_ACCESS_KEY_ID);

    if (a->id.len == 0 || a->host.len == 0 || addr->len == 0
        || a->envelope.len == 0 || a->row == NULL
        || ngx_parse_addr_port(r->pool, &a->addr, addr->data, addr->len)
           != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "quotalane: account \"%V\" has an incomplete or bad "
                      "record (type \"%V\", address \"%V\")", &a->id,
                      &a->type, addr);
        ctx->error_kind = QL_ERR_API;
        ctx->error_message = "The picked upstream account is misconfigured.";
        return NGX_DECLINED;
    }

    a->addr.name = *addr;

    return NGX_OK;
}


/*
 * "pool|endpoint|model|account|group": what the pick depended on, for
 * the fallback.
 */
static ngx_int_t
ngx_http_quotalane_binding(ngx_http_request_t *r,
    ngx_http_quotalane_ctx_t *ctx, ngx_str_t *name)
{
    name->len = ngx_strlen(ctx->pool->name)
                + ngx_strlen(ctx->route->endpoint) + ctx->sched_model.len
                + ctx->key.account_id.len + ctx->key.group_id.len + 4;
    name->data = ngx_pnalloc(r->pool, name->len);
    if (name->data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(name->data, "%s|%s|%V|%V|%V", ctx->pool->name,
                ctx->route->endpoint, &ctx->sched_model,
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
    for (i = 0; i < NGX_HTTP_QUOTALANE_SELECT_NREPLY; i++) {
        size += f[i].len;
    }

    pick = ngx_alloc(size, r->connection->log);
    if (pick == NULL) {
        return;
    }

    p = (u_char *) pick + sizeof(ngx_http_quotalane_pick_t);

    for (i = 0; i < NGX_HTTP_QUOTALANE_SELECT_NREPLY; i++) {
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

    ngx_http_quotalane_metrics_pick(ctx->platform->id,
                                    NGX_HTTP_QUOTALANE_PICK_CACHED);

    return ngx_http_quotalane_select_account(r, ctx, pick->fields);
}


/* a key's binding: an id, not "" or "0" */
static ngx_uint_t
ngx_http_quotalane_bound(ngx_str_t *id)
{
    return id->len > 0 && !(id->len == 1 && id->data[0] == '0');
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
    ngx_str_t                        f[NGX_HTTP_QUOTALANE_SELECT_NREPLY];
    ngx_int_t                        rc;
    ngx_uint_t                       i;
    redisReply                      *status, *what, *retry;
    ngx_http_quotalane_main_conf_t  *qmcf;

    qmcf = ngx_http_get_module_main_conf(r, ngx_http_quotalane_module);

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "quotalane: select script failed: %*s",
                      reply->len, reply->str);
        return NGX_ERROR;
    }

    if (reply->type != REDIS_REPLY_ARRAY
        || reply->elements <= NGX_HTTP_QUOTALANE_SELECT_REPLY_STATUS
        || reply->element[NGX_HTTP_QUOTALANE_SELECT_REPLY_STATUS]->type
           != REDIS_REPLY_STRING)
    {
        return NGX_ERROR;
    }

    status = reply->element[NGX_HTTP_QUOTALANE_SELECT_REPLY_STATUS];

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

    what = (reply->elements > NGX_HTTP_QUOTALANE_SELECT_LIMIT_WHAT)
           ? reply->element[NGX_HTTP_QUOTALANE_SELECT_LIMIT_WHAT] : NULL;

    if (status->len == 7 && ngx_strncmp(status->str, "limited", 7) == 0
        && reply->elements == NGX_HTTP_QUOTALANE_SELECT_NLIMIT)
    {
        retry = reply->element[NGX_HTTP_QUOTALANE_SELECT_LIMIT_RETRY_AFTER];

        if (retry->type == REDIS_REPLY_INTEGER) {
            ctx->error_kind = QL_ERR_RATE_LIMIT;
            ctx->error_message = ngx_http_quotalane_limit_message(what);
            ctx->retry_after = (ngx_uint_t) ngx_max(retry->integer, 1);
            return NGX_OK;
        }
    }

    /* a cost limit has no retry time: the reply ends before it */
    if (status->len == 5 && ngx_strncmp(status->str, "quota", 5) == 0
        && reply->elements == NGX_HTTP_QUOTALANE_SELECT_LIMIT_RETRY_AFTER)
    {
        ctx->error_kind = QL_ERR_BILLING;
        ctx->error_message = ngx_http_quotalane_limit_message(what);
        return NGX_OK;
    }

    if (status->len != 2 || ngx_strncmp(status->str, "ok", 2) != 0
        || reply->elements != NGX_HTTP_QUOTALANE_SELECT_NREPLY)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_HTTP_QUOTALANE_SELECT_NREPLY; i++) {
        if (ngx_http_quotalane_reply_str(r->pool, reply->element[i], &f[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* the slots are ours from here on, whatever happens next */
    ctx->account.id = ngx_http_quotalane_field(f, REPLY_ID);
    if (ctx->account.id.len == 0
        || ngx_http_quotalane_lease_start(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->sticky = ngx_http_quotalane_field(f, REPLY_STICKY).len == 1
                  && ngx_http_quotalane_field(f, REPLY_STICKY).data[0] == '1';
    ngx_http_quotalane_metrics_pick(ctx->platform->id,
        ctx->sticky ? NGX_HTTP_QUOTALANE_PICK_STICKY
        : ngx_http_quotalane_bound(&ctx->key.account_id)
          || ngx_http_quotalane_bound(&ctx->key.group_id)
          ? NGX_HTTP_QUOTALANE_PICK_BOUND : NGX_HTTP_QUOTALANE_PICK_FRESH);

    rc = ngx_http_quotalane_select_account(r, ctx, f);

    if (rc == NGX_OK) {
        ngx_http_quotalane_remember_pick(r, ctx, f);
    }

    return (rc == NGX_ERROR) ? NGX_ERROR : NGX_OK;
}
