/*
 * Unwraps Gemini Code Assist answers (see ql_unwrap.h).
 */

#include <string.h>

#include "ql_unwrap.h"


enum {
    QL_UNWRAP_START = 0,        /* before an object (or between elements) */
    QL_UNWRAP_KEY_WAIT,
    QL_UNWRAP_KEY,
    QL_UNWRAP_COLON,
    QL_UNWRAP_VALUE_START,
    QL_UNWRAP_VALUE,
    QL_UNWRAP_SCALAR,
    QL_UNWRAP_AFTER,
    QL_UNWRAP_DONE,             /* a data line's object is over */
    QL_UNWRAP_BROKEN            /* not what was expected: pass it all */
};


/* output collected per feed, emitted in runs */
typedef struct {
    ql_emit_pt      emit;
    void           *data;
    int             rc;
    size_t          n;
    unsigned char   buf[1024];
} ql_unwrap_out_t;


static void
ql_unwrap_out_init(ql_unwrap_out_t *o, ql_emit_pt emit, void *data)
{
    o->emit = emit;
    o->data = data;
    o->rc = 0;
    o->n = 0;
}


static void
ql_unwrap_flush(ql_unwrap_out_t *o)
{
    if (o->n && o->rc == 0) {
        o->rc = o->emit(o->data, o->buf, o->n);
    }

    o->n = 0;
}


static void
ql_unwrap_put(ql_unwrap_out_t *o, const unsigned char *p, size_t len)
{
    if (o->n + len > sizeof(o->buf)) {
        ql_unwrap_flush(o);

        if (len > sizeof(o->buf)) {
            if (o->rc == 0) {
                o->rc = o->emit(o->data, p, len);
            }
            return;
        }
    }

    memcpy(o->buf + o->n, p, len);
    o->n += len;
}


#define ql_unwrap_putc(o, c)                                                  \
    do { unsigned char ch_ = (c); ql_unwrap_put(o, &ch_, 1); } while (0)


static int
ql_unwrap_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}


void
ql_unwrap_init(ql_unwrap_t *u, int sse)
{
    memset(u, 0, offsetof(ql_unwrap_t, hold));
    u->sse = sse ? 1 : 0;
}


/* The object's bytes before "response" appeared, and on: out as is. */
static void
ql_unwrap_pass(ql_unwrap_t *u, ql_unwrap_out_t *o)
{
    ql_unwrap_put(o, u->hold, u->held);
    u->held = 0;
    u->passing = 1;
}


/* A byte of the object being looked at, before "response" was found. */
static void
ql_unwrap_keep(ql_unwrap_t *u, ql_unwrap_out_t *o, unsigned char c)
{
    if (u->found) {
        return;                     /* the wrapper's rest: dropped */
    }

    if (u->passing) {
        ql_unwrap_putc(o, c);
        return;
    }

    if (u->held == QL_UNWRAP_HOLD) {
        ql_unwrap_pass(u, o);
        ql_unwrap_putc(o, c);
        return;
    }

    u->hold[u->held++] = c;
}


/* The object closed: unless it was unwrapped, it goes out as it came. */
static void
ql_unwrap_object_end(ql_unwrap_t *u, ql_unwrap_out_t *o)
{
    if (!u->found && !u->passing) {
        ql_unwrap_put(o, u->hold, u->held);
    }

    u->held = 0;
    u->found = 0;
    u->passing = 0;
    u->state = u->sse ? QL_UNWRAP_DONE : QL_UNWRAP_START;
}


/* A byte of a member value: tracks where it ends. */
static void
ql_unwrap_value(ql_unwrap_t *u, ql_unwrap_out_t *o, unsigned char c)
{
    int  end;

    if (u->emitting) {
        ql_unwrap_putc(o, c);

    } else {
        ql_unwrap_keep(u, o, c);
    }

    end = 0;

    if (u->in_str) {
        if (u->esc) {
            u->esc = 0;

        } else if (c == '\\') {
            u->esc = 1;

        } else if (c == '"') {
            u->in_str = 0;
            end = (u->depth == 0);
        }

    } else if (c == '"') {
        u->in_str = 1;

    } else if (c == '{' || c == '[') {
        u->depth++;

    } else if (c == '}' || c == ']') {
        if (u->depth) {
            u->depth--;
        }
        end = (u->depth == 0);
    }

    if (end) {
        u->emitting = 0;
        u->state = QL_UNWRAP_AFTER;
    }
}


