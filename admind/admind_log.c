/*
 * QuotaLane admind: structured JSON logs.
 *
 * jansson builds every line so that messages and fields are always escaped
 * correctly; one fwrite() under the stream lock keeps lines from several
 * threads whole.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admind_log.h"


static admind_log_level_e  admind_log_level = ADMIND_LOG_INFO;
static FILE               *admind_log_stream;

static const char  *admind_log_names[] = { "debug", "info", "warn", "error" };


void
admind_log_set_level(admind_log_level_e level)
{
    admind_log_level = level;
}


void
admind_log_set_stream(FILE *stream)
{
    admind_log_stream = stream;
}


int
admind_log_enabled(admind_log_level_e level)
{
    return level >= admind_log_level;
}


const char *
admind_log_level_name(admind_log_level_e level)
{
    if ((unsigned) level > ADMIND_LOG_ERROR) {
        return "error";
    }

    return admind_log_names[level];
}


int
admind_log_level_parse(const char *name, admind_log_level_e *level)
{
    unsigned  i;

    for (i = 0; i <= ADMIND_LOG_ERROR; i++) {
        if (strcmp(name, admind_log_names[i]) == 0) {
            *level = (admind_log_level_e) i;
            return ADMIND_OK;
        }
    }

    return ADMIND_ERROR;
}


json_t *
admind_log_str(const char *s)
{
    char    *copy, *p;
    json_t  *v;

    if (s == NULL) {
        return json_null();
    }

    v = json_string(s);
    if (v != NULL) {
        return v;
    }

    /* not UTF-8: keep ASCII, mark the rest, never drop the field */
    copy = strdup(s);
    if (copy == NULL) {
        return json_null();
    }

    for (p = copy; *p; p++) {
        if ((unsigned char) *p >= 0x80) {
            *p = '?';
        }
    }

    v = json_string(copy);
    free(copy);

    return v ? v : json_null();
}


void
admind_log(admind_log_level_e level, const char *msg, ...)
{
    char             ts[40];
    char            *line;
    FILE            *out;
    size_t           len;
    va_list          ap;
    json_t          *obj, *value;
    struct tm        tm;
    const char      *key;
    struct timespec  now;

    va_start(ap, msg);

    if (!admind_log_enabled(level)) {
        /* the values are ours to release even when nothing is written */
        for ( ;; ) {
            key = va_arg(ap, const char *);
            if (key == NULL) {
                break;
            }
            json_decref(va_arg(ap, json_t *));
        }
        va_end(ap);
        return;
    }

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    len = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + len, sizeof(ts) - len, ".%03ldZ", now.tv_nsec / 1000000);

    obj = json_object();
    if (obj != NULL) {
        json_object_set_new(obj, "ts", json_string(ts));
        json_object_set_new(obj, "level",
                            json_string(admind_log_level_name(level)));
        json_object_set_new(obj, "msg", admind_log_str(msg));
    }

    for ( ;; ) {
        key = va_arg(ap, const char *);
        if (key == NULL) {
            break;
        }

        value = va_arg(ap, json_t *);

        if (obj == NULL || value == NULL) {
            json_decref(value);
            continue;
        }

        json_object_set_new(obj, key, value);
    }

    va_end(ap);

    out = admind_log_stream ? admind_log_stream : stderr;

    line = obj ? json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(6))
               : NULL;
    json_decref(obj);

    flockfile(out);

    if (line != NULL) {
        fwrite(line, 1, strlen(line), out);
        fputc('\n', out);

    } else {
        /* out of memory: still say something a log reader can parse */
        fprintf(out, "{\"ts\":\"%s\",\"level\":\"error\","
                "\"msg\":\"log line lost\"}\n", ts);
    }

    fflush(out);
    funlockfile(out);

    free(line);
}
