/*
 * cmocka tests: AWS event-stream frames decoded, Bedrock's stream as
 * Anthropic SSE, Bedrock's errors mapped.  Frames are built here by a
 * small encoder (CRC32 from zlib); t/112-bedrock.t has AWS's own SDK
 * read the mock's frames and the gateway convert them.
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
#include <openssl/evp.h>

#include "ql_bedrock_stream.h"


/* ---- an encoder ---- */

typedef struct {
    unsigned char  p[65536];
    size_t         len;
} buf_t;


static void
put32(unsigned char *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}


/* headers: "name", value pairs of strings, NULL-terminated; raw: more */
static void
frame(buf_t *b, const char **headers, const unsigned char *raw,
    size_t raw_len, const void *payload, size_t plen)
{
    size_t          i, n, hlen, total;
    unsigned char  *m, *h;

    m = b->p + b->len;
    h = m + 12;
    hlen = 0;

    for (i = 0; headers && headers[i]; i += 2) {
        n = strlen(headers[i]);
        h[hlen++] = (unsigned char) n;
        memcpy(h + hlen, headers[i], n);
        hlen += n;
        h[hlen++] = 7;
        n = strlen(headers[i + 1]);
        h[hlen++] = n >> 8;
        h[hlen++] = n & 0xff;
        memcpy(h + hlen, headers[i + 1], n);
        hlen += n;
    }

    memcpy(h + hlen, raw, raw_len);
    hlen += raw_len;

    total = 12 + hlen + plen + 4;
    put32(m, total);
    put32(m + 4, hlen);
    put32(m + 8, crc32(0, m, 8));
    memcpy(m + 12 + hlen, payload, plen);
    put32(m + total - 4, crc32(0, m, total - 4));

    b->len += total;
}


static const char  *chunk_headers[] = {
    ":event-type", "chunk", ":content-type", "application/json",
    ":message-type", "event", NULL
};


static void
chunk(buf_t *b, const char *json)
{
    int   n;
    char  payload[8192], b64[6000];

    n = EVP_EncodeBlock((unsigned char *) b64, (const unsigned char *) json,
                        (int) strlen(json));
    assert_true(n > 0);
    n = snprintf(payload, sizeof(payload), "{\"bytes\":\"%s\",\"p\":\"abc\"}",
                 b64);
    frame(b, chunk_headers, NULL, 0, payload, (size_t) n);
}


static const char  *events[] = {
    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":"
    "\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
    "\"content\":[],\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}",
    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
    "{\"type\":\"text\",\"text\":\"\"}}",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"text_delta\",\"text\":\"Hel\"}}",
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"text_delta\",\"text\":\"lo\"}}",
    "{\"type\":\"content_block_stop\",\"index\":0}",
    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
    "\"usage\":{\"output_tokens\":2}}",
    "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":"
    "{\"inputTokenCount\":12,\"outputTokenCount\":2,"
    "\"invocationLatency\":9,\"firstByteLatency\":3}}",
    NULL
};


static void
stream(buf_t *b)
{
    size_t  i;

    b->len = 0;
    for (i = 0; events[i]; i++) {
        chunk(b, events[i]);
    }
}


static void
expected(char *out, size_t size)
{
    size_t       i, n;
    const char  *t, *e;

    n = 0;
    for (i = 0; events[i]; i++) {
        t = strstr(events[i], "\"type\":\"") + 8;
        e = strchr(t, '"');
        n += snprintf(out + n, size - n, "event: %.*s\ndata: %s\n\n",
                      (int) (e - t), t, events[i]);
    }
}


/* ---- the converter, fed in pieces ---- */

typedef struct {
    char    p[65536];
    size_t  len;
    int     fail_after;     /* emit fails once this much is out; -1 never */
} out_t;


static int
emit(void *data, const unsigned char *p, size_t len)
{
    out_t  *o = data;

    if (o->fail_after >= 0 && o->len + len > (size_t) o->fail_after) {
        return -1;
    }

    assert_true(o->len + len < sizeof(o->p));
    memcpy(o->p + o->len, p, len);
    o->len += len;
    o->p[o->len] = '\0';

    return 0;
}


static unsigned char  mem[QL_BEDROCK_STREAM_MEMORY];


