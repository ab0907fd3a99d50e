/*
 * QuotaLane admind: account events to webhooks (see
 * admind_account_events.h; an admind_worker.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admind_log.h"
#include "admind_time.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_redis.h"
#include "admind_worker.h"
#include "admind_webhook_event.h"
#include "admind_account_events.h"


#define ADMIND_EVENTS_GROUP     "admind"
#define ADMIND_EVENTS_BATCH     "100"
#define ADMIND_EVENTS_TICK_MS   1000

/* a dead admind's unacknowledged entries are taken over after this */
#define ADMIND_EVENTS_CLAIM_MS  "60000"


typedef struct {
    const admind_conf_t  *conf;
    char                  stream[300];
    char                  consumer[300];
    unsigned              have_group:1;
} admind_events_t;


static admind_events_t  admind_events;


/* what the gateway saw, as the webhook event and its line of text */
typedef struct {
    const char  *kind;          /* the stream entry's "event" */
    const char  *event;         /* the webhook event */
    const char  *message;
} admind_events_kind_t;


static const admind_events_kind_t  admind_events_kinds[] = {
    { "rate_limited", ADMIND_WEBHOOK_RATE_LIMITED,
      "the vendor rate limited the account" },
    { "auth_failed", ADMIND_WEBHOOK_AUTH_FAILED,
      "the vendor refused the account's credential" },
    { "circuit_open", ADMIND_WEBHOOK_ACCOUNT_ERROR,
      "the account keeps failing: its circuit opened" },
    { "recovered", ADMIND_WEBHOOK_RECOVERED,
      "the account answers again: its circuit closed" },
    { "quota_exhausted", ADMIND_WEBHOOK_QUOTA_EXHAUSTED,
      "a usage window of the vendor's is exhausted" },
    { NULL, NULL, NULL }
};


static const char *
admind_events_field(redisReply *fields, const char *name)
{
    size_t  i;

    for (i = 0; i + 1 < fields->elements; i += 2) {
        if (fields->element[i]->type == REDIS_REPLY_STRING
            && fields->element[i + 1]->type == REDIS_REPLY_STRING
            && strcmp(fields->element[i]->str, name) == 0)
        {
            return fields->element[i + 1]->str;
        }
    }

    return NULL;
}


/* one entry to webhooks; ADMIND_ERROR leaves it for the next tick */
static int
admind_events_one(MYSQL *mysql, redisReply *fields)
{
    int                          rc;
    char                         err[ADMIND_ERRLEN];
    char                         when[ADMIND_TIME_LEN + 1];
    json_t                      *rows, *details;
    uint64_t                     id;
    long long                    until;
    const char                  *kind, *status, *detail, *name;
    const admind_events_kind_t  *k;
    admind_db_param_t            params[1];

    kind = admind_events_field(fields, "event");
    status = admind_events_field(fields, "status");
    detail = admind_events_field(fields, "detail");
    id = strtoull(admind_events_field(fields, "account_id")
                  ? admind_events_field(fields, "account_id") : "0",
                  NULL, 10);

    for (k = admind_events_kinds; k->kind != NULL; k++) {
        if (kind != NULL && strcmp(k->kind, kind) == 0) {
            break;
        }
    }

    /* from a newer gateway, or not an account's: nothing to tell */
    if (k->kind == NULL || id == 0) {
        return ADMIND_OK;
    }

    params[0] = admind_db_int((long long) id);

    if (admind_db_select(mysql, "SELECT name FROM accounts WHERE id = ?",
                         params, 1, &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    name = json_string_value(json_object_get(json_array_get(rows, 0),
                                             "name"));

    details = json_pack("{s:s,s:i}", "gatewayEvent", k->kind,
                        "status", status ? atoi(status) : 0);

    until = detail ? strtoll(detail, NULL, 10) : 0;
    if (details != NULL && until > 0) {
        admind_time_format((time_t) (until / 1000), when, sizeof(when));
        json_object_set_new(details, "until", json_string(when));
    }

    rc = admind_webhook_event(mysql, k->event, id, name, k->message,
                              details);

    json_decref(details);
    json_decref(rows);

    return rc;
}


static int
admind_events_group(admind_events_t *ev, char *err, size_t errlen)
{
    redisReply  *reply;

    if (ev->have_group) {
        return ADMIND_OK;
    }

    /* "$": what happened before the first admind started is history */
    reply = admind_redis_command(err, errlen, "XGROUP CREATE %s %s $ "
                                 "MKSTREAM", ev->stream, ADMIND_EVENTS_GROUP);
    freeReplyObject(reply);

    if (reply == NULL && strncmp(err, "BUSYGROUP", 9) != 0) {
        return ADMIND_ERROR;
    }

    ev->have_group = 1;

    return ADMIND_OK;
}


/* the entries of a read (XREADGROUP's one stream, XAUTOCLAIM's list) */
static redisReply *
admind_events_entries(redisReply *reply, int claim)
{
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < (claim ? 2u : 1u))
    {
        return NULL;
    }

    if (claim) {
        return reply->element[1];
    }

    reply = reply->element[0];

    return reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
           ? reply->element[1] : NULL;
}


/* the entries read, each told and acknowledged; how many were */
static size_t
admind_events_handle(admind_events_t *ev, MYSQL *mysql, redisReply *list)
{
    char         err[ADMIND_ERRLEN];
    size_t       i, n;
    redisReply  *e;

    n = 0;

    for (i = 0; list != NULL && i < list->elements; i++) {
        e = list->element[i];

        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2
            || e->element[0]->type != REDIS_REPLY_STRING)
        {
            continue;
        }

        if (e->element[1]->type == REDIS_REPLY_ARRAY
            && admind_events_one(mysql, e->element[1]) != ADMIND_OK)
        {
            break;
        }

        freeReplyObject(admind_redis_command(err, sizeof(err),
                                             "XACK %s %s %s", ev->stream,
                                             ADMIND_EVENTS_GROUP,
                                             e->element[0]->str));
        n++;
    }

    return n;
}


