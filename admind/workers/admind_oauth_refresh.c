/*
 * QuotaLane admind: the OAuth refresh worker (see admind_oauth_refresh.h;
 * an admind_worker.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "admind_config.h"
#include "admind_log.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_redis.h"
#include "admind_cred.h"
#include "admind_hotstate.h"
#include "admind_oauth_provider.h"
#include "admind_oauth_token.h"
#include "admind_worker.h"
#include "admind_webhook_event.h"
#include "admind_oauth_refresh.h"


/* accounts per tick; the rest wait for the next one */
#define ADMIND_OAUTH_BATCH    "50"

/* a refresh holds its account's lock at most this long */
#define ADMIND_OAUTH_LOCK_MS  "60000"

/* how soon a token the gateway saw refused is refreshed */
#define ADMIND_OAUTH_REFUSED_MS  1000


static const admind_conf_t    *admind_oauth_conf;
static const ql_master_key_t  *admind_oauth_key;
static time_t                  admind_oauth_next_scan;


void
admind_oauth_refresh_key(const ql_master_key_t *mk)
{
    admind_oauth_key = mk;
}


/* one refresh at a time per account, across admind processes */
static int
admind_oauth_lock(uint64_t id, char token[33], int take)
{
    int             ok;
    char            err[ADMIND_ERRLEN];
    unsigned char   r[16];
    redisReply     *reply;

    if (take) {
        if (RAND_bytes(r, sizeof(r)) != 1) {
            return 0;
        }

        for (ok = 0; ok < 16; ok++) {
            snprintf(token + 2 * ok, 3, "%02x", r[ok]);
        }

        reply = admind_redis_command(err, sizeof(err),
                                     "SET %soauth:lock:%llu %s NX PX %s",
                                     admind_oauth_conf->redis_prefix,
                                     (unsigned long long) id, token,
                                     ADMIND_OAUTH_LOCK_MS);
        ok = reply != NULL && reply->type == REDIS_REPLY_STATUS;

    } else {
        /* only our own lock: it may have lapsed and been taken since */
        reply = admind_redis_command(err, sizeof(err),
                    "EVAL %s 1 %soauth:lock:%llu %s",
                    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                    "return redis.call('DEL', KEYS[1]) end return 0",
                    admind_oauth_conf->redis_prefix,
                    (unsigned long long) id, token);
        ok = reply != NULL;
    }

    freeReplyObject(reply);

    return ok;
}


/*
 * Webhooks hear of every failed refresh, and of the one that set the
 * account aside (the error status is never refreshed again, so once).
 */
static void
admind_oauth_notify(MYSQL *mysql, uint64_t id, const char *why)
{
    char               err[ADMIND_ERRLEN];
    json_t            *rows, *row, *details;
    const char        *name, *status;
    admind_db_param_t  params[1];

    params[0] = admind_db_int((long long) id);

    if (admind_db_select(mysql, "SELECT name, status, refresh_failures "
                         "FROM accounts WHERE id = ?", params, 1, &rows,
                         err, sizeof(err))
        != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_WARN, "oauth refresh failure not notified",
                   "account_id", json_integer((json_int_t) id),
                   "error", admind_log_str(err), NULL);
        return;
    }

    row = json_array_get(rows, 0);
    name = json_string_value(json_object_get(row, "name"));
    status = json_string_value(json_object_get(row, "status"));
    details = json_pack("{s:O}", "refreshFailures",
                        json_object_get(row, "refresh_failures"));

    if (row != NULL) {
        (void) admind_webhook_event(mysql, ADMIND_WEBHOOK_REFRESH_FAILED, id,
                                    name, why, details);

        if (status != NULL && strcmp(status, "error") == 0) {
            (void) admind_webhook_event(mysql, ADMIND_WEBHOOK_ACCOUNT_ERROR,
                                        id, name, "set aside after failed "
                                        "token refreshes", details);
        }
    }

    json_decref(details);
    json_decref(rows);
}


