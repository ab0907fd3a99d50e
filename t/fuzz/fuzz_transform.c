/*
 * libFuzzer target: the request and response transforms.  Byte 0 picks
 * the transform (0: Code Assist unwrap of JSON, 1: of SSE, 2: the chat
 * usage strip, 3: top-level JSON members); the rest is the input.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ql_json_member.h"
#include "ql_unwrap.h"
#include "ql_usage_strip.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


typedef struct {
    unsigned char  *p;
    size_t          len;
    size_t          cap;
} out_t;


static int
collect(void *data, const unsigned char *p, size_t len)
{
    out_t  *o = data;

    if (o->len + len > o->cap) {
        o->cap = (o->len + len) * 2 + 64;
        o->p = realloc(o->p, o->cap);
        if (o->p == NULL) {
            abort();
        }
    }

    memcpy(o->p + o->len, p, len);
    o->len += len;

    return 0;
}


static ql_unwrap_t       unwrap;
static ql_usage_strip_t  strip;


/* the input fed in pieces of `piece` bytes */
static void
run(int which, const uint8_t *in, size_t size, size_t piece, out_t *o)
{
    size_t  i, n;

    if (which == 2) {
        ql_usage_strip_init(&strip);
    } else {
        ql_unwrap_init(&unwrap, which);
    }

    for (i = 0; i < size; i += n) {
        n = size - i < piece ? size - i : piece;

        if ((which == 2 ? ql_usage_strip_feed(&strip, in + i, n, collect, o)
                        : ql_unwrap_feed(&unwrap, in + i, n, collect, o))
            != 0)
        {
            abort();
        }
    }

    if ((which == 2 ? ql_usage_strip_finish(&strip, collect, o)
                    : ql_unwrap_finish(&unwrap, collect, o))
        != 0)
    {
        abort();
    }
}


static void
members(const uint8_t *in, size_t size)
{
    int             rc, empty;
    size_t          close;
    ql_json_span_t  v;

    rc = ql_json_member(in, size, "model", &v);
    if (rc == 1 && (v.start >= v.end || v.end > size)) {
        abort();
    }

    if (ql_json_object_end(in, size, &close, &empty) == 0
        && (close >= size || in[close] != '}'))
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int     which;
    out_t   whole = { NULL, 0, 0 }, bytes = { NULL, 0, 0 };
    out_t   some = { NULL, 0, 0 };

    if (size == 0) {
        return 0;
    }

    which = data[0] & 3;
    data++;
    size--;

    if (which == 3) {
        members(data, size);
        return 0;
    }

    /* the same output however the input is cut */
    run(which, data, size, size ? size : 1, &whole);
    run(which, data, size, 1, &bytes);
    run(which, data, size, 7, &some);

    if (whole.len != bytes.len || whole.len != some.len
        || (whole.len && (memcmp(whole.p, bytes.p, whole.len) != 0
                          || memcmp(whole.p, some.p, whole.len) != 0)))
    {
        abort();
    }

    /* the strip only drops whole events: never more than it was given */
    if (which == 2 && whole.len > size) {
        abort();
    }

    free(whole.p);
    free(bytes.p);
    free(some.p);

    return 0;
}
