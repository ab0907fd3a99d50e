/*
 * QuotaLane admind: the Redis hot state.
 *
 * Records are always built from rows read back from MySQL, by the same
 * code for a single publish and for a resync, so the two cannot drift
 * apart.  A read-write lock orders them inside this process: publishes
 * share it, a resync takes it alone.  Without it a key created while a
 * resync runs could be read too late by the resync and then deleted by
 * its stale-record sweep.
 */

#define _GNU_SOURCE

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ql_apikey.h"
#include "ql_platform.h"
#include "admind_config.h"
#include "admind_log.h"
#include "admind_db_stmt.h"
#include "admind_redis.h"
#include "admind_fields.h"
#include "admind_baseurl.h"
#include "admind_account_types.h"
#include "admind_cred.h"
#include "admind_hotstate.h"


/* rows per SELECT and commands per pipeline during a resync */
#define ADMIND_HOTSTATE_CHUNK  500

#define ADMIND_HOTSTATE_NAME   512


/*
 * The key record (redis_layout.md): the status folded with the owner's,
 * and rate_window 0 when no rate limit is set, which spares the gateway
 * the window counters (the column defaults to 60 s).
 */
#define ADMIND_HOTSTATE_KEY_SQL                                              \
    "SELECT k.id, k.key_hash, k.user_id, "                                   \
    "IF(k.status = 'active' AND u.status = 'active', 'active', "             \
    "'disabled') AS status, "                                                \
    "IFNULL(TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', k.expires_at), 0) " \
    "AS expires_at, "                                                        \
    "k.permissions, k.allowed_clients, k.blocked_models, "                   \
    "k.concurrency_limit, IFNULL(k.account_id, 0) AS account_id, "           \
    "IFNULL(k.group_id, 0) AS group_id, "                                    \
    "IF(k.rate_limit_requests = 0 AND k.rate_limit_tokens = 0 "              \
    "AND k.rate_limit_cost_micros = 0, 0, k.rate_window_seconds) "           \
    "AS rate_window, "                                                       \
    "k.rate_limit_requests, k.rate_limit_tokens, k.rate_limit_cost_micros, " \
    "k.daily_cost_limit_micros, k.weekly_cost_limit_micros, "                \
    "k.weekly_reset_hours, k.total_cost_limit_micros "                       \
    "FROM api_keys k JOIN users u ON u.id = k.user_id"

#define ADMIND_HOTSTATE_ACCOUNT_SQL                                          \
    "SELECT a.id, a.name, a.type, a.platform, a.status, a.schedulable, "     \
    "a.priority, a.concurrency_limit, a.rpm_limit, a.tpm_limit, "            \
    "a.base_url, a.upstream_addr, "                                          \
    "a.credentials_enc, IFNULL(a.group_id, 0) AS group_id "                  \
    "FROM accounts a"


typedef struct {
    uint64_t   id;
    uint64_t   group;
    char       platform[33];
} admind_hotstate_member_t;


/* what a resync read, to rebuild the sets and find stale records */
typedef struct {
    char                      (*digests)[QL_APIKEY_DIGEST_HEX + 1];
    size_t                      ndigests;
    size_t                      digests_cap;
    admind_hotstate_member_t   *accounts;
    size_t                      naccounts;
    size_t                      accounts_cap;
    uint64_t                   *groups;
    size_t                      ngroups;
} admind_hotstate_seen_t;


static const admind_conf_t  *admind_hotstate_conf;
static pthread_rwlock_t      admind_hotstate_lock;
static int                   admind_hotstate_inited;
static int                   admind_hotstate_dirty_flag;


int
admind_hotstate_init(const admind_conf_t *conf)
{
    pthread_rwlockattr_t  attr;

    if (pthread_rwlockattr_init(&attr) != 0) {
        return ADMIND_ERROR;
    }

    /* a resync must not starve behind a stream of publishes */
    pthread_rwlockattr_setkind_np(&attr,
                            PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);

    if (pthread_rwlock_init(&admind_hotstate_lock, &attr) != 0) {
        pthread_rwlockattr_destroy(&attr);
        return ADMIND_ERROR;
    }

    pthread_rwlockattr_destroy(&attr);

    admind_hotstate_conf = conf;
    admind_hotstate_inited = 1;

    return ADMIND_OK;
}


void
admind_hotstate_shutdown(void)
{
    if (admind_hotstate_inited) {
        pthread_rwlock_destroy(&admind_hotstate_lock);
        admind_hotstate_inited = 0;
    }
}