/* a failed refresh counts; enough in a row and the account is set aside */
static void
admind_oauth_failed(MYSQL *mysql, uint64_t id, const char *why)
{
    char               err[ADMIND_ERRLEN];
    admind_db_param_t  params[2];

    params[0] = admind_db_int((long long)
                              admind_oauth_conf->oauth_refresh_max_failures);
    params[1] = admind_db_int((long long) id);

    if (admind_db_exec(mysql, "UPDATE accounts SET "
                       "refresh_failures = refresh_failures + 1, "
                       "status = IF(refresh_failures >= ?, 'error', status), "
                       "version = version + 1 WHERE id = ?",
                       params, 2, NULL, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_WARN, "oauth refresh failure not counted",
                   "account_id", json_integer((json_int_t) id),
                   "error", admind_log_str(err), NULL);
        return;
    }

    admind_log(ADMIND_LOG_WARN, "oauth refresh failed",
               "account_id", json_integer((json_int_t) id),
               "error", admind_log_str(why), NULL);

    admind_hotstate_account(mysql, id, 0);
    admind_oauth_notify(mysql, id, why);
}


/*
 * The new tokens sealed and stored, fenced by the refresh token they
 * replace: a concurrent refresh of the same account changes nothing.
 */
static int
admind_oauth_store(MYSQL *mysql, uint64_t id, const unsigned char *old,
    size_t old_len, admind_oauth_tokens_t *t, char *err, size_t errlen)
{
    int                  rc;
    char                 hint[ADMIND_CRED_HINT_LEN];
    size_t               cred_len, refresh_len;
    unsigned char       *cred, *refresh;
    admind_db_param_t    params[7];
    admind_db_result_t   res;

    cred = NULL;
    refresh = NULL;
    refresh_len = 0;

    if (admind_cred_seal(admind_oauth_key, id, t->access_token,
                         strlen(t->access_token), &cred, &cred_len)
        != ADMIND_OK
        || (t->refresh_token != NULL
            && admind_cred_seal(admind_oauth_key, id, t->refresh_token,
                                strlen(t->refresh_token), &refresh,
                                &refresh_len)
               != ADMIND_OK))
    {
        free(cred);
        snprintf(err, errlen, "cannot seal the new tokens");
        return ADMIND_ERROR;
    }

    admind_cred_hint(t->access_token, strlen(t->access_token), hint);

    params[0] = admind_db_blob(cred, cred_len);
    params[1] = admind_db_str(hint);
    params[2] = refresh ? admind_db_blob(refresh, refresh_len)
                        : admind_db_blob(old, old_len);
    params[3] = admind_db_int(t->expires_in);
    params[4] = admind_db_int(t->expires_in);
    params[5] = admind_db_int((long long) id);
    params[6] = admind_db_blob(old, old_len);

    memset(&res, 0, sizeof(res));

    rc = admind_db_exec(mysql, "UPDATE accounts SET credentials_enc = ?, "
                        "credential_hint = ?, refresh_token_enc = ?, "
                        "credentials_expire_at = IF(? > 0, "
                        "UTC_TIMESTAMP(3) + INTERVAL ? SECOND, NULL), "
                        "refresh_failures = 0, "
                        "status = IF(status = 'error', 'active', status), "
                        "version = version + 1 "
                        "WHERE id = ? AND refresh_token_enc = ?",
                        params, 7, &res, err, errlen);

    free(cred);
    free(refresh);

    if (rc == ADMIND_OK && res.affected_rows == 0) {
        snprintf(err, errlen, "refreshed meanwhile by another process");
        return ADMIND_BUSY;
    }

    return rc;
}