static long long
admind_events_tick(admind_worker_t *w)
{
    int               claim;
    char              err[ADMIND_ERRLEN];
    MYSQL            *mysql;
    redisReply       *reply;
    admind_events_t  *ev = w->data;

    mysql = admind_db_get(err, sizeof(err));

    if (mysql == NULL || admind_events_group(ev, err, sizeof(err))
                         != ADMIND_OK)
    {
        admind_worker_failed(w, err);
        return ADMIND_EVENTS_TICK_MS;
    }

    /* the own pending entries, a dead admind's, then new ones */
    for (claim = 0; claim < 3 && !admind_worker_stopping(w); claim++) {
        if (claim == 1) {
            reply = admind_redis_command(err, sizeof(err),
                        "XAUTOCLAIM %s %s %s " ADMIND_EVENTS_CLAIM_MS
                        " 0 COUNT " ADMIND_EVENTS_BATCH, ev->stream,
                        ADMIND_EVENTS_GROUP, ev->consumer);
        } else {
            reply = admind_redis_command(err, sizeof(err),
                        "XREADGROUP GROUP %s %s COUNT " ADMIND_EVENTS_BATCH
                        " STREAMS %s %s", ADMIND_EVENTS_GROUP, ev->consumer,
                        ev->stream, claim ? ">" : "0");
        }

        if (reply == NULL && strncmp(err, "NOGROUP", 7) == 0) {
            ev->have_group = 0;
        }

        if (reply == NULL) {
            admind_worker_failed(w, err);
            return ADMIND_EVENTS_TICK_MS;
        }

        (void) admind_events_handle(ev, mysql,
                                    admind_events_entries(reply, claim == 1));
        freeReplyObject(reply);
    }

    admind_worker_works(w);

    return ADMIND_EVENTS_TICK_MS;
}


static admind_worker_t  admind_events_worker = {
    .name = "account events", .tick = admind_events_tick,
    .data = &admind_events, .first_ms = ADMIND_EVENTS_TICK_MS
};


int
admind_account_events_start(const admind_conf_t *conf, char *err,
    size_t errlen)
{
    char  host[256];

    memset(&admind_events, 0, sizeof(admind_events));
    admind_events.conf = conf;

    snprintf(admind_events.stream, sizeof(admind_events.stream), "%sevents",
             conf->redis_prefix);

    if (gethostname(host, sizeof(host)) != 0) {
        snprintf(host, sizeof(host), "localhost");
    }

    host[sizeof(host) - 1] = '\0';
    snprintf(admind_events.consumer, sizeof(admind_events.consumer),
             "%s:%ld", host, (long) getpid());

    return admind_worker_start(&admind_events_worker, err, errlen);
}


void
admind_account_events_stop(void)
{
    admind_worker_stop(&admind_events_worker);
}
