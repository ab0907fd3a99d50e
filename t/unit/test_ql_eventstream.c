/*
 * cmocka tests: AWS event-stream messages decoded incrementally, fed
 * whole, byte by byte and split at every position; every way a message
 * can be broken; a stream made by t/mock/bedrock_eventstream.py read.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "ql_eventstream.h"


/* ---- an encoder ---- */

typedef struct {
    unsigned char  p[16384];
    size_t         len;
} buf_t;


static uint32_t
get32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


static void
put32(unsigned char *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}


/* one header of any type: value is its bytes after the type */
static void
header(buf_t *h, const char *name, unsigned char type, const void *value,
    size_t len)
{
    size_t  n;

    n = strlen(name);
    h->p[h->len++] = (unsigned char) n;
    memcpy(h->p + h->len, name, n);
    h->len += n;
    h->p[h->len++] = type;

    if (len) {
        memcpy(h->p + h->len, value, len);
        h->len += len;
    }
}


static void
header_str(buf_t *h, const char *name, const char *value)
{
    unsigned char  v[512];
    size_t         n;

    n = strlen(value);
    v[0] = n >> 8;
    v[1] = n & 0xff;
    memcpy(v + 2, value, n);
    header(h, name, 7, v, n + 2);
}


static void
frame(buf_t *b, const buf_t *h, const char *payload)
{
    size_t          plen, total;
    unsigned char  *m;

    plen = strlen(payload);
    m = b->p + b->len;
    total = 12 + h->len + plen + 4;
    put32(m, total);
    put32(m + 4, h->len);
    put32(m + 8, crc32(0, m, 8));
    memcpy(m + 12, h->p, h->len);
    memcpy(m + 12 + h->len, payload, plen);
    put32(m + total - 4, crc32(0, m, total - 4));
    b->len += total;
}


/* Bedrock's message headers, as it orders them */
static void
bedrock_headers(buf_t *h, const char *message_type, const char *name)
{
    h->len = 0;

    if (strcmp(message_type, "event") == 0) {
        header_str(h, ":event-type", name);

    } else if (strcmp(message_type, "exception") == 0) {
        header_str(h, ":exception-type", name);
    }

    header_str(h, ":content-type", "application/json");
    header_str(h, ":message-type", message_type);
}


static void
chunk(buf_t *b, const char *payload)
{
    buf_t  h;

    bedrock_headers(&h, "event", "chunk");
    frame(b, &h, payload);
}


/* ---- the decoder, fed in pieces; messages written down as text ---- */

typedef struct {
    char         p[16384];
    size_t       len;
    unsigned     stop_at;       /* the message to stop at; 0: none */
    unsigned     seen;
    ql_es_t     *d;
    const char  *reason;        /* set in the decoder when it stops */
} out_t;


static void
span(out_t *o, const char *name, const ql_es_span_t *s)
{
    if (s->p == NULL) {
        assert_int_equal(s->len, 0);
        return;
    }

    o->len += snprintf(o->p + o->len, sizeof(o->p) - o->len, "%s=%.*s ",
                       name, (int) s->len, (const char *) s->p);
}


static int
record(void *data, const ql_es_message_t *m)
{
    out_t  *o = data;

    span(o, "type", &m->message_type);
    span(o, "event", &m->event_type);
    span(o, "exception", &m->exception_type);
    span(o, "content", &m->content_type);
    span(o, "code", &m->error_code);
    span(o, "error", &m->error_message);
    o->len += snprintf(o->p + o->len, sizeof(o->p) - o->len, "[%.*s]\n",
                       (int) m->payload.len, (const char *) m->payload.p);
    assert_true(o->len < sizeof(o->p));

    if (++o->seen != o->stop_at) {
        return 0;
    }

    if (o->reason) {
        o->d->reason = o->reason;
    }

    return -1;
}


static unsigned char  mem[4096];
static ql_es_t        d;
static out_t          out;


static void
reset(size_t cap)
{
    ql_es_init(&d, mem, cap);
    memset(&out, 0, sizeof(out));
    out.d = &d;
}


/* feeds b in pieces of step bytes (the first split at first) */
static int
feed(const buf_t *b, size_t first, size_t step)
{
    int     rc;
    size_t  at, n;

    for (rc = 0, at = 0; at < b->len && rc == 0; at += n) {
        n = at == 0 && first ? first : step;
        if (n > b->len - at) {
            n = b->len - at;
        }

        rc = ql_es_feed(&d, b->p + at, n, record, &out);
    }

    return rc;
}


