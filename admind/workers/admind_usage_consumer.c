/*
 * QuotaLane admind: the usage stream consumer.
 *
 * One worker (admind_worker.h), one thing a tick: the own pending list
 * while it is not empty (at startup and after any failure, since a failed
 * batch stays pending), a claim round when one is due, else a blocking
 * read of new records.  Each batch is: parse, check its keys and accounts against
 * MySQL, INSERT and COMMIT, then one MULTI of the dead letters, XACK and
 * XDEL.  A crash anywhere in between leaves the records pending, to be
 * delivered again and stored once.
 *
 * A stream entry holds one record or several (the gateway writes the
 * records of one event-loop turn as one entry): each record starts with
 * its request_id field.  Records are stored, refused and dead-lettered
 * one by one; entries are acknowledged whole.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admind_config.h"
#include "admind_log.h"
#include "admind_db.h"
#include "admind_redis.h"
#include "admind_usage_record.h"
#include "admind_usage_store.h"
#include "admind_usage_known.h"
#include "admind_worker.h"
#include "admind_metrics.h"
#include "admind_usage_consumer.h"


#define ADMIND_USAGE_NAME          512

/* fields of one record beyond these make it a dead letter */
#define ADMIND_USAGE_MAX_ARGS      128

/* claim rounds stop after this many batches, to read new records too */
#define ADMIND_USAGE_CLAIM_ROUNDS  64

/* consumers with nothing pending are forgotten after this much idling */
#define ADMIND_USAGE_FORGET_MS     600000


typedef enum {
    ADMIND_USAGE_OK = 0,
    ADMIND_USAGE_DB_DOWN,
    ADMIND_USAGE_REDIS_DOWN,
    ADMIND_USAGE_NO_GROUP
} admind_usage_rc_e;


/* where one record is: its entry, and its fields in the entry's */
typedef struct {
    size_t                 entry;
    size_t                 from;
    size_t                 n;
} admind_usage_span_t;


typedef struct {
    const admind_conf_t   *conf;
    char                   stream[ADMIND_USAGE_NAME];
    char                   dead[ADMIND_USAGE_NAME];
    char                   consumer[300];

    admind_usage_row_t    *rows;
    admind_usage_span_t   *spans;
    size_t                 cap;
    admind_usage_stmts_t   stmts;

    /* where the consumer stands between ticks */
    long long              next_claim;      /* monotonic ms */
    unsigned               failures;        /* in a row: the backoff */
    unsigned               need_group:1;
    unsigned               need_pending:1;

    /* for one log line per outage */
    unsigned               db_down:1;
    unsigned               redis_down:1;
} admind_usage_consumer_t;


static admind_usage_consumer_t  admind_usage_c;

static long long admind_usage_tick(admind_worker_t *w);

/* the first tick at once: records may be waiting */
static admind_worker_t  admind_usage_worker = {
    .name = "usage consumer", .tick = admind_usage_tick,
    .data = &admind_usage_c
};


static long long
admind_usage_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* monotonic microseconds, for the batches' latency */
static long long
admind_usage_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


static void
admind_usage_names(const admind_conf_t *conf, char *stream, char *dead)
{
    snprintf(stream, ADMIND_USAGE_NAME, "%susage", conf->redis_prefix);
    snprintf(dead, ADMIND_USAGE_NAME, "%susage:dead", conf->redis_prefix);
}


/*
 * A command on the thread's connection, with the socket timeout raised
 * by block_ms for the duration (a blocking XREADGROUP must not look like
 * a dead server).  NULL with err on failure; *no_group for NOGROUP.
 */
static redisReply *
admind_usage_command(admind_usage_consumer_t *uc, unsigned block_ms,
    int *no_group, char *err, size_t errlen, int argc, const char **argv)
{
    unsigned         ms;
    redisReply      *reply;
    redisContext    *c;
    struct timeval   tv;

    *no_group = 0;

    c = admind_redis_get(err, errlen);
    if (c == NULL) {
        return NULL;
    }

    ms = uc->conf->redis_timeout_ms + block_ms;

    if (block_ms) {
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (ms % 1000) * 1000;
        redisSetTimeout(c, tv);
    }

    reply = redisCommandArgv(c, argc, argv, NULL);

    if (reply == NULL) {
        snprintf(err, errlen, "%s", c->errstr[0] ? c->errstr : "no reply");
        admind_redis_close();
        return NULL;
    }

    if (block_ms) {
        tv.tv_sec = uc->conf->redis_timeout_ms / 1000;
        tv.tv_usec = (uc->conf->redis_timeout_ms % 1000) * 1000;
        redisSetTimeout(c, tv);
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "%s", reply->str);
        /* the stream or group was deleted, also under a blocked read */
        *no_group = strncmp(reply->str, "NOGROUP", 7) == 0
                    || strncmp(reply->str, "UNBLOCKED", 9) == 0;
        freeReplyObject(reply);
        return NULL;
    }

    return reply;
}


