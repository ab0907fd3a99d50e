/*
 * QuotaLane admind: an account's runtime state.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admind_redis.h"
#include "admind_hotstate.h"
#include "admind_time.h"
#include "admind_resource.h"
#include "admind_account_state.h"


#define ADMIND_ACCOUNT_STATE_NAME  512


/* HDEL and HSET only on a record that exists: no half records */
static const char  admind_account_state_reset_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
    "redis.call('HDEL', KEYS[1], 'cooldown_until_ms', 'circuit', "
    "'circuit_until_ms', 'probe_until_ms', 'window_until_ms') "
    "redis.call('HSET', KEYS[1], 'health', '100') "
    "return 1";


/* a time in unix ms as the API shows it; null when unset or past */
static json_t *
admind_account_state_time(redisReply *e, int past_too)
{
    char       when[ADMIND_TIME_LEN + 1];
    long long  ms;

    ms = e->type == REDIS_REPLY_STRING ? strtoll(e->str, NULL, 10) : 0;

    if (ms <= 0 || (!past_too && ms <= (long long) time(NULL) * 1000)) {
        return json_null();
    }

    admind_time_format((time_t) (ms / 1000), when, sizeof(when));

    return json_string(when);
}


/*
 * The vendor's usage windows as usage.lua keeps them
 * ("name status reset utilization;...", ql_rate_window.h), as a list.
 */
static json_t *
admind_account_state_windows(redisReply *e)
{
    char         item[4][64], when[ADMIND_TIME_LEN + 1], *text, *p, *save;
    json_t      *list, *w;
    long long    reset;

    list = json_array();

    if (list == NULL || e->type != REDIS_REPLY_STRING || e->len == 0) {
        return list;
    }

    text = strdup(e->str);
    if (text == NULL) {
        return list;
    }

    for (p = strtok_r(text, ";", &save); p != NULL;
         p = strtok_r(NULL, ";", &save))
    {
        if (sscanf(p, "%63s %63s %63s %63s", item[0], item[1], item[2],
                   item[3])
            != 4)
        {
            continue;
        }

        w = json_pack("{s:s,s:s}", "window", item[0], "status", item[1]);
        if (w == NULL) {
            continue;
        }

        reset = strtoll(item[2], NULL, 10);
        if (reset > 0) {
            admind_time_format((time_t) reset, when, sizeof(when));
            json_object_set_new(w, "resetsAt", json_string(when));
        }

        if (strcmp(item[3], "-") != 0) {
            json_object_set_new(w, "utilization",
                                json_real(strtod(item[3], NULL)));
        }

        json_array_append_new(list, w);
    }

    free(text);

    return list;
}


void
admind_account_state_add(json_t *account)
{
    char          name[ADMIND_ACCOUNT_STATE_NAME];
    char          err[ADMIND_ERRLEN];
    uint64_t      id;
    long long     health;
    redisReply   *reply, *e;

    id = admind_resource_id(account, "id");

    admind_hotstate_name(name, sizeof(name), "account:%llu",
                         (unsigned long long) id);

    reply = admind_redis_command(err, sizeof(err), "HMGET %s "
                                 "cooldown_until_ms health circuit "
                                 "windows windows_ms window_until_ms", name);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 6)
    {
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        return;
    }

    json_object_set_new(account, "cooldownUntil",
                        admind_account_state_time(reply->element[0], 0));

    e = reply->element[1];
    health = e->type == REDIS_REPLY_STRING ? strtoll(e->str, NULL, 10)
                                           : 100;
    json_object_set_new(account, "health", json_integer(health));

    e = reply->element[2];
    json_object_set_new(account, "circuit",
                        json_string(e->type == REDIS_REPLY_STRING
                                    && e->len > 0 ? e->str : "closed"));

    json_object_set_new(account, "usageWindows",
                        admind_account_state_windows(reply->element[3]));
    json_object_set_new(account, "usageWindowsSeenAt",
                        admind_account_state_time(reply->element[4], 1));
    json_object_set_new(account, "windowExhaustedUntil",
                        admind_account_state_time(reply->element[5], 0));

    freeReplyObject(reply);

    /* concurrency leases whose expiry is still ahead: requests in flight */
    admind_hotstate_name(name, sizeof(name), "aconc:%llu",
                         (unsigned long long) id);

    reply = admind_redis_command(err, sizeof(err), "ZCOUNT %s %lld +inf",
                                 name, (long long) time(NULL) * 1000);

    json_object_set_new(account, "leasesInUse",
                        json_integer(reply != NULL
                                     && reply->type == REDIS_REPLY_INTEGER
                                     ? reply->integer : 0));

    if (reply != NULL) {
        freeReplyObject(reply);
    }
}


int
admind_account_state_reset(uint64_t id, char *err, size_t errlen)
{
    char         name[ADMIND_ACCOUNT_STATE_NAME];
    redisReply  *reply;

    admind_hotstate_name(name, sizeof(name), "account:%llu",
                         (unsigned long long) id);

    reply = admind_redis_command(err, errlen, "EVAL %s 1 %s",
                                 admind_account_state_reset_lua, name);

    if (reply == NULL) {
        return ADMIND_ERROR;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "%s", reply->str);
        freeReplyObject(reply);
        return ADMIND_ERROR;
    }

    freeReplyObject(reply);

    return ADMIND_OK;
}