/* ADMIND_OK when the account has new tokens */
static int
admind_oauth_refresh_one(MYSQL *mysql, json_t *row, char *err,
    size_t errlen)
{
    int                       rc;
    char                      lock[33], *secret;
    size_t                    env_len;
    uint64_t                  id;
    unsigned char            *env;
    admind_oauth_tokens_t     t;
    admind_oauth_provider_t   p;

    id = (uint64_t) json_integer_value(json_object_get(row, "id"));
    env = NULL;

    if (!admind_oauth_lock(id, lock, 1)) {
        snprintf(err, errlen, "another refresh of the account is running");
        return ADMIND_BUSY;
    }

    rc = ADMIND_ERROR;

    if (admind_cred_unhex(json_string_value(json_object_get(row, "rt")),
                          &env, &env_len)
        != ADMIND_OK)
    {
        snprintf(err, errlen, "the refresh token is not readable");
        admind_oauth_lock(id, lock, 0);
        return rc;
    }

    secret = admind_cred_open(admind_oauth_key, id, env, env_len);

    if (secret == NULL) {
        snprintf(err, errlen, "the refresh token does not open with this "
                 "master key");
        admind_oauth_failed(mysql, id, err);
        goto done;
    }

    if (admind_oauth_provider_of_type(admind_oauth_conf,
                                      json_string_value(json_object_get(row,
                                                                  "type")),
                                      &p)
        != ADMIND_OK)
    {
        snprintf(err, errlen, "no OAuth provider refreshes this type");
        ql_wipe(secret, strlen(secret));
        free(secret);
        goto done;
    }

    rc = admind_oauth_refresh(&p, secret, &t, err, errlen);

    ql_wipe(secret, strlen(secret));
    free(secret);

    if (rc != ADMIND_OK) {
        admind_oauth_failed(mysql, id, err);
        goto done;
    }

    rc = admind_oauth_store(mysql, id, env, env_len, &t, err, errlen);
    admind_oauth_tokens_free(&t);

    if (rc == ADMIND_OK) {
        admind_log(ADMIND_LOG_INFO, "oauth token refreshed",
                   "account_id", json_integer((json_int_t) id), NULL);
        admind_hotstate_account(mysql, id, 0);

    } else if (rc != ADMIND_BUSY) {
        admind_oauth_failed(mysql, id, err);
    }

done:

    free(env);
    admind_oauth_lock(id, lock, 0);

    return rc;
}


/*
 * Accounts whose token the gateway saw refused (a 401: feedback.lua adds
 * them to <prefix>oauth:refused) are refreshed now, whatever their expiry
 * says; a new token ends the cooldown the 401 started.  SPOP hands each
 * to one admind only.
 */
static void
admind_oauth_refused(MYSQL *mysql, admind_worker_t *w)
{
    char                err[ADMIND_ERRLEN];
    json_t             *rows, *row;
    size_t              i;
    uint64_t            id;
    redisReply         *reply;
    admind_db_param_t   params[1];

    reply = admind_redis_command(err, sizeof(err), "SPOP %soauth:refused "
                                 ADMIND_OAUTH_BATCH,
                                 admind_oauth_conf->redis_prefix);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        if (reply == NULL) {
            admind_worker_failed(w, err);
        }

        freeReplyObject(reply);
        return;
    }

    for (i = 0; i < reply->elements && !admind_worker_stopping(w); i++) {
        if (reply->element[i]->type != REDIS_REPLY_STRING) {
            continue;
        }

        id = strtoull(reply->element[i]->str, NULL, 10);
        params[0] = admind_db_int((long long) id);

        if (admind_db_select(mysql, "SELECT id, type, refresh_token_enc AS rt "
                             "FROM accounts WHERE id = ? AND "
                             ADMIND_OAUTH_PROVIDER_TYPES " "
                             "AND refresh_token_enc IS NOT NULL "
                             "AND status <> 'disabled' "
                             "AND status <> 'error'",
                             params, 1, &rows, err, sizeof(err))
            != ADMIND_OK)
        {
            admind_worker_failed(w, err);
            continue;
        }

        row = json_array_get(rows, 0);

        if (row != NULL
            && admind_oauth_refresh_one(mysql, row, err, sizeof(err))
               == ADMIND_OK)
        {
            freeReplyObject(admind_redis_command(err, sizeof(err),
                                "HDEL %saccount:%llu cooldown_until_ms",
                                admind_oauth_conf->redis_prefix,
                                (unsigned long long) id));
        }

        json_decref(rows);
    }

    freeReplyObject(reply);
}