static admind_usage_rc_e
admind_usage_create_group(admind_usage_consumer_t *uc, char *err,
    size_t errlen)
{
    redisReply  *reply;

    /* ID 0: records written before the group existed are read too */
    reply = admind_redis_command(err, errlen, "XGROUP CREATE %s %s 0 "
                                 "MKSTREAM", uc->stream,
                                 ADMIND_USAGE_GROUP);
    if (reply != NULL) {
        freeReplyObject(reply);
        admind_log(ADMIND_LOG_INFO, "usage consumer group created",
                   "stream", admind_log_str(uc->stream), NULL);
        return ADMIND_USAGE_OK;
    }

    if (strncmp(err, "BUSYGROUP", 9) == 0) {
        return ADMIND_USAGE_OK;
    }

    return ADMIND_USAGE_REDIS_DOWN;
}


static int
admind_usage_reserve(admind_usage_consumer_t *uc, size_t n)
{
    admind_usage_row_t   *rows;
    admind_usage_span_t  *spans;

    if (n <= uc->cap) {
        return ADMIND_OK;
    }

    rows = realloc(uc->rows, n * sizeof(admind_usage_row_t));
    if (rows == NULL) {
        return ADMIND_ERROR;
    }

    uc->rows = rows;

    spans = realloc(uc->spans, n * sizeof(admind_usage_span_t));
    if (spans == NULL) {
        return ADMIND_ERROR;
    }

    uc->spans = spans;
    uc->cap = n;

    return ADMIND_OK;
}


/* an entry [id, [field, value, ...]] of a stream reply; NULL if odd */
static redisReply *
admind_usage_entry_fields(redisReply *entry, const char **id, size_t *len)
{
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2
        || entry->element[0]->type != REDIS_REPLY_STRING)
    {
        return NULL;
    }

    *id = entry->element[0]->str;
    *len = entry->element[0]->len;

    return entry->element[1];
}


/* parses record i into uc->rows[i]; a record that fails is rejected */
static void
admind_usage_parse(admind_usage_consumer_t *uc, size_t i, redisReply *all)
{
    size_t                j, argvlen[ADMIND_USAGE_MAX_ARGS];
    const char           *argv[ADMIND_USAGE_MAX_ARGS];
    redisReply          **field;
    admind_usage_row_t   *row;
    admind_usage_span_t  *span;

    row = &uc->rows[i];
    span = &uc->spans[i];
    field = all->element + span->from;
    row->rejected = 0;
    row->why[0] = '\0';

    if (span->n > ADMIND_USAGE_MAX_ARGS) {
        memset(&row->rec, 0, sizeof(admind_usage_record_t));
        row->rejected = 1;
        snprintf(row->why, sizeof(row->why), "too many fields");
        return;
    }

    for (j = 0; j < span->n; j++) {
        if (field[j]->type != REDIS_REPLY_STRING) {
            memset(&row->rec, 0, sizeof(admind_usage_record_t));
            row->rejected = 1;
            snprintf(row->why, sizeof(row->why), "a field is not a string");
            return;
        }

        argv[j] = field[j]->str;
        argvlen[j] = field[j]->len;
    }

    if (admind_usage_record_parse(&row->rec, span->n, argv, argvlen,
                                  row->why, sizeof(row->why))
        != ADMIND_OK)
    {
        row->rejected = 1;
    }
}


/*
 * After the commit: the dead letters to their stream, then XACK and XDEL
 * of every entry of the batch, in one MULTI so that no record is
 * acknowledged without being deleted or dead-lettered.
 */
