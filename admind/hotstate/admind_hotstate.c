/*
 * QuotaLane admind: the Redis hot state, written through after commits.
 *
 * Each publish reads the committed rows back (admind_hotstate_record.c)
 * and writes their records.  A read-write lock orders publishes and the
 * resync inside this process: publishes share it, a resync
 * (admind_hotstate_resync.c) takes it alone.  Without it a key created
 * while a resync runs could be read too late by the resync and then be
 * deleted by its sweep of stale records.
 */

#define _GNU_SOURCE

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_config.h"
#include "admind_log.h"
#include "admind_db_stmt.h"
#include "admind_redis.h"
#include "admind_hotstate_record.h"
#include "admind_hotstate.h"
#include "admind_quota.h"
#include "ql_account_type.h"


#define ADMIND_HOTSTATE_NAME   512


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
admind_hotstate_set_dirty(int dirty)
{
    __atomic_store_n(&admind_hotstate_dirty_flag, dirty, __ATOMIC_SEQ_CST);
}


void
admind_hotstate_exclusive(void)
{
    pthread_rwlock_wrlock(&admind_hotstate_lock);
}


void
admind_hotstate_release(void)
{
    pthread_rwlock_unlock(&admind_hotstate_lock);
}


const char *
admind_hotstate_prefix(void)
{
    return admind_hotstate_conf->redis_prefix;
}


const admind_outbound_allow_t *
admind_hotstate_outbound(void)
{
    return &admind_hotstate_conf->outbound;
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

    admind_hotstate_set_dirty(1);

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


static void
admind_hotstate_publish_keys(MYSQL *mysql, const char *where, uint64_t id)
{
    char               sql[1024], err[ADMIND_ERRLEN];
    json_t            *rows;
    unsigned long      put, skipped;
    admind_db_param_t  params[1];

    snprintf(sql, sizeof(sql), "%s WHERE %s = ?", ADMIND_HOTSTATE_KEY_SQL,
             where);
    params[0] = admind_db_int((long long) id);
    put = 0;
    skipped = 0;

    pthread_rwlock_rdlock(&admind_hotstate_lock);

    if (admind_db_select(mysql, sql, params, 1, &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_hotstate_failed("key", id, err);

    } else {
        if (admind_hotstate_put_keys(admind_hotstate_conf->redis_prefix,
                                     rows, NULL, &put, &skipped, err,
                                     sizeof(err))
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
    int                found;
    char               err[ADMIND_ERRLEN];
    long long          user_id;
    admind_db_param_t  params[1];

    admind_hotstate_publish_keys(mysql, "k.id", key_id);

    /* a new key record has no plan quota yet: give it its owner's */
    params[0] = admind_db_int((long long) key_id);

    if (admind_db_select_int(mysql, "SELECT k.user_id FROM api_keys k "
                             "JOIN subscriptions s ON s.user_id = k.user_id "
                             "AND s.status = 'active' WHERE k.id = ? "
                             "LIMIT 1", params, 1, &user_id, &found,
                             err, sizeof(err))
        != ADMIND_OK
        || (found
            && admind_quota_publish_user(mysql, (uint64_t) user_id, err,
                                         sizeof(err))
               != ADMIND_OK))
    {
        admind_hotstate_failed("quota", key_id, err);
    }
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


/*
 * The account in accounts:<pool> of every pool its type joins (pools
 * "" for a deleted account) and out of every other pool.
 */
static void
admind_hotstate_pools(admind_redis_batch_t *b, const char *pools,
    uint64_t id)
{
    int               in;
    char              set[96];
    size_t            i;
    const ql_pool_t  *p;

    for (i = 0; (p = ql_pool_at(i)) != NULL; i++) {
        /* ql_list_has() takes "" for "all": a deleted account is in none */
        in = pools[0] != '\0'
             && ql_list_has(pools, (const unsigned char *) p->name,
                            strlen(p->name));

        snprintf(set, sizeof(set), "accounts:%s", p->name);
        admind_hotstate_set_member(b, in ? "SADD" : "SREM", set, id);
    }
}


void
admind_hotstate_account(MYSQL *mysql, uint64_t id, uint64_t old_group)
{
    char                      sql[1024], set[96], err[ADMIND_ERRLEN];
    json_t                   *rows, *row;
    uint64_t                  group;
    const char               *type;
    admind_db_param_t         params[1];
    admind_redis_args_t       a;
    admind_redis_batch_t      b;
    const ql_account_type_t  *t;

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

    if (admind_hotstate_account_args(admind_hotstate_conf->redis_prefix,
                                     &admind_hotstate_conf->outbound, row,
                                     &a, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_redis_args_free(&a);
        json_decref(rows);
        admind_hotstate_failed("account", id, err);
        goto done;
    }

    /* published: the type is known */
    type = json_string_value(json_object_get(row, "type"));
    t = ql_account_type_by_name((const unsigned char *) type, strlen(type));
    group = admind_hotstate_row_id(row, "group_id");

    /* the record and its memberships change together */
    if (admind_redis_batch_begin(&b, 1, err, sizeof(err)) != ADMIND_OK) {
        admind_redis_args_free(&a);
        json_decref(rows);
        admind_hotstate_failed("account", id, err);
        goto done;
    }

    admind_redis_batch_add(&b, &a);
    admind_redis_args_free(&a);

    admind_hotstate_pools(&b, t->pools, id);

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
admind_hotstate_account_deleted(uint64_t id, uint64_t group_id)
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

    admind_hotstate_pools(&b, "", id);

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
