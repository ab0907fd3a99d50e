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
    "'circuit_until_ms', 'probe_until_ms') "
    "redis.call('HSET', KEYS[1], 'health', '100') "
    "return 1";


void
admind_account_state_add(json_t *account)
{
    char          name[ADMIND_ACCOUNT_STATE_NAME];
    char          err[ADMIND_ERRLEN], when[ADMIND_TIME_LEN + 1];
    uint64_t      id;
    long long     ms, health;
    redisReply   *reply, *e;

    id = admind_resource_id(account, "id");

    admind_hotstate_name(name, sizeof(name), "account:%llu",
                         (unsigned long long) id);

    reply = admind_redis_command(err, sizeof(err), "HMGET %s "
                                 "cooldown_until_ms health circuit", name);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 3)
    {
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        return;
    }

    e = reply->element[0];
    ms = e->type == REDIS_REPLY_STRING ? strtoll(e->str, NULL, 10) : 0;

    if (ms > (long long) time(NULL) * 1000) {
        admind_time_format((time_t) (ms / 1000), when, sizeof(when));
        json_object_set_new(account, "cooldownUntil", json_string(when));

    } else {
        json_object_set_new(account, "cooldownUntil", json_null());
    }

    e = reply->element[1];
    health = e->type == REDIS_REPLY_STRING ? strtoll(e->str, NULL, 10)
                                           : 100;
    json_object_set_new(account, "health", json_integer(health));

    e = reply->element[2];
    json_object_set_new(account, "circuit",
                        json_string(e->type == REDIS_REPLY_STRING
                                    && e->len > 0 ? e->str : "closed"));

    freeReplyObject(reply);
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
