/*
 * QuotaLane admind: login attempts limited per username and address, per
 * address, and (only slowed) per username.
 *
 * Attempts are counted in Redis, so that every admind of a deployment
 * sees the same counts and they vanish by themselves:
 * <prefix>login:fail:pair:<address>|<name>, ...:addr:<address> and
 * ...:user:<name>.  An attempt is counted before the password is
 * checked, atomically (INCR), so that parallel guesses cannot slip past
 * the limit, and taken back when it succeeds; what stays counted are
 * failures.  The first one opens a window of
 * login_failure_window_seconds.  In it:
 *
 *  - login_max_failures failures of a name from one address, or
 *    login_max_failures_per_addr from one address whatever the names,
 *    refuse that address with 429 until the window closes, no password
 *    checked;
 *  - the name alone is never refused: counted per name it would let
 *    anybody lock any user out with a few wrong passwords.  Past
 *    login_max_failures_per_user failures from all addresses together
 *    its attempts are slowed to one per login_user_pace_seconds (429
 *    with Retry-After in between), which bounds a guessing botnet
 *    without shutting the real user out.
 *
 * Success clears the name's counts, not the address's: one good account
 * must not reopen guessing at the others.
 *
 * With Redis down, logins go unlimited (with a warning): locking every
 * admin out during a Redis outage would be worse than a slower guess.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_config.h"
#include "admind_log.h"
#include "admind_redis.h"
#include "admind_login_limit.h"


/* prefix, "login:fail:pair:", an address and a name of up to 1024 bytes */
#define ADMIND_LOGIN_KEY_MAX  1280


/*
 * Names are compared as MySQL compares them (utf8mb4_unicode_ci, PAD
 * SPACE): "Admin " is "admin" and must share its counter.
 */
static void
admind_login_limit_key(const admind_conf_t *conf, const char *kind,
    const char *value, char *key, size_t size)
{
    size_t  len, i;

    snprintf(key, size, "%slogin:fail:%s:%s", conf->redis_prefix, kind,
             value);

    len = strlen(key);

    while (len > 0 && key[len - 1] == ' ') {
        key[--len] = '\0';
    }

    for (i = strlen(conf->redis_prefix); i < len; i++) {
        key[i] = (char) tolower((unsigned char) key[i]);
    }
}


static void
admind_login_limit_warn(const char *err)
{
    admind_log(ADMIND_LOG_WARN, "login attempts not limited: Redis "
               "unavailable", "error", admind_log_str(err), NULL);
}


/* one command whose reply only matters as success */
static int
admind_login_limit_run(const char *fmt, const char *key, long long arg)
{
    char         err[ADMIND_ERRLEN];
    redisReply  *reply;

    reply = admind_redis_command(err, sizeof(err), fmt, key, arg);
    if (reply == NULL) {
        admind_login_limit_warn(err);
        return ADMIND_ERROR;
    }

    freeReplyObject(reply);

    return ADMIND_OK;
}


/* takes an attempt back, unless its window closed meanwhile */
static void
admind_login_limit_decr(const char *key)
{
    char         err[ADMIND_ERRLEN];
    redisReply  *reply;

    reply = admind_redis_command(err, sizeof(err), "EVAL %s 1 %s",
                                 "if redis.call('EXISTS', KEYS[1]) == 1 "
                                 "then redis.call('DECR', KEYS[1]) end",
                                 key);
    if (reply == NULL) {
        admind_login_limit_warn(err);
        return;
    }

    freeReplyObject(reply);
}


/* counts one attempt on key; ADMIND_DECLINED when beyond max */
static int
admind_login_limit_one(const admind_conf_t *conf, const char *key,
    unsigned max, unsigned *retry_after)
{
    char         err[ADMIND_ERRLEN];
    long long    n;
    redisReply  *reply;

    /* the window starts with the first attempt; INCR keeps the TTL */
    if (admind_login_limit_run("SET %s 0 EX %lld NX", key,
                               conf->login_failure_window_seconds)
        != ADMIND_OK)
    {
        return ADMIND_OK;
    }

    reply = admind_redis_command(err, sizeof(err), "INCR %s", key);
    if (reply == NULL) {
        admind_login_limit_warn(err);
        return ADMIND_OK;
    }

    n = reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
    freeReplyObject(reply);

    if (n <= (long long) max) {
        return ADMIND_OK;
    }

    *retry_after = 1;

    reply = admind_redis_command(err, sizeof(err), "TTL %s", key);

    if (reply != NULL && reply->type == REDIS_REPLY_INTEGER
        && reply->integer > 0)
    {
        *retry_after = (unsigned) reply->integer;
    }

    if (reply != NULL) {
        freeReplyObject(reply);
    }

    return ADMIND_DECLINED;
}