int
admind_hotstate_dirty(void)
{
    return __atomic_load_n(&admind_hotstate_dirty_flag, __ATOMIC_SEQ_CST);
}


void
admind_hotstate_name(char *buf, size_t size, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    n = snprintf(buf, size, "%s", admind_hotstate_conf->redis_prefix);
    if (n < 0 || (size_t) n >= size) {
        return;
    }

    va_start(ap, fmt);
    vsnprintf(buf + n, size - (size_t) n, fmt, ap);
    va_end(ap);
}


static void
admind_hotstate_failed(const char *what, uint64_t id, const char *err)
{
    char         name[ADMIND_HOTSTATE_NAME], e[ADMIND_ERRLEN];
    redisReply  *reply;

    __atomic_store_n(&admind_hotstate_dirty_flag, 1, __ATOMIC_SEQ_CST);

    admind_log(ADMIND_LOG_WARN, "redis write failed; the resync will "
               "repair it", "record", json_string(what),
               "record_id", id ? json_integer((json_int_t) id) : NULL,
               "error", admind_log_str(err), NULL);

    /* every admind (not only this one) resyncs when "synced" is gone */
    admind_hotstate_name(name, sizeof(name), "synced");

    reply = admind_redis_command(e, sizeof(e), "DEL %s", name);
    if (reply != NULL) {
        freeReplyObject(reply);
    }
}


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


/*
 * An id column; IFNULL(BIGINT UNSIGNED, 0) comes back as DECIMAL, that
 * is as a string, so both forms are read.
 */
static uint64_t
admind_hotstate_int(json_t *row, const char *name)
{
    long long  n;

    if (admind_fields_number(json_object_get(row, name), &n) != ADMIND_OK
        || n < 0)
    {
        return 0;
    }

    return (uint64_t) n;
}


/*
 * A JSON array column (of strings) joined by sep; dflt (JSON text) for
 * SQL NULL.  malloc()ed, NULL when out of memory or malformed.
 */
static char *
admind_hotstate_join(json_t *row, const char *name, const char *dflt,
    char sep)
{
    char          *out;
    size_t         i, len, n;
    json_t        *v, *list, *item;
    const char    *text;
    json_error_t   error;

    v = json_object_get(row, name);
    text = json_is_string(v) ? json_string_value(v) : dflt;

    list = json_loads(text, 0, &error);
    if (!json_is_array(list)) {
        json_decref(list);
        return NULL;
    }

    len = 1;
    json_array_foreach(list, i, item) {
        len += json_string_length(item) + 1;
    }

    out = malloc(len);
    if (out == NULL) {
        json_decref(list);
        return NULL;
    }

    n = 0;
    json_array_foreach(list, i, item) {
        if (!json_is_string(item)) {
            continue;
        }

        if (n) {
            out[n++] = sep;
        }

        memcpy(out + n, json_string_value(item), json_string_length(item));
        n += json_string_length(item);
    }

    out[n] = '\0';
    json_decref(list);

    return out;
}