static admind_usage_rc_e
admind_usage_ack(admind_usage_consumer_t *uc, redisReply *entries,
    size_t nrecords, unsigned long *dead, char *err, size_t errlen)
{
    char                  maxlen[24];
    size_t                i, j, len;
    redisReply           *fields;
    const char           *id;
    admind_redis_args_t   ack, del, a;
    admind_redis_batch_t  b;

    *dead = 0;

    if (admind_redis_batch_begin(&b, 1, err, errlen) != ADMIND_OK) {
        return ADMIND_USAGE_REDIS_DOWN;
    }

    admind_redis_args_init(&ack);
    admind_redis_args_init(&del);

    admind_redis_args_str(&ack, "XACK");
    admind_redis_args_str(&ack, uc->stream);
    admind_redis_args_str(&ack, ADMIND_USAGE_GROUP);
    admind_redis_args_str(&del, "XDEL");
    admind_redis_args_str(&del, uc->stream);

    snprintf(maxlen, sizeof(maxlen), "%u", uc->conf->usage_dead_maxlen);

    for (i = 0; i < entries->elements; i++) {
        if (admind_usage_entry_fields(entries->element[i], &id, &len)
            != NULL)
        {
            admind_redis_args_add(&ack, id, len);
            admind_redis_args_add(&del, id, len);
        }
    }

    for (i = 0; i < nrecords; i++) {
        fields = admind_usage_entry_fields(
                     entries->element[uc->spans[i].entry], &id, &len);

        /* an entry deleted meanwhile (nil fields) has nothing to keep */
        if (fields == NULL || fields->type != REDIS_REPLY_ARRAY
            || !uc->rows[i].rejected)
        {
            continue;
        }

        admind_log(ADMIND_LOG_WARN, "usage record refused; moved to the "
                   "dead-letter stream",
                   "stream_id", admind_log_str(id),
                   "request_id", uc->rows[i].rec.request_id_len
                       ? admind_log_str(uc->rows[i].rec.request_id) : NULL,
                   "reason", admind_log_str(uc->rows[i].why),
                   "dead", admind_log_str(uc->dead), NULL);

        admind_redis_args_init(&a);
        admind_redis_args_str(&a, "XADD");
        admind_redis_args_str(&a, uc->dead);
        admind_redis_args_str(&a, "MAXLEN");
        admind_redis_args_str(&a, "~");
        admind_redis_args_str(&a, maxlen);
        admind_redis_args_str(&a, "*");
        admind_redis_args_str(&a, "dead_reason");
        admind_redis_args_str(&a, uc->rows[i].why);
        admind_redis_args_str(&a, "dead_stream_id");
        admind_redis_args_add(&a, id, len);
        admind_redis_args_str(&a, "dead_consumer");
        admind_redis_args_str(&a, uc->consumer);

        for (j = uc->spans[i].from;
             j + 1 < uc->spans[i].from + uc->spans[i].n;
             j += 2)
        {
            if (fields->element[j]->type == REDIS_REPLY_STRING
                && fields->element[j + 1]->type == REDIS_REPLY_STRING)
            {
                admind_redis_args_add(&a, fields->element[j]->str,
                                      fields->element[j]->len);
                admind_redis_args_add(&a, fields->element[j + 1]->str,
                                      fields->element[j + 1]->len);
            }
        }

        admind_redis_batch_add(&b, &a);
        admind_redis_args_free(&a);
        (*dead)++;
    }

    if (ack.argc > 3) {
        admind_redis_batch_add(&b, &ack);
        admind_redis_batch_add(&b, &del);
    }

    admind_redis_args_free(&ack);
    admind_redis_args_free(&del);

    if (admind_redis_batch_end(&b, err, errlen) != ADMIND_OK) {
        return ADMIND_USAGE_REDIS_DOWN;
    }

    return ADMIND_USAGE_OK;
}


/*
 * The records of the entries into uc->spans (fill 0: only count them):
 * a record starts with its request_id, or where its entry starts.  An
 * entry without fields (deleted meanwhile) or an odd one is one empty
 * record.
 */
static size_t
admind_usage_split(admind_usage_consumer_t *uc, redisReply *entries,
    int fill)
{
    size_t       i, j, n, from, len;
    redisReply  *fields, *f;
    const char  *id;

    n = 0;

    for (i = 0; i < entries->elements; i++) {
        fields = admind_usage_entry_fields(entries->element[i], &id, &len);
        from = 0;

        if (fields != NULL && fields->type == REDIS_REPLY_ARRAY) {
            for (j = 2; j < fields->elements; j += 2) {
                f = fields->element[j];

                if (f->type == REDIS_REPLY_STRING && f->len == 10
                    && memcmp(f->str, "request_id", 10) == 0)
                {
                    if (fill) {
                        uc->spans[n] = (admind_usage_span_t) {
                            i, from, j - from };
                    }

                    n++;
                    from = j;
                }
            }

            len = fields->elements - from;

        } else {
            len = 0;
        }

        if (fill) {
            uc->spans[n] = (admind_usage_span_t) { i, from, len };
        }

        n++;
    }

    return n;
}