static buf_t  in, part;


/* message_start, a delta, message_stop, much as Bedrock frames them */
static const char  *want =
    "type=event event=chunk content=application/json "
    "[{\"bytes\":\"eyJ0eXBlIjoibWVzc2FnZV9zdGFydCJ9\",\"p\":\"abcd\"}]\n"
    "type=event event=chunk content=application/json "
    "[{\"bytes\":\"eyJ0eXBlIjoicGluZyJ9\",\"p\":\"ab\"}]\n"
    "type=exception exception=throttlingException "
    "content=application/json [{\"message\":\"Too many requests\"}]\n"
    "type=error code=InternalFailure error=it broke []\n"
    "type=event event=chunk content=application/json "
    "[{\"bytes\":\"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0=\",\"p\":\"\"}]\n";


static void
stream(buf_t *b)
{
    buf_t  h;

    b->len = 0;
    chunk(b, "{\"bytes\":\"eyJ0eXBlIjoibWVzc2FnZV9zdGFydCJ9\",\"p\":\"abcd\"}");
    chunk(b, "{\"bytes\":\"eyJ0eXBlIjoicGluZyJ9\",\"p\":\"ab\"}");
    bedrock_headers(&h, "exception", "throttlingException");
    frame(b, &h, "{\"message\":\"Too many requests\"}");
    h.len = 0;
    header_str(&h, ":message-type", "error");
    header_str(&h, ":error-code", "InternalFailure");
    header_str(&h, ":error-message", "it broke");
    frame(b, &h, "");
    chunk(b, "{\"bytes\":\"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0=\",\"p\":\"\"}");
}


static void
test_pieces(void **state)
{
    size_t  i;

    (void) state;

    stream(&in);

    reset(sizeof(mem));
    assert_int_equal(feed(&in, 0, in.len), 0);
    assert_int_equal(ql_es_finish(&d), 0);
    assert_string_equal(out.p, want);
    assert_int_equal(d.messages, 5);
    assert_null(d.reason);

    reset(sizeof(mem));
    assert_int_equal(feed(&in, 0, 1), 0);
    assert_int_equal(ql_es_finish(&d), 0);
    assert_string_equal(out.p, want);

    for (i = 1; i < in.len; i++) {
        reset(sizeof(mem));
        assert_int_equal(feed(&in, i, in.len), 0);
        assert_int_equal(ql_es_finish(&d), 0);
        assert_string_equal(out.p, want);
    }

    /* an empty piece is nothing */
    reset(sizeof(mem));
    assert_int_equal(ql_es_feed(&d, in.p, 0, record, &out), 0);
    assert_int_equal(ql_es_finish(&d), 0);
    assert_int_equal(out.len, 0);
}


/* cut anywhere but between messages: finish says so */
static void
test_truncated(void **state)
{
    size_t    cut, at, ends[8], n;
    unsigned  whole;

    (void) state;

    stream(&in);

    for (n = 0, at = 0; at < in.len; n++) {
        at += get32(in.p + at);
        ends[n] = at;
    }

    for (cut = 1; cut < in.len; cut++) {
        memcpy(part.p, in.p, cut);
        part.len = cut;
        reset(sizeof(mem));
        assert_int_equal(feed(&part, 0, 3), 0);

        for (whole = 0; whole < n && ends[whole] <= cut; whole++) {
            /* void */
        }

        assert_int_equal(d.messages, whole);

        if (whole && ends[whole - 1] == cut) {
            assert_int_equal(ql_es_finish(&d), 0);
            continue;
        }

        assert_int_equal(ql_es_finish(&d), -1);
        assert_string_equal(d.reason, "event-stream cut inside a message");
    }
}


/* the first message is broken: nothing handed on, for good */
static void
broken(const buf_t *b, const char *reason)
{
    size_t  step;

    for (step = 1; step <= b->len; step *= 3) {
        reset(sizeof(mem));
        assert_int_equal(feed(b, 0, step), -1);
        assert_string_equal(d.reason, reason);
        assert_int_equal(out.len, 0);

        /* stopped for good */
        stream(&in);
        assert_int_equal(ql_es_feed(&d, in.p, in.len, record, &out), -1);
        assert_int_equal(ql_es_finish(&d), -1);
        assert_int_equal(out.len, 0);
        assert_string_equal(d.reason, reason);
    }
}