/* feeds b in pieces of step bytes (the first split at first) */
static int
convert(ql_bedrock_stream_t *s, const buf_t *b, size_t first, size_t step,
    out_t *o)
{
    int     rc;
    size_t  at, n;

    ql_bedrock_stream_init(s, mem);
    memset(o, 0, sizeof(*o));
    o->fail_after = -1;
    rc = 0;

    for (at = 0; at < b->len && rc == 0; at += n) {
        n = at == 0 && first ? first : step;
        if (n > b->len - at) {
            n = b->len - at;
        }

        rc = ql_bedrock_stream_feed(s, b->p + at, n, emit, o);
    }

    return rc ? rc : ql_bedrock_stream_finish(s, emit, o);
}


static buf_t  in;
static out_t  out;
static char   want[65536];


static void
test_stream(void **state)
{
    size_t               i;
    ql_bedrock_stream_t  s;

    (void) state;

    stream(&in);
    expected(want, sizeof(want));

    assert_int_equal(convert(&s, &in, 0, in.len, &out), 0);
    assert_string_equal(out.p, want);
    assert_int_equal(s.events, 7);
    assert_int_equal(s.error.status, 0);

    assert_int_equal(convert(&s, &in, 0, 1, &out), 0);
    assert_string_equal(out.p, want);

    /* split at every byte */
    for (i = 1; i < in.len; i++) {
        assert_int_equal(convert(&s, &in, i, in.len, &out), 0);
        assert_string_equal(out.p, want);
        assert_null(s.es.reason);
    }

    assert_int_equal(convert(&s, &in, 0, 7, &out), 0);
    assert_string_equal(out.p, want);
}


/* the stream cut anywhere inside a frame ends with an error event */
static void
test_truncated(void **state)
{
    size_t               cut;
    buf_t                part;
    ql_bedrock_stream_t  s;

    (void) state;

    stream(&in);

    for (cut = 1; cut < in.len; cut++) {
        memcpy(part.p, in.p, cut);
        part.len = cut;
        assert_int_equal(convert(&s, &part, 0, 5, &out), 0);

        if (s.es.reason == NULL) {
            /* cut between two frames: a clean end so far */
            assert_null(strstr(out.p, "event: error"));
            continue;
        }

        assert_string_equal(s.es.reason, "event-stream cut inside a message");
        assert_non_null(strstr(out.p, "event: error\ndata: {\"type\":"
                                      "\"error\",\"error\":{\"type\":"
                                      "\"api_error\",\"message\":"
                                      "\"event-stream cut inside a "
                                      "message\"}}\n\n"));
    }
}


static void
test_corrupt(void **state)
{
    buf_t                bad;
    ql_bedrock_stream_t  s;

    (void) state;

    stream(&in);

    /* prelude CRC */
    bad = in;
    bad.p[9] ^= 1;
    assert_int_equal(convert(&s, &bad, 0, 3, &out), 0);
    assert_string_equal(s.es.reason, "event-stream prelude CRC mismatch");
    assert_string_equal(out.p, "event: error\ndata: {\"type\":\"error\","
                        "\"error\":{\"type\":\"api_error\",\"message\":"
                        "\"event-stream prelude CRC mismatch\"}}\n\n");

    /* a payload byte of the third frame: two events, then the error */
    bad = in;
    bad.p[in.len / 2] ^= 0x20;
    assert_int_equal(convert(&s, &bad, 0, 64, &out), 0);
    assert_non_null(s.es.reason);
    assert_non_null(strstr(out.p, "event: error\n"));
    assert_int_equal(s.error.status, 0);

    /* nothing after the error goes out, however much follows */
    assert_int_equal(ql_bedrock_stream_feed(&s, in.p, in.len, emit, &out),
                     0);
    assert_null(strstr(strstr(out.p, "event: error\n"), "message_stop"));
}