/* one batch of stream entries: store, commit, acknowledge */
static admind_usage_rc_e
admind_usage_batch(admind_usage_consumer_t *uc, redisReply *entries,
    const char *source, char *err, size_t errlen)
{
    size_t               i, k, len, valid, n;
    MYSQL               *mysql;
    redisReply          *fields;
    const char          *id;
    long long            start;
    unsigned long        dead;
    admind_usage_rc_e    rc;
    unsigned long long   stored;

    if (entries->elements == 0) {
        return ADMIND_USAGE_OK;
    }

    start = admind_usage_us();
    n = admind_usage_split(uc, entries, 0);

    if (admind_usage_reserve(uc, n) != ADMIND_OK) {
        snprintf(err, errlen, "out of memory");
        return ADMIND_USAGE_DB_DOWN;
    }

    (void) admind_usage_split(uc, entries, 1);

    /*
     * rows[i] is the record spans[i] says; records of entries without
     * fields (deleted from the stream, still pending) and odd ones are
     * only acknowledged.
     */
    valid = 0;

    for (i = 0; i < n; i++) {
        fields = admind_usage_entry_fields(
                     entries->element[uc->spans[i].entry], &id, &len);

        if (fields == NULL || fields->type != REDIS_REPLY_ARRAY) {
            uc->rows[i].rejected = 1;
            uc->rows[i].why[0] = '\0';
            continue;
        }

        admind_usage_parse(uc, i, fields);
        valid += !uc->rows[i].rejected;
    }

    stored = 0;

    if (valid) {
        mysql = admind_db_get(err, errlen);

        if (mysql == NULL
            || admind_usage_known_check(mysql, uc->rows, n, err, errlen)
               != ADMIND_OK
            || admind_usage_store(&uc->stmts, mysql, uc->rows, n, &stored,
                                  err, errlen)
               != ADMIND_OK)
        {
            return ADMIND_USAGE_DB_DOWN;
        }
    }

    rc = admind_usage_ack(uc, entries, n, &dead, err, errlen);
    if (rc != ADMIND_USAGE_OK) {
        return rc;
    }

    admind_metrics_usage_batch((double) (admind_usage_us() - start) / 1000,
                               stored, dead);

    k = 0;
    for (i = 0; i < n; i++) {
        k += !uc->rows[i].rejected;
    }

    admind_log(ADMIND_LOG_DEBUG, "usage records stored",
               "source", json_string(source),
               "entries", json_integer((json_int_t) entries->elements),
               "records", json_integer((json_int_t) n),
               "stored", json_integer((json_int_t) stored),
               "duplicates", json_integer((json_int_t) (k - stored)),
               "dead", dead ? json_integer((json_int_t) dead) : NULL, NULL);

    return ADMIND_USAGE_OK;
}


/* the entries of an XREADGROUP reply (one stream), or NULL for none */
static redisReply *
admind_usage_read_entries(redisReply *reply)
{
    redisReply  *s;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
        return NULL;
    }

    s = reply->element[0];

    if (s->type != REDIS_REPLY_ARRAY || s->elements < 2
        || s->element[1]->type != REDIS_REPLY_ARRAY)
    {
        return NULL;
    }

    return s->element[1];
}


/*
 * XREADGROUP: id ">" reads new records (blocking), "0" the own pending
 * list.  *n is the number of entries handled.
 */
