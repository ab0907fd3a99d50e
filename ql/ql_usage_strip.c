/*
 * Strips the usage chunk from an OpenAI chat completions stream (see
 * ql_usage_strip.h).
 */

#define _GNU_SOURCE                 /* memmem() */
#include <string.h>

#include <jansson.h>

#include "ql_usage_strip.h"


#define QL_USAGE_STRIP_MARK  "\"choices\":[]"


void
ql_usage_strip_init(ql_usage_strip_t *s)
{
    s->held = 0;
    s->line = 0;
    s->passing = 0;
}


/*
 * Whether a whole event is the usage chunk: its one data line is an
 * object with an empty choices array and a usage object.  Only events
 * that carry the compact mark are decoded.
 */
static int
ql_usage_strip_is_usage(const unsigned char *ev, size_t len)
{
    int                   usage;
    json_t               *root, *choices;
    size_t                n;
    json_error_t          err;
    const unsigned char  *p, *end, *data, *eol;

    if (len < sizeof(QL_USAGE_STRIP_MARK)
        || memmem(ev, len, QL_USAGE_STRIP_MARK,
                  sizeof(QL_USAGE_STRIP_MARK) - 1) == NULL)
    {
        return 0;
    }

    data = NULL;
    eol = NULL;
    end = ev + len;

    for (p = ev; p < end; p = eol + 1) {
        eol = memchr(p, '\n', (size_t) (end - p));
        if (eol == NULL) {
            eol = end;
        }

        n = (size_t) (eol - p);

        if (n >= 5 && memcmp(p, "data:", 5) == 0) {
            if (data != NULL) {
                return 0;           /* more than one data line */
            }

            data = p;
        }
    }

    if (data == NULL) {
        return 0;
    }

    eol = memchr(data, '\n', (size_t) (end - data));
    if (eol == NULL) {
        eol = end;
    }

    data += 5;
    if (data < eol && *data == ' ') {
        data++;
    }

    if (eol > data && eol[-1] == '\r') {
        eol--;
    }

    root = json_loadb((const char *) data, (size_t) (eol - data), 0, &err);

    choices = json_object_get(root, "choices");
    usage = json_is_array(choices) && json_array_size(choices) == 0
            && json_is_object(json_object_get(root, "usage"));

    json_decref(root);

    return usage;
}


/* An event is complete in hold + p[0, n): out, unless it is usage. */
static int
ql_usage_strip_event(ql_usage_strip_t *s, const unsigned char *p, size_t n,
    ql_emit_pt emit, void *data)
{
    int  rc;

    if (s->passing) {
        s->passing = 0;
        return emit(data, p, n);
    }

    if (s->held + n > QL_USAGE_STRIP_HOLD) {
        /* too long to be the usage chunk */
        rc = emit(data, s->hold, s->held);
        s->held = 0;
        return rc ? rc : emit(data, p, n);
    }

    memcpy(s->hold + s->held, p, n);
    n += s->held;
    s->held = 0;

    if (ql_usage_strip_is_usage(s->hold, n)) {
        return 0;
    }

    return emit(data, s->hold, n);
}


int
ql_usage_strip_feed(ql_usage_strip_t *s, const unsigned char *p, size_t len,
    ql_emit_pt emit, void *data)
{
    size_t  i, start, rest;

    start = 0;

    for (i = 0; i < len; i++) {
        if (p[i] == '\r') {
            continue;
        }

        if (p[i] != '\n') {
            s->line++;
            continue;
        }

        if (s->line) {
            s->line = 0;
            continue;
        }

        /* a blank line: the event ends here */
        if (ql_usage_strip_event(s, p + start, i + 1 - start, emit, data)
            != 0)
        {
            return -1;
        }

        start = i + 1;
    }

    rest = len - start;

    if (rest == 0) {
        return 0;
    }

    if (s->passing) {
        return emit(data, p + start, rest);
    }

    if (s->held + rest > QL_USAGE_STRIP_HOLD) {
        s->passing = 1;

        if (emit(data, s->hold, s->held) != 0) {
            return -1;
        }

        s->held = 0;

        return emit(data, p + start, rest);
    }

    memcpy(s->hold + s->held, p + start, rest);
    s->held += rest;

    return 0;
}


int
ql_usage_strip_finish(ql_usage_strip_t *s, ql_emit_pt emit, void *data)
{
    size_t  n;

    n = s->held;
    s->held = 0;

    return n ? emit(data, s->hold, n) : 0;
}