/*
 * Every second: the tokens the gateway saw refused; every
 * oauth_refresh_check_seconds: the tokens that expire soon.
 */
static long long
admind_oauth_tick(admind_worker_t *w)
{
    char                err[ADMIND_ERRLEN];
    MYSQL              *mysql;
    json_t             *rows, *row;
    size_t              i;
    time_t              now;
    long long           pause;
    admind_db_param_t   params[1];

    pause = ADMIND_OAUTH_REFUSED_MS;

    if (admind_oauth_key == NULL) {
        return pause;
    }

    mysql = admind_db_get(err, sizeof(err));

    if (mysql == NULL) {
        admind_worker_failed(w, err);
        return pause;
    }

    admind_oauth_refused(mysql, w);

    now = time(NULL);

    if (now < admind_oauth_next_scan) {
        return pause;
    }

    admind_oauth_next_scan = now + (time_t)
                             admind_oauth_conf->oauth_refresh_check_seconds;

    params[0] = admind_db_int((long long)
                              admind_oauth_conf->oauth_refresh_before_seconds);

    if (admind_db_select(mysql, "SELECT id, type, refresh_token_enc AS rt "
                         "FROM accounts WHERE " ADMIND_OAUTH_PROVIDER_TYPES
                         " AND refresh_token_enc IS NOT NULL "
                         "AND status <> 'disabled' AND status <> 'error' "
                         "AND credentials_expire_at "
                         "< UTC_TIMESTAMP(3) + INTERVAL ? SECOND "
                         "ORDER BY credentials_expire_at LIMIT "
                         ADMIND_OAUTH_BATCH,
                         params, 1, &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_worker_failed(w, err);
        return pause;
    }

    admind_worker_works(w);

    json_array_foreach(rows, i, row) {
        if (admind_worker_stopping(w)) {
            break;
        }

        (void) admind_oauth_refresh_one(mysql, row, err, sizeof(err));
    }

    json_decref(rows);

    return pause;
}


int
admind_oauth_refresh_account(MYSQL *mysql, uint64_t id, char *err,
    size_t errlen)
{
    int                 rc;
    json_t             *rows, *row;
    admind_db_param_t   params[1];

    if (admind_oauth_key == NULL || admind_oauth_conf == NULL) {
        snprintf(err, errlen, "no master key to seal new tokens with");
        return ADMIND_ERROR;
    }

    params[0] = admind_db_int((long long) id);

    if (admind_db_select(mysql, "SELECT id, type, refresh_token_enc AS rt "
                         "FROM accounts WHERE id = ? AND "
                         ADMIND_OAUTH_PROVIDER_TYPES " "
                         "AND refresh_token_enc IS NOT NULL",
                         params, 1, &rows, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    row = json_array_get(rows, 0);

    if (row == NULL) {
        snprintf(err, errlen, "the account has no refresh token");
        rc = ADMIND_DECLINED;

    } else {
        rc = admind_oauth_refresh_one(mysql, row, err, errlen);
    }

    json_decref(rows);

    return rc;
}


static admind_worker_t  admind_oauth_worker = {
    .name = "oauth refresh", .tick = admind_oauth_tick
};


int
admind_oauth_refresh_start(const admind_conf_t *conf, char *err,
    size_t errlen)
{
    admind_oauth_conf = conf;

    return admind_worker_start(&admind_oauth_worker, err, errlen);
}


void
admind_oauth_refresh_stop(void)
{
    admind_worker_stop(&admind_oauth_worker);
}