static admind_usage_rc_e
admind_usage_read(admind_usage_consumer_t *uc, const char *id, size_t *n,
    char *err, size_t errlen)
{
    int                 no_group, block, argc;
    char                count[24], block_ms[24];
    const char         *argv[12];
    redisReply         *reply, *entries;
    admind_usage_rc_e   rc;

    *n = 0;
    block = id[0] == '>';

    snprintf(count, sizeof(count), "%u", uc->conf->usage_batch);
    snprintf(block_ms, sizeof(block_ms), "%u", uc->conf->usage_block_ms);

    argc = 0;
    argv[argc++] = "XREADGROUP";
    argv[argc++] = "GROUP";
    argv[argc++] = ADMIND_USAGE_GROUP;
    argv[argc++] = uc->consumer;
    argv[argc++] = "COUNT";
    argv[argc++] = count;

    if (block) {
        argv[argc++] = "BLOCK";
        argv[argc++] = block_ms;
    }

    argv[argc++] = "STREAMS";
    argv[argc++] = uc->stream;
    argv[argc++] = id;

    reply = admind_usage_command(uc, block ? uc->conf->usage_block_ms : 0,
                                 &no_group, err, errlen, argc, argv);
    if (reply == NULL) {
        return no_group ? ADMIND_USAGE_NO_GROUP : ADMIND_USAGE_REDIS_DOWN;
    }

    entries = admind_usage_read_entries(reply);

    if (entries == NULL) {
        freeReplyObject(reply);
        return ADMIND_USAGE_OK;
    }

    *n = entries->elements;

    rc = admind_usage_batch(uc, entries, block ? "new" : "pending", err,
                            errlen);

    freeReplyObject(reply);

    return rc;
}


/* consumers of crashed admind processes: gone once they hold nothing */
static void
admind_usage_forget_consumers(admind_usage_consumer_t *uc)
{
    int           no_group;
    char          err[ADMIND_ERRLEN];
    size_t        i, j;
    long long     pending, idle;
    redisReply   *reply, *c, *r;
    const char   *name, *argv[5];

    argv[0] = "XINFO";
    argv[1] = "CONSUMERS";
    argv[2] = uc->stream;
    argv[3] = ADMIND_USAGE_GROUP;

    reply = admind_usage_command(uc, 0, &no_group, err, sizeof(err), 4, argv);
    if (reply == NULL) {
        return;
    }

    for (i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements;
         i++)
    {
        c = reply->element[i];
        name = NULL;
        pending = -1;
        idle = -1;

        for (j = 0; c->type == REDIS_REPLY_ARRAY && j + 1 < c->elements;
             j += 2)
        {
            if (c->element[j]->type != REDIS_REPLY_STRING) {
                continue;
            }

            if (strcmp(c->element[j]->str, "name") == 0
                && c->element[j + 1]->type == REDIS_REPLY_STRING)
            {
                name = c->element[j + 1]->str;

            } else if (strcmp(c->element[j]->str, "pending") == 0
                       && c->element[j + 1]->type == REDIS_REPLY_INTEGER)
            {
                pending = c->element[j + 1]->integer;

            } else if (strcmp(c->element[j]->str, "idle") == 0
                       && c->element[j + 1]->type == REDIS_REPLY_INTEGER)
            {
                idle = c->element[j + 1]->integer;
            }
        }

        if (name == NULL || strcmp(name, uc->consumer) == 0 || pending != 0
            || idle < ADMIND_USAGE_FORGET_MS)
        {
            continue;
        }

        argv[0] = "XGROUP";
        argv[1] = "DELCONSUMER";
        argv[2] = uc->stream;
        argv[3] = ADMIND_USAGE_GROUP;
        argv[4] = name;

        r = admind_usage_command(uc, 0, &no_group, err, sizeof(err), 5,
                                 argv);
        if (r != NULL) {
            admind_log(ADMIND_LOG_INFO, "idle usage consumer removed",
                       "consumer", admind_log_str(name), NULL);
            freeReplyObject(r);
        }
    }

    freeReplyObject(reply);
}


/*
 * XAUTOCLAIM: records pending with any consumer for usage_claim_idle_ms
 * become ours and are stored; a round walks the whole pending list (up
 * to ADMIND_USAGE_CLAIM_ROUNDS batches).
 */
