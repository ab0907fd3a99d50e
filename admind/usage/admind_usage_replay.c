/*
 * QuotaLane admind: usage records replayed from an nginx error log dump.
 *
 * Each dumped record becomes one XADD of its fields, in the order they
 * were dumped, to <redis_prefix>usage; the consumer group takes it from
 * there like any other record.
 */

#define _GNU_SOURCE     /* memmem */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_config.h"
#include "admind_log.h"
#include "admind_redis.h"
#include "admind_usage_replay.h"


#define ADMIND_REPLAY_MARK  "quotalane: unsent usage "


int
admind_usage_replay_line(const char *line, size_t len, json_t **record,
    char *err, size_t errlen)
{
    json_t        *obj, *v;
    const char    *p, *rid, *name;
    json_error_t   jerr;

    *record = NULL;

    p = memmem(line, len, ADMIND_REPLAY_MARK, sizeof(ADMIND_REPLAY_MARK) - 1);
    if (p == NULL) {
        return ADMIND_DECLINED;
    }

    p += sizeof(ADMIND_REPLAY_MARK) - 1;

    /* the object ends the record: whatever nginx appends is not ours */
    obj = json_loadb(p, line + len - p, JSON_DISABLE_EOF_CHECK, &jerr);
    if (obj == NULL) {
        snprintf(err, errlen, "not JSON: %s", jerr.text);
        return ADMIND_ERROR;
    }

    if (!json_is_object(obj)) {
        snprintf(err, errlen, "not a JSON object");
        goto failed;
    }

    json_object_foreach(obj, name, v) {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "field \"%s\" is not a string", name);
            goto failed;
        }
    }

    rid = json_string_value(json_object_get(obj, "request_id"));
    if (rid == NULL || rid[0] == '\0') {
        snprintf(err, errlen, "no request_id");
        goto failed;
    }

    *record = obj;

    return ADMIND_OK;

failed:

    json_decref(obj);
    return ADMIND_ERROR;
}


static int
admind_replay_send(const char *stream, json_t *obj, char *err,
    size_t errlen)
{
    int                   rc;
    json_t               *v;
    const char           *name;
    redisReply           *reply;
    admind_redis_args_t   a;

    admind_redis_args_init(&a);
    admind_redis_args_str(&a, "XADD");
    admind_redis_args_str(&a, stream);
    admind_redis_args_str(&a, "*");

    json_object_foreach(obj, name, v) {
        admind_redis_args_str(&a, name);
        admind_redis_args_add(&a, json_string_value(v),
                              json_string_length(v));
    }

    if (a.failed) {
        snprintf(err, errlen, "out of memory");
        admind_redis_args_free(&a);
        return ADMIND_ERROR;
    }

    reply = admind_redis_command_argv(err, errlen, a.argc,
                                      (const char **) a.argv, a.argvlen);
    admind_redis_args_free(&a);

    rc = reply != NULL ? ADMIND_OK : ADMIND_ERROR;

    if (reply != NULL) {
        freeReplyObject(reply);
    }

    return rc;
}


int
admind_usage_replay(const admind_conf_t *conf, const char *path)
{
    int             rc;
    FILE           *f;
    char           *line, err[ADMIND_ERRLEN], stream[512];
    size_t          cap;
    ssize_t         n;
    json_t         *obj;
    unsigned long   lineno, sent, bad;

    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        admind_log(ADMIND_LOG_ERROR, "cannot open the dump",
                   "path", admind_log_str(path),
                   "error", admind_log_str(strerror(errno)), NULL);
        return ADMIND_EXIT_FAILURE;
    }

    snprintf(stream, sizeof(stream), "%susage", conf->redis_prefix);

    line = NULL;
    cap = 0;
    lineno = 0;
    sent = 0;
    bad = 0;

    while ((n = getline(&line, &cap, f)) != -1) {
        lineno++;

        rc = admind_usage_replay_line(line, (size_t) n, &obj, err,
                                      sizeof(err));
        if (rc == ADMIND_DECLINED) {
            continue;
        }

        if (rc != ADMIND_OK) {
            admind_log(ADMIND_LOG_ERROR, "dumped usage record not "
                       "replayable", "line", json_integer(lineno),
                       "error", admind_log_str(err), NULL);
            bad++;
            continue;
        }

        if (admind_replay_send(stream, obj, err, sizeof(err)) != ADMIND_OK) {
            admind_log(ADMIND_LOG_ERROR, "cannot add the record to the "
                       "usage stream", "line", json_integer(lineno),
                       "requestId", json_incref(json_object_get(obj,
                                                           "request_id")),
                       "error", admind_log_str(err), NULL);
            json_decref(obj);
            bad++;
            continue;
        }

        json_decref(obj);
        sent++;
    }

    free(line);

    if (f != stdin) {
        fclose(f);
    }

    admind_log(bad ? ADMIND_LOG_WARN : ADMIND_LOG_INFO,
               "usage records replayed",
               "path", admind_log_str(path),
               "replayed", json_integer((json_int_t) sent),
               "failed", json_integer((json_int_t) bad), NULL);

    printf("replayed %lu usage records to %s, %lu failed\n", sent, stream,
           bad);

    return bad ? ADMIND_EXIT_FAILURE : ADMIND_EXIT_OK;
}