static int
admind_hotstate_key_args(json_t *row, admind_redis_args_t *a)
{
    int          rc;
    char        *perms, *clients, *models;
    const char  *hash;

    hash = json_string_value(json_object_get(row, "key_hash"));
    if (hash == NULL || strlen(hash) != QL_APIKEY_DIGEST_HEX) {
        return ADMIND_ERROR;
    }

    perms = admind_hotstate_join(row, "permissions", "[\"all\"]", ',');
    clients = admind_hotstate_join(row, "allowed_clients", "[]", '\n');
    models = admind_hotstate_join(row, "blocked_models", "[]", '\n');

    rc = ADMIND_ERROR;

    if (perms != NULL && clients != NULL && models != NULL) {
        admind_redis_args_str(a, "HSET");
        admind_redis_args_fmt(a, "%skey:%s",
                              admind_hotstate_conf->redis_prefix, hash);
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


static int
admind_hotstate_nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


/* binary columns come back from admind_db_select() in hex */
static int
admind_hotstate_unhex(const char *hex, unsigned char **out, size_t *len)
{
    int             hi, lo;
    size_t          i, n;
    unsigned char  *p;

    n = strlen(hex);
    if (n % 2) {
        return ADMIND_ERROR;
    }

    p = malloc(n / 2 + 1);
    if (p == NULL) {
        return ADMIND_ERROR;
    }

    for (i = 0; i < n / 2; i++) {
        hi = admind_hotstate_nibble(hex[2 * i]);
        lo = admind_hotstate_nibble(hex[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            free(p);
            return ADMIND_ERROR;
        }

        p[i] = (unsigned char) (hi << 4 | lo);
    }

    *out = p;
    *len = n / 2;

    return ADMIND_OK;
}


static int
admind_hotstate_account_args(json_t *row, admind_redis_args_t *a,
    char *err, size_t errlen)
{
    char                          version[ADMIND_CRED_VERSION_LEN + 1];
    char                          detail[ADMIND_ERRLEN];
    size_t                        cred_len;
    const char                   *type, *base, *hex, *addr;
    unsigned char                *cred;
    admind_baseurl_t              url;
    const admind_account_type_t  *t;

    type = json_string_value(json_object_get(row, "type"));
    t = type ? admind_account_type(type) : NULL;

    base = json_string_value(json_object_get(row, "base_url"));
    if (base == NULL && t != NULL) {
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

    cred = NULL;
    cred_len = 0;
    version[0] = '\0';

    hex = json_string_value(json_object_get(row, "credentials_enc"));

    if (hex != NULL) {
        if (admind_hotstate_unhex(hex, &cred, &cred_len) != ADMIND_OK) {
            snprintf(err, errlen, "out of memory");
            return ADMIND_ERROR;
        }

        admind_cred_version(cred, cred_len, version);
    }

    addr = json_string_value(json_object_get(row, "upstream_addr"));

    admind_redis_args_str(a, "HSET");
    admind_redis_args_fmt(a, "%saccount:%" JSON_INTEGER_FORMAT,
                          admind_hotstate_conf->redis_prefix,
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
    admind_redis_args_str(a, t ? t->auth : "");
    admind_redis_args_str(a, "cred");
    admind_redis_args_add(a, cred, cred_len);
    admind_redis_args_str(a, "cred_version");
    admind_redis_args_str(a, version);

    if (cred != NULL) {
        ql_wipe(cred, cred_len);
        free(cred);
    }

    if (a->failed) {
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* HSETs of key rows, pipelined; digests go to seen when given */
static int
admind_hotstate_put_keys(json_t *rows, admind_hotstate_seen_t *seen,
    admind_hotstate_stats_t *st, char *err, size_t errlen)
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

        if (admind_hotstate_key_args(row, &a) != ADMIND_OK) {
            admind_redis_args_free(&a);
            admind_log(ADMIND_LOG_WARN, "api key row not published",
                       "key_id", json_incref(json_object_get(row, "id")),
                       NULL);
            if (st != NULL) {
                st->skipped++;
            }
            continue;
        }

        admind_redis_batch_add(&b, &a);
        admind_redis_args_free(&a);

        if (st != NULL) {
            st->keys++;
        }

        if (seen == NULL) {
            continue;
        }

        if (seen->ndigests == seen->digests_cap) {
            cap = seen->digests_cap ? seen->digests_cap * 2 : 256;
            p = realloc(seen->digests, cap * sizeof(*seen->digests));
            if (p == NULL) {
                b.failed = 1;
                snprintf(b.err, sizeof(b.err), "out of memory");
                break;
            }
            seen->digests = p;
            seen->digests_cap = cap;
        }

        hash = json_string_value(json_object_get(row, "key_hash"));
        memcpy(seen->digests[seen->ndigests++], hash,
               QL_APIKEY_DIGEST_HEX + 1);
    }

    return admind_redis_batch_end(&b, err, errlen);
}


static void
admind_hotstate_publish_keys(MYSQL *mysql, const char *where, uint64_t id)
{
    char               sql[1024], err[ADMIND_ERRLEN];
    json_t            *rows;
    admind_db_param_t  params[1];

    snprintf(sql, sizeof(sql), "%s WHERE %s = ?", ADMIND_HOTSTATE_KEY_SQL,
             where);
    params[0] = admind_db_int((long long) id);

    pthread_rwlock_rdlock(&admind_hotstate_lock);

    if (admind_db_select(mysql, sql, params, 1, &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_hotstate_failed("key", id, err);

    } else {
        if (admind_hotstate_put_keys(rows, NULL, NULL, err, sizeof(err))
            != ADMIND_OK)
        {
            admind_hotstate_failed("key", id, err);
        }

        json_decref(rows);
    }

    pthread_rwlock_unlock(&admind_hotstate_lock);
}


void
admind_hotstate_key(MYSQL *mysql, uint64_t key_id)
{
    admind_hotstate_publish_keys(mysql, "k.id", key_id);
}


void
admind_hotstate_user_keys(MYSQL *mysql, uint64_t user_id)
{
    admind_hotstate_publish_keys(mysql, "k.user_id", user_id);
}


void
admind_hotstate_key_deleted(const char *digest)
{
    char          name[ADMIND_HOTSTATE_NAME], err[ADMIND_ERRLEN];
    redisReply   *reply;

    admind_hotstate_name(name, sizeof(name), "key:%s", digest);

    pthread_rwlock_rdlock(&admind_hotstate_lock);

    reply = admind_redis_command(err, sizeof(err), "DEL %s", name);
    if (reply == NULL) {
        admind_hotstate_failed("key", 0, err);
    } else {
        freeReplyObject(reply);
    }

    pthread_rwlock_unlock(&admind_hotstate_lock);
}


static void
admind_hotstate_set_member(admind_redis_batch_t *b, const char *cmd,
    const char *set, uint64_t id)
{
    admind_redis_args_t  a;

    admind_redis_args_init(&a);
    admind_redis_args_str(&a, cmd);
    admind_redis_args_fmt(&a, "%s%s", admind_hotstate_conf->redis_prefix,
                          set);
    admind_redis_args_fmt(&a, "%llu", (unsigned long long) id);
    admind_redis_batch_add(b, &a);
    admind_redis_args_free(&a);
}


void
admind_hotstate_account(MYSQL *mysql, uint64_t id, uint64_t old_group)
{
    char                   sql[1024], set[96], err[ADMIND_ERRLEN];
    json_t                *rows, *row;
    uint64_t               group;
    const char            *platform;
    admind_db_param_t      params[1];
    admind_redis_args_t    a;
    admind_redis_batch_t   b;

    snprintf(sql, sizeof(sql), "%s WHERE a.id = ?",
             ADMIND_HOTSTATE_ACCOUNT_SQL);
    params[0] = admind_db_int((long long) id);

    pthread_rwlock_rdlock(&admind_hotstate_lock);

    if (admind_db_select(mysql, sql, params, 1, &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_hotstate_failed("account", id, err);
        goto done;
    }

    row = json_array_get(rows, 0);
    if (row == NULL) {
        json_decref(rows);
        goto done;
    }

    admind_redis_args_init(&a);

    if (admind_hotstate_account_args(row, &a, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_redis_args_free(&a);
        json_decref(rows);
        admind_hotstate_failed("account", id, err);
        goto done;
    }

    platform = json_string_value(json_object_get(row, "platform"));
    group = admind_hotstate_int(row, "group_id");

    /* the record and its memberships change together */
    if (admind_redis_batch_begin(&b, 1, err, sizeof(err)) != ADMIND_OK) {
        admind_redis_args_free(&a);
        json_decref(rows);
        admind_hotstate_failed("account", id, err);
        goto done;
    }

    admind_redis_batch_add(&b, &a);
    admind_redis_args_free(&a);

    snprintf(set, sizeof(set), "accounts:%s", platform ? platform : "");
    admind_hotstate_set_member(&b, "SADD", set, id);

    if (group) {
        snprintf(set, sizeof(set), "group:%llu:accounts",
                 (unsigned long long) group);
        admind_hotstate_set_member(&b, "SADD", set, id);
    }

    if (old_group && old_group != group) {
        snprintf(set, sizeof(set), "group:%llu:accounts",
                 (unsigned long long) old_group);
        admind_hotstate_set_member(&b, "SREM", set, id);
    }

    json_decref(rows);

    if (admind_redis_batch_end(&b, err, sizeof(err)) != ADMIND_OK) {
        admind_hotstate_failed("account", id, err);
    }

done:

    pthread_rwlock_unlock(&admind_hotstate_lock);
}


void
admind_hotstate_account_deleted(uint64_t id, const char *platform,
    uint64_t group_id)
{
    char                   set[96], err[ADMIND_ERRLEN];
    admind_redis_args_t    a;
    admind_redis_batch_t   b;

    pthread_rwlock_rdlock(&admind_hotstate_lock);

    if (admind_redis_batch_begin(&b, 1, err, sizeof(err)) != ADMIND_OK) {
        admind_hotstate_failed("account", id, err);
        goto done;
    }

    admind_redis_args_init(&a);
    admind_redis_args_str(&a, "DEL");
    admind_redis_args_fmt(&a, "%saccount:%llu",
                          admind_hotstate_conf->redis_prefix,
                          (unsigned long long) id);
    admind_redis_batch_add(&b, &a);
    admind_redis_args_free(&a);

    snprintf(set, sizeof(set), "accounts:%s", platform);
    admind_hotstate_set_member(&b, "SREM", set, id);

    if (group_id) {
        snprintf(set, sizeof(set), "group:%llu:accounts",
                 (unsigned long long) group_id);
        admind_hotstate_set_member(&b, "SREM", set, id);
    }

    if (admind_redis_batch_end(&b, err, sizeof(err)) != ADMIND_OK) {
        admind_hotstate_failed("account", id, err);
    }

done:

    pthread_rwlock_unlock(&admind_hotstate_lock);
}


void
admind_hotstate_group_deleted(uint64_t id)
{
    char          name[ADMIND_HOTSTATE_NAME], err[ADMIND_ERRLEN];
    redisReply   *reply;

    admind_hotstate_name(name, sizeof(name), "group:%llu:accounts",
                         (unsigned long long) id);

    pthread_rwlock_rdlock(&admind_hotstate_lock);

    reply = admind_redis_command(err, sizeof(err), "DEL %s", name);
    if (reply == NULL) {
        admind_hotstate_failed("account_group", id, err);
    } else {
        freeReplyObject(reply);
    }

    pthread_rwlock_unlock(&admind_hotstate_lock);
}


/* ---- resync ---- */


static int
admind_hotstate_resync_keys(MYSQL *mysql, admind_hotstate_seen_t *seen,
    admind_hotstate_stats_t *st, char *err, size_t errlen)
{
    char               sql[1024];
    json_t            *rows;
    size_t             n;
    long long          last;
    admind_db_param_t  params[2];

    /* keyset pagination: no OFFSET rescans, no huge result in memory */
    snprintf(sql, sizeof(sql), "%s WHERE k.id > ? ORDER BY k.id LIMIT ?",
             ADMIND_HOTSTATE_KEY_SQL);

    for (last = 0; /* void */; /* void */) {
        params[0] = admind_db_int(last);
        params[1] = admind_db_int(ADMIND_HOTSTATE_CHUNK);

        if (admind_db_select(mysql, sql, params, 2, &rows, err, errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        n = json_array_size(rows);

        if (n > 0) {
            last = json_integer_value(json_object_get(
                                   json_array_get(rows, n - 1), "id"));
        }

        if (admind_hotstate_put_keys(rows, seen, st, err, errlen)
            != ADMIND_OK)
        {
            json_decref(rows);
            return ADMIND_ERROR;
        }

        json_decref(rows);

        if (n < ADMIND_HOTSTATE_CHUNK) {
            return ADMIND_OK;
        }
    }
}


static int
admind_hotstate_resync_accounts(MYSQL *mysql, admind_hotstate_seen_t *seen,
    admind_hotstate_stats_t *st, char *err, size_t errlen)
{
    void                      *p;
    char                       sql[1024], detail[ADMIND_ERRLEN];
    json_t                    *rows, *row;
    size_t                     i, n, cap;
    long long                  last;
    const char                *platform;
    admind_db_param_t          params[2];
    admind_redis_args_t        a;
    admind_redis_batch_t       b;
    admind_hotstate_member_t  *m;

    snprintf(sql, sizeof(sql), "%s WHERE a.id > ? ORDER BY a.id LIMIT ?",
             ADMIND_HOTSTATE_ACCOUNT_SQL);

    for (last = 0; /* void */; /* void */) {
        params[0] = admind_db_int(last);
        params[1] = admind_db_int(ADMIND_HOTSTATE_CHUNK);

        if (admind_db_select(mysql, sql, params, 2, &rows, err, errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        n = json_array_size(rows);

        if (n == 0) {
            json_decref(rows);
            return ADMIND_OK;
        }

        last = json_integer_value(json_object_get(json_array_get(rows,
                                                                 n - 1),
                                                  "id"));

        if (admind_redis_batch_begin(&b, 0, err, errlen) != ADMIND_OK) {
            json_decref(rows);
            return ADMIND_ERROR;
        }

        json_array_foreach(rows, i, row) {
            admind_redis_args_init(&a);

            if (admind_hotstate_account_args(row, &a, detail,
                                             sizeof(detail))
                != ADMIND_OK)
            {
                admind_redis_args_free(&a);
                admind_log(ADMIND_LOG_WARN, "account row not published",
                           "error", admind_log_str(detail), NULL);
                st->skipped++;
                continue;
            }

            admind_redis_batch_add(&b, &a);
            admind_redis_args_free(&a);
            st->accounts++;

            if (seen->naccounts == seen->accounts_cap) {
                cap = seen->accounts_cap ? seen->accounts_cap * 2 : 64;
                p = realloc(seen->accounts,
                            cap * sizeof(admind_hotstate_member_t));
                if (p == NULL) {
                    b.failed = 1;
                    snprintf(b.err, sizeof(b.err), "out of memory");
                    break;
                }
                seen->accounts = p;
                seen->accounts_cap = cap;
            }

            m = &seen->accounts[seen->naccounts++];
            m->id = admind_hotstate_int(row, "id");
            m->group = admind_hotstate_int(row, "group_id");
            platform = json_string_value(json_object_get(row, "platform"));
            snprintf(m->platform, sizeof(m->platform), "%s",
                     platform ? platform : "");
        }

        json_decref(rows);

        if (admind_redis_batch_end(&b, err, errlen) != ADMIND_OK) {
            return ADMIND_ERROR;
        }

        if (n < ADMIND_HOTSTATE_CHUNK) {
            return ADMIND_OK;
        }
    }
}


static int
admind_hotstate_cmp_u64(const void *a, const void *b)
{
    uint64_t  x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return x < y ? -1 : x > y;
}


static int
admind_hotstate_cmp_member(const void *a, const void *b)
{
    return admind_hotstate_cmp_u64(&((const admind_hotstate_member_t *) a)->id,
                                   &((const admind_hotstate_member_t *) b)->id);
}


static int
admind_hotstate_cmp_digest(const void *a, const void *b)
{
    return strcmp(a, b);
}


static int
admind_hotstate_resync_groups(MYSQL *mysql, admind_hotstate_seen_t *seen,
    admind_hotstate_stats_t *st, char *err, size_t errlen)
{
    json_t  *rows, *row;
    size_t   i;

    if (admind_db_select(mysql, "SELECT id FROM account_groups ORDER BY id",
                         NULL, 0, &rows, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    seen->groups = malloc((json_array_size(rows) + 1) * sizeof(uint64_t));
    if (seen->groups == NULL) {
        json_decref(rows);
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    json_array_foreach(rows, i, row) {
        seen->groups[seen->ngroups++] = admind_hotstate_int(row, "id");
    }

    json_decref(rows);
    st->groups = seen->ngroups;

    return ADMIND_OK;
}


/* MULTI, DEL set, SADD set members..., EXEC: readers see old or new */
static int
admind_hotstate_replace_set(const char *set, admind_hotstate_seen_t *seen,
    const char *platform, uint64_t group, char *err, size_t errlen)
{
    size_t                 i;
    unsigned               members;
    admind_redis_args_t    a;
    admind_redis_batch_t   b;

    if (admind_redis_batch_begin(&b, 1, err, errlen) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    admind_redis_args_init(&a);
    admind_redis_args_str(&a, "DEL");
    admind_redis_args_fmt(&a, "%s%s", admind_hotstate_conf->redis_prefix,
                          set);
    admind_redis_batch_add(&b, &a);
    admind_redis_args_free(&a);

    admind_redis_args_init(&a);
    admind_redis_args_str(&a, "SADD");
    admind_redis_args_fmt(&a, "%s%s", admind_hotstate_conf->redis_prefix,
                          set);
    members = 0;

    for (i = 0; i < seen->naccounts; i++) {
        if ((platform != NULL
             && strcmp(seen->accounts[i].platform, platform) == 0)
            || (group != 0 && seen->accounts[i].group == group))
        {
            admind_redis_args_fmt(&a, "%llu",
                                  (unsigned long long) seen->accounts[i].id);
            members++;
        }
    }

    if (members) {
        admind_redis_batch_add(&b, &a);
    }

    admind_redis_args_free(&a);

    return admind_redis_batch_end(&b, err, errlen);
}


static int
admind_hotstate_resync_sets(admind_hotstate_seen_t *seen,
    admind_hotstate_stats_t *st, char *err, size_t errlen)
{
    char                  set[96];
    size_t                i, j;
    unsigned              known;
    const ql_platform_t  *p;

    /* every platform's pool, even empty ones (DEL then nothing to add) */
    for (i = 0; i < QL_PLATFORM_COUNT; i++) {
        p = ql_platform_get((ql_platform_id_t) i);
        if (p == NULL) {
            continue;
        }

        snprintf(set, sizeof(set), "accounts:%s", p->name);

        if (admind_hotstate_replace_set(set, seen, p->name, 0, err, errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        st->sets++;
    }

    /* a platform in the rows that the table lacks still gets its pool */
    for (i = 0; i < seen->naccounts; i++) {
        known = ql_platform_by_name(
                    (const unsigned char *) seen->accounts[i].platform,
                                    strlen(seen->accounts[i].platform))
                != NULL;

        for (j = 0; !known && j < i; j++) {
            known = strcmp(seen->accounts[j].platform,
                           seen->accounts[i].platform) == 0;
        }

        if (known) {
            continue;
        }

        snprintf(set, sizeof(set), "accounts:%s",
                 seen->accounts[i].platform);

        if (admind_hotstate_replace_set(set, seen,
                                        seen->accounts[i].platform, 0, err,
                                        errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        st->sets++;
    }

    for (i = 0; i < seen->ngroups; i++) {
        snprintf(set, sizeof(set), "group:%llu:accounts",
                 (unsigned long long) seen->groups[i]);

        if (admind_hotstate_replace_set(set, seen, NULL, seen->groups[i],
                                        err, errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        st->sets++;
    }

    return ADMIND_OK;
}


/* decimal digits only, as ids are written */
static int
admind_hotstate_parse_id(const char *s, size_t len, uint64_t *id)
{
    size_t  i;

    if (len == 0 || len > 19 || s[0] == '0') {
        return ADMIND_ERROR;
    }

    *id = 0;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return ADMIND_ERROR;
        }
        *id = *id * 10 + (uint64_t) (s[i] - '0');
    }

    return ADMIND_OK;
}


typedef enum {
    ADMIND_STALE_KEY = 0,
    ADMIND_STALE_ACCOUNT,
    ADMIND_STALE_GROUP
} admind_stale_e;


/* only names admind writes are judged; the module's own keys are left */
static int
admind_hotstate_is_stale(admind_stale_e kind, const char *name, size_t len,
    admind_hotstate_seen_t *seen)
{
    char         digest[QL_APIKEY_DIGEST_HEX + 1];
    size_t       plen, i;
    uint64_t     id;
    const char  *s;

    plen = strlen(admind_hotstate_conf->redis_prefix);

    if (len < plen) {
        return 0;
    }

    s = name + plen;
    len -= plen;

    switch (kind) {

    case ADMIND_STALE_KEY:
        if (len != 4 + QL_APIKEY_DIGEST_HEX || memcmp(s, "key:", 4) != 0) {
            return 0;
        }

        for (i = 0; i < QL_APIKEY_DIGEST_HEX; i++) {
            if (!((s[4 + i] >= '0' && s[4 + i] <= '9')
                  || (s[4 + i] >= 'a' && s[4 + i] <= 'f')))
            {
                return 0;
            }
        }

        memcpy(digest, s + 4, QL_APIKEY_DIGEST_HEX);
        digest[QL_APIKEY_DIGEST_HEX] = '\0';

        return bsearch(digest, seen->digests, seen->ndigests,
                       sizeof(*seen->digests), admind_hotstate_cmp_digest)
               == NULL;

    case ADMIND_STALE_ACCOUNT:
        if (len < 9 || memcmp(s, "account:", 8) != 0
            || admind_hotstate_parse_id(s + 8, len - 8, &id) != ADMIND_OK)
        {
            return 0;
        }

        return bsearch(&id, seen->accounts, seen->naccounts,
                       sizeof(admind_hotstate_member_t),
                       admind_hotstate_cmp_member)
               == NULL;

    case ADMIND_STALE_GROUP:
        if (len < 16 || memcmp(s, "group:", 6) != 0
            || memcmp(s + len - 9, ":accounts", 9) != 0
            || admind_hotstate_parse_id(s + 6, len - 15, &id) != ADMIND_OK)
        {
            return 0;
        }

        return bsearch(&id, seen->groups, seen->ngroups, sizeof(uint64_t),
                       admind_hotstate_cmp_u64)
               == NULL;
    }

    return 0;
}


/* the prefix in a SCAN pattern: glob characters escaped */
static void
admind_hotstate_pattern(char *buf, size_t size, const char *suffix)
{
    size_t       n;
    const char  *p;

    n = 0;

    for (p = admind_hotstate_conf->redis_prefix; *p && n + 3 < size; p++) {
        if (strchr("*?[]\\", *p) != NULL) {
            buf[n++] = '\\';
        }
        buf[n++] = *p;
    }

    snprintf(buf + n, size - n, "%s", suffix);
}


static int
admind_hotstate_sweep(admind_stale_e kind, const char *suffix,
    admind_hotstate_seen_t *seen, admind_hotstate_stats_t *st, char *err,
    size_t errlen)
{
    char                  pattern[ADMIND_HOTSTATE_NAME], cursor[32];
    size_t                i;
    unsigned              n;
    redisReply           *reply, *keys, *k;
    admind_redis_args_t   del;

    admind_hotstate_pattern(pattern, sizeof(pattern), suffix);
    strcpy(cursor, "0");

    do {
        reply = admind_redis_command(err, errlen, "SCAN %s MATCH %s "
                                     "COUNT 1000", cursor, pattern);
        if (reply == NULL) {
            return ADMIND_ERROR;
        }

        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
            || reply->element[0]->type != REDIS_REPLY_STRING
            || reply->element[1]->type != REDIS_REPLY_ARRAY)
        {
            freeReplyObject(reply);
            snprintf(err, errlen, "unexpected SCAN reply");
            return ADMIND_ERROR;
        }

        snprintf(cursor, sizeof(cursor), "%s", reply->element[0]->str);
        keys = reply->element[1];

        admind_redis_args_init(&del);
        admind_redis_args_str(&del, "DEL");
        n = 0;

        for (i = 0; i < keys->elements; i++) {
            k = keys->element[i];

            if (k->type == REDIS_REPLY_STRING
                && admind_hotstate_is_stale(kind, k->str, (size_t) k->len,
                                            seen))
            {
                admind_redis_args_add(&del, k->str, (size_t) k->len);
                n++;
            }
        }

        freeReplyObject(reply);

        if (n > 0) {
            reply = admind_redis_command_argv(err, errlen, del.argc,
                                              (const char **) del.argv,
                                              del.argvlen);
            if (reply == NULL) {
                admind_redis_args_free(&del);
                return ADMIND_ERROR;
            }

            freeReplyObject(reply);
            st->stale += n;
        }

        admind_redis_args_free(&del);

    } while (strcmp(cursor, "0") != 0);

    return ADMIND_OK;
}


int
admind_hotstate_resync(MYSQL *mysql, admind_hotstate_stats_t *st,
    char *err, size_t errlen)
{
    int                     rc;
    char                    name[ADMIND_HOTSTATE_NAME];
    redisReply             *reply;
    admind_hotstate_seen_t  seen;

    memset(st, 0, sizeof(admind_hotstate_stats_t));
    memset(&seen, 0, sizeof(seen));

    pthread_rwlock_wrlock(&admind_hotstate_lock);

    /* failures from here on are this resync's, and set it again */
    __atomic_store_n(&admind_hotstate_dirty_flag, 0, __ATOMIC_SEQ_CST);

    rc = ADMIND_ERROR;

    if (admind_hotstate_resync_keys(mysql, &seen, st, err, errlen)
        != ADMIND_OK
        || admind_hotstate_resync_accounts(mysql, &seen, st, err, errlen)
           != ADMIND_OK
        || admind_hotstate_resync_groups(mysql, &seen, st, err, errlen)
           != ADMIND_OK)
    {
        goto done;
    }

    qsort(seen.digests, seen.ndigests, sizeof(*seen.digests),
          admind_hotstate_cmp_digest);
    qsort(seen.accounts, seen.naccounts, sizeof(admind_hotstate_member_t),
          admind_hotstate_cmp_member);

    if (admind_hotstate_resync_sets(&seen, st, err, errlen) != ADMIND_OK
        || admind_hotstate_sweep(ADMIND_STALE_KEY, "key:*", &seen, st, err,
                                 errlen)
           != ADMIND_OK
        || admind_hotstate_sweep(ADMIND_STALE_ACCOUNT, "account:*", &seen,
                                 st, err, errlen)
           != ADMIND_OK
        || admind_hotstate_sweep(ADMIND_STALE_GROUP, "group:*:accounts",
                                 &seen, st, err, errlen)
           != ADMIND_OK)
    {
        goto done;
    }

    admind_hotstate_name(name, sizeof(name), "synced");

    reply = admind_redis_command(err, errlen, "SET %s %lld", name,
                                 (long long) time(NULL));
    if (reply == NULL) {
        goto done;
    }

    freeReplyObject(reply);
    rc = ADMIND_OK;

done:

    if (rc != ADMIND_OK) {
        __atomic_store_n(&admind_hotstate_dirty_flag, 1, __ATOMIC_SEQ_CST);
    }

    pthread_rwlock_unlock(&admind_hotstate_lock);

    free(seen.digests);
    free(seen.accounts);
    free(seen.groups);

    return rc;
}