static admind_usage_rc_e
admind_usage_claim(admind_usage_consumer_t *uc, char *err, size_t errlen)
{
    int                 no_group, rounds;
    char                cursor[64], idle[24], count[24];
    const char         *argv[9];
    redisReply         *reply, *entries;
    unsigned long       claimed;
    admind_usage_rc_e   rc;

    snprintf(cursor, sizeof(cursor), "0-0");
    snprintf(idle, sizeof(idle), "%u", uc->conf->usage_claim_idle_ms);
    snprintf(count, sizeof(count), "%u", uc->conf->usage_batch);
    claimed = 0;
    rc = ADMIND_USAGE_OK;

    for (rounds = 0; rounds < ADMIND_USAGE_CLAIM_ROUNDS; rounds++) {
        argv[0] = "XAUTOCLAIM";
        argv[1] = uc->stream;
        argv[2] = ADMIND_USAGE_GROUP;
        argv[3] = uc->consumer;
        argv[4] = idle;
        argv[5] = cursor;
        argv[6] = "COUNT";
        argv[7] = count;

        reply = admind_usage_command(uc, 0, &no_group, err, errlen, 8, argv);
        if (reply == NULL) {
            return no_group ? ADMIND_USAGE_NO_GROUP
                            : ADMIND_USAGE_REDIS_DOWN;
        }

        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2
            || reply->element[0]->type != REDIS_REPLY_STRING
            || reply->element[1]->type != REDIS_REPLY_ARRAY)
        {
            freeReplyObject(reply);
            snprintf(err, errlen, "unexpected XAUTOCLAIM reply");
            return ADMIND_USAGE_REDIS_DOWN;
        }

        entries = reply->element[1];
        claimed += entries->elements;

        rc = admind_usage_batch(uc, entries, "claimed", err, errlen);

        snprintf(cursor, sizeof(cursor), "%s", reply->element[0]->str);
        freeReplyObject(reply);

        if (rc != ADMIND_USAGE_OK || strcmp(cursor, "0-0") == 0
            || admind_worker_stopping(&admind_usage_worker))
        {
            break;
        }
    }

    if (claimed) {
        admind_log(rc == ADMIND_USAGE_OK ? ADMIND_LOG_INFO : ADMIND_LOG_WARN,
                   "usage records of another consumer taken over",
                   "records", json_integer((json_int_t) claimed), NULL);
    }

    if (rc == ADMIND_USAGE_OK) {
        admind_usage_forget_consumers(uc);
    }

    return rc;
}


static void
admind_usage_outage(admind_usage_consumer_t *uc, admind_usage_rc_e rc,
    const char *err)
{
    if (rc == ADMIND_USAGE_DB_DOWN && !uc->db_down) {
        uc->db_down = 1;
        admind_log(ADMIND_LOG_WARN, "usage records cannot be stored; they "
                   "wait in the stream", "error", admind_log_str(err), NULL);
    }

    if (rc == ADMIND_USAGE_REDIS_DOWN && !uc->redis_down) {
        uc->redis_down = 1;
        admind_log(ADMIND_LOG_WARN, "usage stream unreachable",
                   "error", admind_log_str(err), NULL);
    }
}


static void
admind_usage_recovered(admind_usage_consumer_t *uc)
{
    if (uc->db_down || uc->redis_down) {
        admind_log(ADMIND_LOG_INFO, "usage consumer running again", NULL);
    }

    uc->db_down = 0;
    uc->redis_down = 0;
}


/*
 * One step: create the group if needed, then the records delivered to us
 * and never acknowledged, records other consumers left idle, new ones.
 * Returns the pause: none while it works, a growing one while it fails.
 */
static long long
admind_usage_tick(admind_worker_t *w)
{
    char                      err[ADMIND_ERRLEN];
    size_t                    n;
    long long                 pause;
    admind_usage_rc_e         rc;
    admind_usage_consumer_t  *uc = w->data;

    n = 0;
    pause = 0;

    if (uc->need_group) {
        rc = admind_usage_create_group(uc, err, sizeof(err));

    } else if (uc->need_pending) {
        rc = admind_usage_read(uc, "0", &n, err, sizeof(err));

        if (rc == ADMIND_USAGE_OK && n == 0) {
            uc->need_pending = 0;
        }

    } else if (admind_usage_ms() >= uc->next_claim) {
        rc = admind_usage_claim(uc, err, sizeof(err));

        if (rc == ADMIND_USAGE_OK) {
            uc->next_claim = admind_usage_ms()
                             + uc->conf->usage_claim_idle_ms;
        }

    } else {
        rc = admind_usage_read(uc, ">", &n, err, sizeof(err));

        /* a part batch: let the next one fill (one commit for many) */
        if (rc == ADMIND_USAGE_OK && n > 0 && n < uc->conf->usage_batch) {
            pause = uc->conf->usage_linger_ms;
        }
    }

    if (rc == ADMIND_USAGE_OK) {
        uc->need_group = 0;
        uc->failures = 0;
        admind_usage_recovered(uc);
        return pause;
    }

    /* whatever failed, the batch is pending: read it again first */
    uc->need_pending = 1;

    if (rc == ADMIND_USAGE_NO_GROUP) {
        /* the stream went away (Redis restarted empty or flushed) */
        admind_log(ADMIND_LOG_INFO, "usage consumer group missing; "
                   "creating it again", NULL);
        uc->need_group = 1;
        return 0;
    }

    if (rc == ADMIND_USAGE_REDIS_DOWN) {
        uc->need_group = 1;
    }

    admind_usage_outage(uc, rc, err);

    if (uc->failures < 16) {
        uc->failures++;
    }

    pause = 50LL << uc->failures;

    return pause > uc->conf->usage_retry_max_ms ? uc->conf->usage_retry_max_ms
                                                : pause;
}