static void
test_sizes(void **state)
{
    char                 big[QL_BEDROCK_STREAM_FRAME_MAX];
    const char          *h[] = { ":message-type", "event", NULL };
    unsigned char        raw[4];
    ql_bedrock_stream_t  s;

    (void) state;

    /* a frame over the buffer */
    memset(big, 'x', sizeof(big));
    in.len = 0;
    frame(&in, h, NULL, 0, big, sizeof(big));
    assert_int_equal(convert(&s, &in, 0, 4096, &out), 0);
    assert_string_equal(s.es.reason,
                        "event-stream message too short or too long");

    /* a total length under the minimum */
    in.len = 0;
    frame(&in, NULL, NULL, 0, "", 0);
    put32(in.p, 15);
    put32(in.p + 8, crc32(0, in.p, 8));
    assert_int_equal(convert(&s, &in, 0, 4096, &out), 0);
    assert_string_equal(s.es.reason,
                        "event-stream message too short or too long");

    /* headers longer than the message */
    in.len = 0;
    frame(&in, NULL, NULL, 0, "abcd", 4);
    put32(in.p + 4, 5);
    put32(in.p + 8, crc32(0, in.p, 8));
    assert_int_equal(convert(&s, &in, 0, 4096, &out), 0);
    assert_string_equal(s.es.reason,
                        "event-stream headers longer than the message");

    /* a header whose value runs past the headers */
    in.len = 0;
    raw[0] = 1;
    raw[1] = 'x';
    raw[2] = 7;
    raw[3] = 0;
    frame(&in, NULL, raw, 4, "", 0);
    assert_int_equal(convert(&s, &in, 0, 4096, &out), 0);
    assert_string_equal(s.es.reason, "event-stream header malformed");

    /* an unknown value type */
    in.len = 0;
    raw[2] = 10;
    frame(&in, NULL, raw, 3, "", 0);
    assert_int_equal(convert(&s, &in, 0, 4096, &out), 0);
    assert_string_equal(s.es.reason, "event-stream header malformed");
}


