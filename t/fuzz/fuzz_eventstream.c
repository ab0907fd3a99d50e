/*
 * libFuzzer target: the AWS event-stream decoder (ql_eventstream) alone,
 * against a whole-buffer reference written from the spec.
 *
 * Byte 0: bits 0-1 pick how the rest is read: 0, as a raw stream; 1, as
 * messages to frame, each a headers length (1 byte), the headers, a
 * payload length (2 bytes) and the payload, given valid lengths and CRCs
 * so that header parsing is reached; 2 and 3, as a raw stream whose CRCs
 * are made right, so that any lengths reach the checks behind them.
 * Bits 2-4 pick the decoder's buffer size, bits 5-7 the message whose
 * callback stops the decoder (0: none).  Byte 1 is the piece size of the
 * second feed.  Fed whole and in pieces, the decoder must hand on the
 * same messages, every span inside its message, and end with the
 * reference's verdict.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ql_eventstream.h"
#include "fuzz_es_frame.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


typedef struct {
    unsigned char  *p;
    size_t          len;
    size_t          cap;
    unsigned char  *buf;        /* the decoder's */
    unsigned        seen;
    unsigned        stop_at;
} out_t;


static void
put(out_t *o, const void *p, size_t len)
{
    if (o->len + len > o->cap) {
        o->cap = (o->len + len) * 2 + 64;
        o->p = realloc(o->p, o->cap);
        if (o->p == NULL) {
            abort();
        }
    }

    if (len) {
        memcpy(o->p + o->len, p, len);
        o->len += len;
    }
}


static uint32_t
get32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}




/* a span must lie in [from, to) or be empty */
static void
inside(const ql_es_span_t *s, const unsigned char *from,
    const unsigned char *to)
{
    if (s->len && (s->p < from || s->p + s->len > to)) {
        abort();
    }
}


static int
record(void *data, const ql_es_message_t *m)
{
    size_t                i;
    uint32_t              total, hlen;
    out_t                *o = data;
    const unsigned char  *h;
    const ql_es_span_t   *spans[] = {
        &m->message_type, &m->event_type, &m->exception_type,
        &m->content_type, &m->error_code, &m->error_message
    };

    /* the message is still whole in the buffer while it is handed on */
    total = get32(o->buf);
    hlen = get32(o->buf + 4);
    h = o->buf + QL_ES_PRELUDE;

    if (m->payload.p != h + hlen || m->payload.len != total - 16 - hlen) {
        abort();
    }

    for (i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
        inside(spans[i], h, h + hlen);
        put(o, &spans[i]->len, sizeof(size_t));
        put(o, spans[i]->p, spans[i]->len);
    }

    put(o, m->payload.p, m->payload.len);

    return ++o->seen == o->stop_at ? -1 : 0;
}


/* the reference: the headers of one message are well-formed */
static int
ref_headers(const unsigned char *h, size_t len)
{
    static const int  fixed[] = { 0, 0, 1, 2, 4, 8, -1, -1, 8, 16 };

    size_t  i, n, v;

    i = 0;

    while (i < len) {
        n = h[i];
        if (n == 0 || i + 1 + n + 1 > len || h[i + 1 + n] > 9) {
            return -1;
        }

        i += 1 + n + 1;

        if (fixed[h[i - 1]] >= 0) {
            v = (size_t) fixed[h[i - 1]];

        } else {
            if (i + 2 > len) {
                return -1;
            }

            v = (size_t) h[i] << 8 | h[i + 1];
            i += 2;
        }

        if (i + v > len) {
            return -1;
        }

        i += v;
    }

    return 0;
}