static void
test_crc(void **state)
{
    buf_t  b;

    (void) state;

    stream(&b);
    b.p[10] ^= 0x80;
    broken(&b, "event-stream prelude CRC mismatch");

    /* the lengths are under the prelude's CRC */
    stream(&b);
    b.p[3] ^= 1;
    broken(&b, "event-stream prelude CRC mismatch");

    stream(&b);
    b.p[20] ^= 1;
    broken(&b, "event-stream message CRC mismatch");

    stream(&b);
    b.p[get32(b.p) - 1] ^= 1;
    broken(&b, "event-stream message CRC mismatch");
}


/* a prelude with these lengths and a good CRC */
static void
prelude(buf_t *b, uint32_t total, uint32_t hlen)
{
    put32(b->p, total);
    put32(b->p + 4, hlen);
    put32(b->p + 8, crc32(0, b->p, 8));
}


static void
test_lengths(void **state)
{
    buf_t  b, h;

    (void) state;

    h.len = 0;

    /* under the prelude and the message CRC */
    b.len = 0;
    frame(&b, &h, "");
    prelude(&b, 15, 0);
    broken(&b, "event-stream message too short or too long");

    /* one byte over the buffer; at the buffer, it passes */
    b.len = 0;
    frame(&b, &h, "");
    prelude(&b, sizeof(mem) + 1, 0);
    broken(&b, "event-stream message too short or too long");

    b.len = 0;
    memset(in.p, 'x', sizeof(mem) - 16);
    in.p[sizeof(mem) - 16] = '\0';
    frame(&b, &h, (char *) in.p);
    assert_int_equal(b.len, sizeof(mem));
    reset(sizeof(mem));
    assert_int_equal(feed(&b, 0, 1000), 0);
    assert_int_equal(d.messages, 1);

    b.len = 0;
    frame(&b, &h, "xxxxxxxxxxxxxxxx");
    reset(31);
    assert_int_equal(feed(&b, 0, 1), -1);
    assert_string_equal(d.reason, "event-stream message too short or too long");

    /* headers longer than what the message has room for */
    b.len = 0;
    frame(&b, &h, "abcd");
    prelude(&b, 20, 5);
    broken(&b, "event-stream headers longer than the message");

    /* a buffer too small for a prelude */
    reset(12);
    assert_int_equal(ql_es_finish(&d), 0);
    assert_int_equal(ql_es_feed(&d, b.p, 1, record, &out), -1);
    assert_string_equal(d.reason, "event-stream buffer too small");
}


static void
test_bad_headers(void **state)
{
    size_t         i;
    buf_t          b, h;
    unsigned char  name[300];
    static const struct {
        unsigned char  type;
        size_t         len;     /* the value's length it needs */
    } types[] = {
        { 2, 1 }, { 3, 2 }, { 4, 4 }, { 5, 8 }, { 8, 8 }, { 9, 16 }
    };

    (void) state;

    /* a name of length 0 */
    h.len = 0;
    header(&h, "", 0, NULL, 0);
    b.len = 0;
    frame(&b, &h, "");
    broken(&b, "event-stream header malformed");

    /* a name longer than the headers */
    h.len = 0;
    header_str(&h, ":message-type", "event");
    h.p[h.len++] = 200;
    memcpy(h.p + h.len, "abc", 3);
    h.len += 3;
    b.len = 0;
    frame(&b, &h, "");
    broken(&b, "event-stream header malformed");

    /* the longest name, 255 bytes, is fine; one with no type is not */
    memset(name, 'n', 255);
    name[255] = '\0';
    h.len = 0;
    header(&h, (char *) name, 0, NULL, 0);
    b.len = 0;
    frame(&b, &h, "");
    reset(sizeof(mem));
    assert_int_equal(feed(&b, 0, 7), 0);
    assert_int_equal(d.messages, 1);

    h.len--;
    b.len = 0;
    frame(&b, &h, "");
    broken(&b, "event-stream header malformed");

    /* a type past 9 */
    h.len = 0;
    header(&h, "x", 10, NULL, 0);
    b.len = 0;
    frame(&b, &h, "");
    broken(&b, "event-stream header malformed");

    /* fixed-size values one byte short */
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        h.len = 0;
        memset(name, 0, sizeof(name));
        header(&h, "x", types[i].type, name, types[i].len - 1);
        b.len = 0;
        frame(&b, &h, "");
        broken(&b, "event-stream header malformed");
    }

    /* a string or bytes value longer than the headers, or no length */
    h.len = 0;
    header(&h, "x", 7, "\0\5abcd", 6);
    b.len = 0;
    frame(&b, &h, "");
    broken(&b, "event-stream header malformed");

    h.len = 0;
    header(&h, "x", 6, "\0", 1);
    b.len = 0;
    frame(&b, &h, "");
    broken(&b, "event-stream header malformed");
}