static int
ql_unwrap_is_response(ql_unwrap_t *u)
{
    return !u->key_bad && u->key_len == 8
           && memcmp(u->key, "response", 8) == 0;
}


/* One byte of a wrapped object (or of the JSON around objects). */
static void
ql_unwrap_byte(ql_unwrap_t *u, ql_unwrap_out_t *o, unsigned char c)
{
    switch (u->state) {

    case QL_UNWRAP_START:
        if (c == '{') {
            u->state = QL_UNWRAP_KEY_WAIT;
            ql_unwrap_keep(u, o, c);
            return;
        }

        /* around the objects of a JSON array: as is */
        if (!u->sse && (ql_unwrap_ws(c) || c == '[' || c == ','
                        || (c == ']' && u->array)))
        {
            u->array |= (c == '[');
            ql_unwrap_putc(o, c);
            return;
        }

        if (u->sse && ql_unwrap_ws(c)) {
            return;
        }

        u->state = QL_UNWRAP_BROKEN;
        ql_unwrap_putc(o, c);
        return;

    case QL_UNWRAP_KEY_WAIT:
        ql_unwrap_keep(u, o, c);

        if (c == '"') {
            u->key_len = 0;
            u->key_bad = 0;
            u->state = QL_UNWRAP_KEY;

        } else if (c == '}') {
            ql_unwrap_object_end(u, o);

        } else if (!ql_unwrap_ws(c)) {
            goto broken;
        }

        return;

    case QL_UNWRAP_KEY:
        ql_unwrap_keep(u, o, c);

        if (u->esc) {
            u->esc = 0;

        } else if (c == '\\') {
            u->esc = 1;
            u->key_bad = 1;

        } else if (c == '"') {
            u->state = QL_UNWRAP_COLON;

        } else if (u->key_len < QL_UNWRAP_KEY_MAX) {
            u->key[u->key_len++] = c;

        } else {
            u->key_bad = 1;
        }

        return;

    case QL_UNWRAP_COLON:
        ql_unwrap_keep(u, o, c);

        if (c == ':') {
            u->state = QL_UNWRAP_VALUE_START;

        } else if (!ql_unwrap_ws(c)) {
            goto broken;
        }

        return;

    case QL_UNWRAP_VALUE_START:
        if (ql_unwrap_ws(c)) {
            ql_unwrap_keep(u, o, c);
            return;
        }

        if (!u->found && !u->passing && ql_unwrap_is_response(u)) {
            /* the wrapper so far is dropped; the value goes out */
            u->found = 1;
            u->held = 0;
            u->emitting = 1;
        }

        u->depth = 0;
        u->in_str = 0;
        u->esc = 0;

        if (c == '{' || c == '[' || c == '"') {
            u->state = QL_UNWRAP_VALUE;
            ql_unwrap_value(u, o, c);
            return;
        }

        u->state = QL_UNWRAP_SCALAR;
        /* fall through */

    case QL_UNWRAP_SCALAR:
        if (c == ',' || c == '}' || ql_unwrap_ws(c)) {
            u->emitting = 0;
            u->state = QL_UNWRAP_AFTER;
            ql_unwrap_byte(u, o, c);
            return;
        }

        if (u->emitting) {
            ql_unwrap_putc(o, c);

        } else {
            ql_unwrap_keep(u, o, c);
        }

        return;

    case QL_UNWRAP_VALUE:
        ql_unwrap_value(u, o, c);
        return;

    case QL_UNWRAP_AFTER:
        ql_unwrap_keep(u, o, c);

        if (c == ',') {
            u->state = QL_UNWRAP_KEY_WAIT;

        } else if (c == '}') {
            ql_unwrap_object_end(u, o);

        } else if (!ql_unwrap_ws(c)) {
            goto broken;
        }

        return;

    case QL_UNWRAP_DONE:
        if (!ql_unwrap_ws(c)) {
            goto broken;
        }

        return;

    default:
        ql_unwrap_putc(o, c);
        return;
    }

broken:

    /* what was held (c with it, but after an object), and all that follows */
    if (u->state == QL_UNWRAP_DONE) {
        ql_unwrap_putc(o, c);

    } else if (!u->found && !u->passing) {
        ql_unwrap_put(o, u->hold, u->held);
    }

    u->held = 0;
    u->state = QL_UNWRAP_BROKEN;
}