/* the reference: how many messages, and the decoder's reason */
static const char *
reference(const unsigned char *p, size_t len, size_t cap, unsigned stop_at,
    unsigned *messages)
{
    size_t    i;
    uint32_t  total, hlen;

    *messages = 0;

    if (len && cap < 16) {
        return "event-stream buffer too small";
    }

    for (i = 0; i < len; i += total) {
        if (len - i < 12) {
            return "event-stream cut inside a message";
        }

        if (crc32(0, p + i, 8) != get32(p + i + 8)) {
            return "event-stream prelude CRC mismatch";
        }

        total = get32(p + i);
        hlen = get32(p + i + 4);

        if (total < 16 || total > cap) {
            return "event-stream message too short or too long";
        }

        if (hlen > total - 16) {
            return "event-stream headers longer than the message";
        }

        if (len - i < total) {
            return "event-stream cut inside a message";
        }

        if (crc32(0, p + i, total - 4) != get32(p + i + total - 4)) {
            return "event-stream message CRC mismatch";
        }

        if (ref_headers(p + i + 12, hlen) != 0) {
            return "event-stream header malformed";
        }

        if (++*messages == stop_at) {
            return "event-stream reader stopped";
        }
    }

    return NULL;
}




/* modes 2 and 3: the CRCs of the messages the lengths lay out made right */
static void
fix_crcs(unsigned char *p, size_t len)
{
    size_t    i;
    uint32_t  total;

    for (i = 0; len - i >= 12; i += total) {
        put32(p + i + 8, (uint32_t) crc32(0, p + i, 8));
        total = get32(p + i);

        if (total < 16 || total > len - i) {
            return;
        }

        put32(p + i + total - 4, (uint32_t) crc32(0, p + i, total - 4));
    }
}


static unsigned char  buf[65536];


/* returns the verdict: the decoder's reason after the end */
static const char *
run(const unsigned char *in, size_t size, size_t cap, size_t piece,
    out_t *o, unsigned *messages)
{
    int       rc;
    size_t    i, n;
    ql_es_t   d;

    ql_es_init(&d, buf, cap);
    o->buf = buf;
    rc = 0;

    for (i = 0; i < size && rc == 0; i += n) {
        n = size - i < piece ? size - i : piece;
        rc = ql_es_feed(&d, in + i, n, record, o);

        if ((rc != 0) != (d.reason != NULL)) {
            abort();
        }
    }

    /* once stopped, it stays stopped and takes nothing more */
    if (rc != 0
        && (ql_es_feed(&d, in, size, record, o) != -1
            || ql_es_finish(&d) != -1))
    {
        abort();
    }

    if ((ql_es_finish(&d) != 0) != (d.reason != NULL)
        || d.messages != o->seen)
    {
        abort();
    }

    *messages = d.messages;

    return d.reason;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t  caps[] = { 0, 12, 16, 17, 64, 512, 4096, 65536 };

    size_t          len, cap, piece;
    unsigned        stop_at, n_whole, n_pieces, n_ref;
    const char     *whole_reason, *pieces_reason, *ref_reason;
    unsigned char  *stream;
    out_t           whole, pieces;

    if (size < 2) {
        return 0;
    }

    cap = caps[(data[0] >> 2) & 7];
    stop_at = data[0] >> 5;
    piece = data[1] ? data[1] : 1;

    /* framing adds at most 16 bytes to each message of 3 or more */
    stream = malloc(size * 7 + 16);
    if (stream == NULL) {
        abort();
    }

    if ((data[0] & 3) == 1) {
        len = frame_all(data + 2, size - 2, stream);

    } else {
        len = size - 2;
        memcpy(stream, data + 2, len);

        if (data[0] & 2) {
            fix_crcs(stream, len);
        }
    }

    memset(&whole, 0, sizeof(whole));
    memset(&pieces, 0, sizeof(pieces));
    whole.stop_at = stop_at;
    pieces.stop_at = stop_at;

    whole_reason = run(stream, len, cap, len ? len : 1, &whole, &n_whole);
    pieces_reason = run(stream, len, cap, piece, &pieces, &n_pieces);
    ref_reason = reference(stream, len, cap, stop_at, &n_ref);

    if (whole.len != pieces.len
        || (whole.len && memcmp(whole.p, pieces.p, whole.len) != 0)
        || n_whole != n_ref || n_pieces != n_ref
        || (whole_reason == NULL) != (ref_reason == NULL)
        || (pieces_reason == NULL) != (ref_reason == NULL)
        || (ref_reason && (strcmp(whole_reason, ref_reason) != 0
                           || strcmp(pieces_reason, ref_reason) != 0)))
    {
        abort();
    }

    free(whole.p);
    free(pieces.p);
    free(stream);

    return 0;
}