int
admind_usage_consumer_start(const admind_conf_t *conf, char *err,
    size_t errlen)
{
    char                      host[256];
    admind_usage_consumer_t  *uc;

    uc = &admind_usage_c;
    memset(uc, 0, sizeof(admind_usage_consumer_t));
    uc->conf = conf;

    admind_usage_names(conf, uc->stream, uc->dead);

    if (gethostname(host, sizeof(host)) != 0) {
        snprintf(host, sizeof(host), "localhost");
    }

    host[sizeof(host) - 1] = '\0';

    /*
     * The same name after a restart (pid 1 in a container) is fine: the
     * own pending list is read first.
     */
    snprintf(uc->consumer, sizeof(uc->consumer), "%s:%ld", host,
             (long) getpid());

    if (admind_usage_reserve(uc, conf->usage_batch) != ADMIND_OK) {
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    uc->need_group = 1;
    uc->need_pending = 1;

    if (admind_worker_start(&admind_usage_worker, err, errlen) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    admind_log(ADMIND_LOG_INFO, "usage consumer started",
               "stream", admind_log_str(uc->stream),
               "group", json_string(ADMIND_USAGE_GROUP),
               "consumer", admind_log_str(uc->consumer), NULL);

    return ADMIND_OK;
}


void
admind_usage_consumer_stop(void)
{
    if (!admind_usage_worker.running) {
        return;
    }

    admind_worker_stop(&admind_usage_worker);

    /* the thread's connection closed as it ended */
    admind_usage_stmts_free(&admind_usage_c.stmts);
    free(admind_usage_c.rows);
    free(admind_usage_c.spans);
    admind_usage_c.rows = NULL;
    admind_usage_c.spans = NULL;
    admind_usage_c.cap = 0;

    admind_log(ADMIND_LOG_INFO, "usage consumer stopped", NULL);
}


/* the count in an XLEN or XPENDING (summary) reply, or -1 */
static long long
admind_usage_count(redisReply *reply)
{
    long long  v;

    if (reply == NULL) {
        return -1;
    }

    v = -1;

    if (reply->type == REDIS_REPLY_INTEGER) {
        v = reply->integer;

    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0
               && reply->element[0]->type == REDIS_REPLY_INTEGER)
    {
        /* XPENDING's summary form: [count, min id, max id, consumers] */
        v = reply->element[0]->integer;
    }

    freeReplyObject(reply);

    return v;
}


int
admind_usage_backlog(const admind_conf_t *conf, admind_usage_backlog_t *b,
    char *err, size_t errlen)
{
    char         stream[ADMIND_USAGE_NAME], dead[ADMIND_USAGE_NAME];
    char         e[ADMIND_ERRLEN];
    redisReply  *reply;

    admind_usage_names(conf, stream, dead);

    reply = admind_redis_command(err, errlen, "XLEN %s", stream);
    if (reply == NULL) {
        return ADMIND_ERROR;
    }

    b->backlog = admind_usage_count(reply);

    reply = admind_redis_command(err, errlen, "XLEN %s", dead);
    if (reply == NULL) {
        return ADMIND_ERROR;
    }

    b->dead = admind_usage_count(reply);

    /* NOGROUP before the consumer first ran: nothing is pending */
    reply = admind_redis_command(e, sizeof(e), "XPENDING %s %s", stream,
                                 ADMIND_USAGE_GROUP);

    b->pending = admind_usage_count(reply);
    if (b->pending < 0) {
        b->pending = 0;
    }

    return ADMIND_OK;
}
