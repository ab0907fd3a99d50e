/*
 * QuotaLane admind: rebuilding the whole hot state from MySQL.
 *
 * Keys and accounts are read in id order, a chunk at a time (keyset
 * pagination: no OFFSET rescans, no huge result in memory), and their
 * records written in pipelines.  Each set is then replaced in one
 * MULTI/EXEC (DEL and SADD), so a reader sees the old or the new set,
 * never a half-built one.  Last, a SCAN by prefix deletes the records of
 * rows that MySQL no longer has; it judges only names of the shapes
 * admind writes, so the module's own keys are left alone.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ql_account_type.h"
#include "admind_log.h"
#include "admind_db_stmt.h"
#include "admind_redis.h"
#include "admind_hotstate_record.h"
#include "admind_hotstate.h"
#include "admind_quota.h"


/* rows per SELECT and commands per pipeline */
#define ADMIND_HOTSTATE_CHUNK  500

#define ADMIND_HOTSTATE_NAME   512


/* an account as the sets need it */
typedef struct {
    uint64_t     id;
    uint64_t     group;
    const char  *pools;         /* its type's, from the static table */
} admind_hotstate_member_t;


/* what a resync read, to rebuild the sets and find stale records */
typedef struct {
    admind_hotstate_digests_t   digests;
    admind_hotstate_member_t   *accounts;
    size_t                      naccounts;
    size_t                      accounts_cap;
    uint64_t                   *groups;
    size_t                      ngroups;
} admind_hotstate_seen_t;


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

        if (admind_hotstate_put_keys(admind_hotstate_prefix(), rows,
                                     &seen->digests, &st->keys,
                                     &st->skipped, err, errlen)
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
    const char                *type;
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

            if (admind_hotstate_account_args(admind_hotstate_prefix(),
                                             admind_hotstate_outbound(), row,
                                             &a, detail, sizeof(detail))
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
            m->id = admind_hotstate_row_id(row, "id");
            m->group = admind_hotstate_row_id(row, "group_id");
            /* published: the type is known */
            type = json_string_value(json_object_get(row, "type"));
            m->pools = ql_account_type_by_name((const unsigned char *) type,
                                               strlen(type))->pools;
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
        seen->groups[seen->ngroups++] = admind_hotstate_row_id(row, "id");
    }

    json_decref(rows);
    st->groups = seen->ngroups;

    return ADMIND_OK;
}


/* MULTI, DEL set, SADD set members..., EXEC: readers see old or new */
static int
admind_hotstate_replace_set(const char *set, admind_hotstate_seen_t *seen,
    const char *pool, uint64_t group, char *err, size_t errlen)
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
    admind_redis_args_fmt(&a, "%s%s", admind_hotstate_prefix(),
                          set);
    admind_redis_batch_add(&b, &a);
    admind_redis_args_free(&a);

    admind_redis_args_init(&a);
    admind_redis_args_str(&a, "SADD");
    admind_redis_args_fmt(&a, "%s%s", admind_hotstate_prefix(),
                          set);
    members = 0;

    for (i = 0; i < seen->naccounts; i++) {
        if ((pool != NULL
             && ql_list_has(seen->accounts[i].pools,
                            (const unsigned char *) pool, strlen(pool)))
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
    char              set[96];
    size_t            i;
    const ql_pool_t  *p;

    /* every pool, even empty ones (DEL then nothing to add) */
    for (i = 0; (p = ql_pool_at(i)) != NULL; i++) {
        snprintf(set, sizeof(set), "accounts:%s", p->name);

        if (admind_hotstate_replace_set(set, seen, p->name, 0, err, errlen)
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

    plen = strlen(admind_hotstate_prefix());

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

        return bsearch(digest, seen->digests.v, seen->digests.n,
                       sizeof(*seen->digests.v), admind_hotstate_cmp_digest)
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

    for (p = admind_hotstate_prefix(); *p && n + 3 < size; p++) {
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


/* The plan quota of every subscriber, back into their key records. */
static int
admind_hotstate_resync_quotas(MYSQL *mysql, char *err, size_t errlen)
{
    size_t   i;
    json_t  *rows, *row;

    if (admind_db_select(mysql, "SELECT DISTINCT user_id FROM subscriptions "
                         "WHERE status = 'active'", NULL, 0, &rows, err,
                         errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    json_array_foreach(rows, i, row) {
        if (admind_quota_publish_user(mysql, (uint64_t) json_integer_value(
                                          json_object_get(row, "user_id")),
                                      err, errlen)
            != ADMIND_OK)
        {
            json_decref(rows);
            return ADMIND_ERROR;
        }
    }

    json_decref(rows);

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

    admind_hotstate_exclusive();

    /* failures from here on are this resync's, and set it again */
    admind_hotstate_set_dirty(0);

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

    qsort(seen.digests.v, seen.digests.n, sizeof(*seen.digests.v),
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

    /* plan quotas live in the key records, rewritten above */
    if (admind_hotstate_resync_quotas(mysql, err, errlen) != ADMIND_OK) {
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
        admind_hotstate_set_dirty(1);
    }

    admind_hotstate_release();

    free(seen.digests.v);
    free(seen.accounts);
    free(seen.groups);

    return rc;
}