/* every type is skipped; only string values of the names are kept */
static void
test_header_types(void **state)
{
    buf_t  b, h;

    (void) state;

    h.len = 0;
    header(&h, "t0", 0, NULL, 0);
    header(&h, "t1", 1, NULL, 0);
    header(&h, "t2", 2, "\x80", 1);
    header(&h, "t3", 3, "\x01\x02", 2);
    header(&h, "t4", 4, "\xff\xff\xff\xff", 4);
    header(&h, "t5", 5, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    header(&h, ":event-type", 6, "\0\5chunk", 7);
    header(&h, "t7", 7, "\0\0", 2);
    header(&h, ":exception-type", 8, "12345678", 8);
    header(&h, ":error-code", 9, "0123456789abcdef", 16);
    header_str(&h, ":message-type", "event");
    header_str(&h, ":message-typ", "no");
    header_str(&h, ":message-types", "no");
    header_str(&h, ":Content-Type", "no");
    b.len = 0;
    frame(&b, &h, "{}");

    reset(sizeof(mem));
    assert_int_equal(feed(&b, 0, 1), 0);
    assert_int_equal(ql_es_finish(&d), 0);
    assert_string_equal(out.p, "type=event [{}]\n");

    /* a name given twice: the last one */
    h.len = 0;
    header_str(&h, ":message-type", "event");
    header_str(&h, ":message-type", "exception");
    b.len = 0;
    frame(&b, &h, "");
    reset(sizeof(mem));
    assert_int_equal(feed(&b, 0, 5), 0);
    assert_string_equal(out.p, "type=exception []\n");
}


/* the reader stops it: for good, with its reason or the decoder's */
static void
test_reader_stops(void **state)
{
    (void) state;

    stream(&in);

    reset(sizeof(mem));
    out.stop_at = 2;
    assert_int_equal(feed(&in, 0, in.len), -1);
    assert_int_equal(d.messages, 2);
    assert_string_equal(d.reason, "event-stream reader stopped");
    assert_int_equal(ql_es_feed(&d, in.p, in.len, record, &out), -1);
    assert_int_equal(ql_es_finish(&d), -1);
    assert_int_equal(out.seen, 2);

    reset(sizeof(mem));
    out.stop_at = 1;
    out.reason = "not for me";
    assert_int_equal(feed(&in, 0, 1), -1);
    assert_string_equal(d.reason, "not for me");
    assert_int_equal(out.seen, 1);
}


/* what t/mock/bedrock_eventstream.py writes, behind the fuzz bytes */
static void
test_python(void **state)
{
    FILE    *f;
    buf_t    b;
    size_t   n;
    char    *p;

    (void) state;

    f = fopen("t/fuzz/corpus/eventstream/stream", "rb");
    assert_non_null(f);
    b.len = fread(b.p, 1, sizeof(b.p), f);
    fclose(f);

    assert_true(b.len > 2 && b.len < sizeof(b.p));
    memmove(b.p, b.p + 2, b.len - 2);
    b.len -= 2;

    reset(sizeof(mem));
    assert_int_equal(feed(&b, 0, 13), 0);
    assert_int_equal(ql_es_finish(&d), 0);
    assert_int_equal(d.messages, 7);

    for (n = 0, p = out.p; (p = strchr(p, '\n')) != NULL; p++, n++) {
        /* void */
    }

    assert_int_equal(n, 7);

    for (n = 0, p = out.p; (p = strstr(p, "type=event event=chunk "
                                          "content=application/json "
                                          "[{\"bytes\": \"ey")) != NULL;
         p++, n++)
    {
        /* void */
    }

    assert_int_equal(n, 7);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_crc),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_header_types),
        cmocka_unit_test(test_reader_stops),
        cmocka_unit_test(test_python),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