static const char  ql_unwrap_data[] = "data:";


/*
 * SSE: the data line ended; its object, if cut, goes out as it was.  The
 * line ends as it came ("\r\n" or "\n"): clients split events on a
 * blank line of the same kind.
 */
static void
ql_unwrap_line_end(ql_unwrap_t *u, ql_unwrap_out_t *o)
{
    if (u->state != QL_UNWRAP_DONE && u->state != QL_UNWRAP_BROKEN
        && !u->found && !u->passing)
    {
        ql_unwrap_put(o, u->hold, u->held);
    }

    if (u->cr) {
        ql_unwrap_putc(o, '\r');
        u->cr = 0;
    }

    ql_unwrap_putc(o, '\n');

    u->held = 0;
    u->found = 0;
    u->passing = 0;
    u->emitting = 0;
    u->state = QL_UNWRAP_START;
}


static void
ql_unwrap_sse_byte(ql_unwrap_t *u, ql_unwrap_out_t *o, unsigned char c)
{
    if (u->data_line) {
        if (c == '\n') {
            u->data_line = 0;
            u->prefix = 0;
            ql_unwrap_line_end(u, o);
            return;
        }

        if (u->prefix == sizeof(ql_unwrap_data) - 1) {
            /* one space after "data:" is the field's, not the value's */
            u->prefix++;
            if (c == ' ') {
                return;
            }
        }

        u->cr = (c == '\r');

        /* a CR ending a line is the line's, not the value's */
        if (u->cr && (u->state == QL_UNWRAP_DONE
                      || u->state == QL_UNWRAP_START))
        {
            return;
        }

        ql_unwrap_byte(u, o, c);
        return;
    }

    if (u->other_line) {
        ql_unwrap_putc(o, c);

        if (c == '\n') {
            u->other_line = 0;
        }

        return;
    }

    /* at a line's start, matching "data:" */
    if (u->prefix < sizeof(ql_unwrap_data) - 1
        && c == (unsigned char) ql_unwrap_data[u->prefix])
    {
        u->prefix++;

        if (u->prefix == sizeof(ql_unwrap_data) - 1) {
            u->data_line = 1;
            ql_unwrap_put(o, (const unsigned char *) "data: ", 6);
        }

        return;
    }

    /* another line: what matched of "data:" and the rest as is */
    ql_unwrap_put(o, (const unsigned char *) ql_unwrap_data, u->prefix);
    u->prefix = 0;
    u->other_line = (c != '\n');
    ql_unwrap_putc(o, c);
}


int
ql_unwrap_feed(ql_unwrap_t *u, const unsigned char *p, size_t len,
    ql_emit_pt emit, void *data)
{
    size_t           i;
    ql_unwrap_out_t  o;

    ql_unwrap_out_init(&o, emit, data);

    for (i = 0; i < len && o.rc == 0; i++) {
        if (u->sse) {
            ql_unwrap_sse_byte(u, &o, p[i]);

        } else {
            ql_unwrap_byte(u, &o, p[i]);
        }
    }

    ql_unwrap_flush(&o);

    return o.rc;
}


int
ql_unwrap_finish(ql_unwrap_t *u, ql_emit_pt emit, void *data)
{
    ql_unwrap_out_t  o;

    ql_unwrap_out_init(&o, emit, data);

    /* a cut object goes out as far as it came; a cut "data" prefix too */
    if (!u->found && !u->passing) {
        ql_unwrap_put(&o, u->hold, u->held);
    }

    if (u->sse && !u->data_line && !u->other_line) {
        ql_unwrap_put(&o, (const unsigned char *) ql_unwrap_data, u->prefix);
    }

    u->held = 0;
    u->prefix = 0;

    ql_unwrap_flush(&o);

    return o.rc;
}