/* over the per-name threshold: one attempt per pace for the name */
static int
admind_login_limit_pace(const admind_conf_t *conf, const char *user)
{
    int          taken;
    char         key[ADMIND_LOGIN_KEY_MAX], err[ADMIND_ERRLEN];
    redisReply  *reply;

    admind_login_limit_key(conf, "pace", user, key, sizeof(key));

    reply = admind_redis_command(err, sizeof(err), "SET %s 1 EX %u NX", key,
                                 conf->login_user_pace_seconds);
    if (reply == NULL) {
        admind_login_limit_warn(err);
        return ADMIND_OK;
    }

    taken = reply->type == REDIS_REPLY_NIL;
    freeReplyObject(reply);

    return taken ? ADMIND_DECLINED : ADMIND_OK;
}


int
admind_login_limit_begin(const admind_conf_t *conf, const char *user,
    const char *addr, unsigned *retry_after)
{
    char  pair[ADMIND_LOGIN_KEY_MAX + 64], pkey[ADMIND_LOGIN_KEY_MAX];
    char  ukey[ADMIND_LOGIN_KEY_MAX], akey[ADMIND_LOGIN_KEY_MAX];

    *retry_after = 0;

    /* the address first: a name may hold any character, '|' too */
    snprintf(pair, sizeof(pair), "%s|%s", addr, user);

    admind_login_limit_key(conf, "pair", pair, pkey, sizeof(pkey));
    admind_login_limit_key(conf, "addr", addr, akey, sizeof(akey));
    admind_login_limit_key(conf, "user", user, ukey, sizeof(ukey));

    if (admind_login_limit_one(conf, pkey, conf->login_max_failures,
                               retry_after)
        != ADMIND_OK)
    {
        return ADMIND_DECLINED;
    }

    if (admind_login_limit_one(conf, akey, conf->login_max_failures_per_addr,
                               retry_after)
        != ADMIND_OK)
    {
        /* refused for the address: not a try of this name */
        admind_login_limit_decr(pkey);
        return ADMIND_DECLINED;
    }

    if (admind_login_limit_one(conf, ukey, conf->login_max_failures_per_user,
                               retry_after)
        == ADMIND_OK)
    {
        return ADMIND_OK;
    }

    if (admind_login_limit_pace(conf, user) == ADMIND_OK) {
        *retry_after = 0;
        return ADMIND_OK;
    }

    *retry_after = conf->login_user_pace_seconds;

    admind_login_limit_decr(pkey);
    admind_login_limit_decr(akey);
    admind_login_limit_decr(ukey);

    return ADMIND_DECLINED;
}


void
admind_login_limit_success(const admind_conf_t *conf, const char *user,
    const char *addr)
{
    char  pair[ADMIND_LOGIN_KEY_MAX + 64], key[ADMIND_LOGIN_KEY_MAX];

    snprintf(pair, sizeof(pair), "%s|%s", addr, user);
    admind_login_limit_key(conf, "pair", pair, key, sizeof(key));
    (void) admind_login_limit_run("DEL %s", key, 0);

    admind_login_limit_key(conf, "user", user, key, sizeof(key));
    (void) admind_login_limit_run("DEL %s", key, 0);

    /* the address keeps its failures, not this attempt */
    admind_login_limit_key(conf, "addr", addr, key, sizeof(key));
    admind_login_limit_decr(key);
}


void
admind_login_limit_undo(const admind_conf_t *conf, const char *user,
    const char *addr)
{
    char  pair[ADMIND_LOGIN_KEY_MAX + 64], key[ADMIND_LOGIN_KEY_MAX];

    snprintf(pair, sizeof(pair), "%s|%s", addr, user);
    admind_login_limit_key(conf, "pair", pair, key, sizeof(key));
    admind_login_limit_decr(key);

    admind_login_limit_key(conf, "user", user, key, sizeof(key));
    admind_login_limit_decr(key);

    admind_login_limit_key(conf, "addr", addr, key, sizeof(key));
    admind_login_limit_decr(key);
}