/* headers of other types are skipped; other events are ignored */
static void
test_headers_and_events(void **state)
{
    unsigned char        raw[64];
    size_t               n;
    const char          *ping[] = { ":message-type", "event",
                                    ":event-type", "initial-response",
                                    NULL };
    ql_bedrock_stream_t  s;

    (void) state;

    n = 0;
    raw[n++] = 2; memcpy(raw + n, "t1", 2); n += 2; raw[n++] = 0;
    raw[n++] = 2; memcpy(raw + n, "t4", 2); n += 2; raw[n++] = 4;
    memset(raw + n, 0xff, 4); n += 4;
    raw[n++] = 2; memcpy(raw + n, "t8", 2); n += 2; raw[n++] = 8;
    memset(raw + n, 0x01, 8); n += 8;
    raw[n++] = 2; memcpy(raw + n, "t9", 2); n += 2; raw[n++] = 9;
    memset(raw + n, 0x02, 16); n += 16;
    raw[n++] = 2; memcpy(raw + n, "t6", 2); n += 2; raw[n++] = 6;
    raw[n++] = 0; raw[n++] = 3; memcpy(raw + n, "\0\1\2", 3); n += 3;

    in.len = 0;
    frame(&in, ping, NULL, 0, "{}", 2);
    frame(&in, chunk_headers, raw, n,
          "{\"bytes\":\"eyJ0eXBlIjoicGluZyJ9\"}", 32);
    assert_int_equal(convert(&s, &in, 0, 3, &out), 0);
    assert_null(s.es.reason);
    assert_string_equal(out.p, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
}


static void
test_exceptions(void **state)
{
    const char          *exc[] = { ":exception-type", "throttlingException",
                                   ":content-type", "application/json",
                                   ":message-type", "exception", NULL };
    const char          *err[] = { ":message-type", "error",
                                   ":error-code", "InternalFailure",
                                   ":error-message", "it \"broke\"", NULL };
    const char          *body = "{\"message\":\"Too many requests, please "
                                "wait before trying again.\"}";
    ql_bedrock_stream_t  s;

    (void) state;

    stream(&in);
    in.len = 0;
    chunk(&in, events[0]);
    frame(&in, exc, NULL, 0, body, strlen(body));
    frame(&in, err, NULL, 0, "", 0);

    assert_int_equal(convert(&s, &in, 0, 11, &out), 0);
    assert_non_null(strstr(out.p, "event: message_start\n"));
    assert_non_null(strstr(out.p, "event: error\ndata: {\"type\":\"error\","
                           "\"error\":{\"type\":\"rate_limit_error\","
                           "\"message\":\"Too many requests, please wait "
                           "before trying again.\"}}\n\n"));
    assert_non_null(strstr(out.p, "\"type\":\"api_error\",\"message\":"
                           "\"it \\\"broke\\\"\"}}\n\n"));

    /* the first one is kept for the scheduler */
    assert_string_equal(s.exception, "throttlingException");
    assert_string_equal(s.error.type, "rate_limit_error");
    assert_int_equal(s.error.status, 429);
}


/* a message longer than the room for the event gives way */
static void
test_long_exception(void **state)
{
    const char          *exc[] = { ":exception-type", "modelTimeoutException",
                                   ":message-type", "exception", NULL };
    static char          body[QL_BEDROCK_STREAM_FRAME_MAX - 200];
    size_t               n;
    ql_bedrock_stream_t  s;

    (void) state;

    n = sizeof(body) - 1;
    memcpy(body, "{\"message\":\"", 12);
    memset(body + 12, 'a', n - 12);
    memcpy(body + n - 2, "\"}", 2);
    body[n] = '\0';

    in.len = 0;
    frame(&in, exc, NULL, 0, body, n);
    assert_int_equal(convert(&s, &in, 0, 4096, &out), 0);
    assert_null(s.es.reason);
    assert_string_equal(out.p, "event: error\ndata: {\"type\":\"error\","
                        "\"error\":{\"type\":\"api_error\",\"message\":"
                        "\"The upstream Bedrock account answered with an "
                        "error.\"}}\n\n");
    assert_string_equal(s.exception, "modelTimeoutException");
    assert_int_equal(s.error.status, 504);
}


/* t/mock/bedrock_eventstream.py's sample stream, behind the fuzz bytes */
static void
test_python(void **state)
{
    FILE                 *f;
    ql_bedrock_stream_t   s;

    (void) state;

    f = fopen("t/fuzz/corpus/eventstream/stream", "rb");
    assert_non_null(f);
    in.len = fread(in.p, 1, sizeof(in.p), f);
    fclose(f);

    assert_true(in.len > 2 && in.len < sizeof(in.p));
    memmove(in.p, in.p + 2, in.len - 2);
    in.len -= 2;

    assert_int_equal(convert(&s, &in, 0, 5, &out), 0);
    assert_null(s.es.reason);
    assert_string_equal(out.p,
        "event: message_start\ndata: {\"type\":\"message_start\","
        "\"message\":{\"id\":\"msg_bdrk_01\",\"type\":\"message\","
        "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\","
        "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
        "\"usage\":{\"input_tokens\":21,\"output_tokens\":1}}}\n\n"
        "event: content_block_start\ndata: {\"type\":"
        "\"content_block_start\",\"index\":0,\"content_block\":"
        "{\"type\":\"text\",\"text\":\"\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":"
        "\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
        "\"text_delta\",\"text\":\"Hello \\\"there\\\"\\n\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":"
        "\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
        "\"text_delta\",\"text\":\"caf\\u00e9 \\u2615\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":"
        "\"content_block_stop\",\"index\":0}\n\n"
        "event: message_delta\ndata: {\"type\":\"message_delta\","
        "\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":"
        "null},\"usage\":{\"output_tokens\":7}}\n\n"
        "event: message_stop\ndata: {\"type\":\"message_stop\","
        "\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":21,"
        "\"outputTokenCount\":7,\"invocationLatency\":412,"
        "\"firstByteLatency\":198}}\n\n");
    assert_int_equal(s.events, 7);
}


/* a chunk whose "bytes" is json: refused, and the stream with it */
static void
bad_base64(const char *json)
{
    char                 payload[64];
    int                  n;
    ql_bedrock_stream_t  s;

    n = snprintf(payload, sizeof(payload), "{\"bytes\":%s}", json);
    in.len = 0;
    frame(&in, chunk_headers, NULL, 0, payload, (size_t) n);
    chunk(&in, events[0]);
    assert_int_equal(convert(&s, &in, 0, 9, &out), 0);
    assert_string_equal(s.es.reason, "Bedrock chunk with bad base64");
    assert_string_equal(out.p, "event: error\ndata: {\"type\":\"error\","
                        "\"error\":{\"type\":\"api_error\",\"message\":"
                        "\"Bedrock chunk with bad base64\"}}\n\n");
}


static void
test_bad_chunks(void **state)
{
    ql_bedrock_stream_t  s;

    (void) state;

    in.len = 0;
    frame(&in, chunk_headers, NULL, 0, "{\"bytes\":\"e30=!\"}", 17);
    assert_int_equal(convert(&s, &in, 0, 100, &out), 0);
    assert_string_equal(s.es.reason, "Bedrock chunk with bad base64");

    in.len = 0;
    frame(&in, chunk_headers, NULL, 0, "{\"bytez\":\"e30=\"}", 16);
    assert_int_equal(convert(&s, &in, 0, 100, &out), 0);
    assert_string_equal(s.es.reason, "Bedrock chunk without \"bytes\"");

    /* "\/" escapes in the base64 and padding of one and two */
    in.len = 0;
    frame(&in, chunk_headers, NULL, 0, "{\"bytes\":\"P\\/8=\"}", 17);
    frame(&in, chunk_headers, NULL, 0, "{\"bytes\":\"e30=\"}", 16);
    frame(&in, chunk_headers, NULL, 0, "{\"bytes\":\"W10K\"}", 16);
    assert_int_equal(convert(&s, &in, 0, 100, &out), 0);
    assert_null(s.es.reason);
    assert_string_equal(out.p, "data: ?\xff\n\ndata: {}\n\n"
                        "data: []\ndata: \n\n");

    /* base64 OpenSSL alone would take */
    bad_base64("\"e3=9\"");
    bad_base64("\"====\"");
    bad_base64("\"e===\"");
    bad_base64("\"e30=e30=\"");
    bad_base64("\"e30 \"");
    bad_base64("\" e30=\"");
    bad_base64("\"e3\\n=\"");
    bad_base64("\"e3\\u0030\"");
    bad_base64("\"\"");

    /* an emit that fails stops the stream */
    stream(&in);
    ql_bedrock_stream_init(&s, mem);
    memset(&out, 0, sizeof(out));
    out.fail_after = 100;
    assert_int_equal(ql_bedrock_stream_feed(&s, in.p, in.len, emit, &out),
                     -1);
}


static void
test_error_map(void **state)
{
    unsigned char       body[256];
    size_t              n;
    ql_bedrock_error_t  e;

#define MAP(name, st)                                                        \
    ql_bedrock_error((const unsigned char *) name, sizeof(name) - 1, st)

    (void) state;

    e = MAP("ThrottlingException:http://internal.amazon.com/coral/"
            "com.amazon.bedrock/", 429);
    assert_string_equal(e.type, "rate_limit_error");
    assert_int_equal(e.status, 429);
    e = MAP("validationException", 400);
    assert_string_equal(e.type, "invalid_request_error");
    e = MAP("AccessDeniedException", 403);
    assert_string_equal(e.type, "permission_error");
    assert_int_equal(e.status, 403);
    e = MAP("ExpiredTokenException", 403);
    assert_string_equal(e.type, "authentication_error");
    assert_int_equal(e.status, 401);
    e = MAP("ModelNotReadyException", 429);
    assert_string_equal(e.type, "overloaded_error");
    assert_int_equal(e.status, 529);
    e = MAP("ServiceUnavailableException", 503);
    assert_int_equal(e.status, 529);
    e = MAP("ResourceNotFoundException", 404);
    assert_string_equal(e.type, "not_found_error");
    e = MAP("modelStreamErrorException", 0);
    assert_string_equal(e.type, "api_error");
    assert_int_equal(e.status, 500);
    e = MAP("SomethingNew", 418);
    assert_string_equal(e.type, "invalid_request_error");
    assert_int_equal(e.status, 418);
    e = MAP("", 502);
    assert_string_equal(e.type, "api_error");
    assert_int_equal(e.status, 502);
    e = MAP("", 0);
    assert_int_equal(e.status, 500);

    n = ql_bedrock_error_body("rate_limit_error",
                              (const unsigned char *) "{\"message\":\"slow\"}",
                              18, body, sizeof(body));
    body[n] = '\0';
    assert_string_equal((char *) body, "{\"type\":\"error\",\"error\":{\"type\":"
                        "\"rate_limit_error\",\"message\":\"slow\"}}");

    n = ql_bedrock_error_body("api_error", (const unsigned char *) "<html>",
                              6, body, sizeof(body));
    body[n] = '\0';
    assert_non_null(strstr((char *) body, "\"message\":\"The upstream Bedrock"
                                          " account answered with an error."));

    n = ql_bedrock_error_body("api_error", (const unsigned char *)
                              "{\"Message\":\"\xff\"}", 15, body,
                              sizeof(body));
    assert_true(n > 0);

    assert_int_equal(ql_bedrock_error_body("api_error",
                                           (const unsigned char *) "", 0,
                                           body, 20), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_headers_and_events),
        cmocka_unit_test(test_exceptions),
        cmocka_unit_test(test_long_exception),
        cmocka_unit_test(test_python),
        cmocka_unit_test(test_bad_chunks),
        cmocka_unit_test(test_error_map),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
