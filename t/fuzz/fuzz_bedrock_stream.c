/*
 * libFuzzer target: Bedrock's event-stream answers converted to Anthropic
 * SSE (ql_bedrock_stream over ql_eventstream).  Byte 0 picks how the rest
 * is read: even, as the raw stream; odd, as messages to frame, each a
 * headers length (1 byte), the headers, a payload length (2 bytes) and
 * the payload, wrapped with valid lengths and CRCs so that the header
 * parser, the chunk decoding and the exceptions are reached.  Byte 1 is
 * the piece size the stream is fed in a second time: both feeds must give
 * the same output and the same verdict.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ql_bedrock_stream.h"
#include "fuzz_es_frame.h"


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






static unsigned char  mem[QL_BEDROCK_STREAM_MEMORY];


static void
run(const unsigned char *in, size_t size, size_t piece, out_t *o,
    ql_bedrock_stream_t *s)
{
    size_t  i, n;

    ql_bedrock_stream_init(s, mem);

    for (i = 0; i < size; i += n) {
        n = size - i < piece ? size - i : piece;

        if (ql_bedrock_stream_feed(s, in + i, n, collect, o) != 0) {
            abort();
        }
    }

    if (ql_bedrock_stream_finish(s, collect, o) != 0) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t               len, piece;
    const char          *reason;
    unsigned char       *stream;
    out_t                whole, pieces;
    ql_bedrock_stream_t  s;

    if (size < 2) {
        return 0;
    }

    piece = data[1] ? data[1] : 1;

    /* framing adds at most 16 bytes to each message of 3 or more */
    stream = malloc(size * 7 + 16);
    if (stream == NULL) {
        abort();
    }

    if (data[0] & 1) {
        len = frame_all(data + 2, size - 2, stream);

    } else {
        len = size - 2;
        memcpy(stream, data + 2, len);
    }

    memset(&whole, 0, sizeof(whole));
    memset(&pieces, 0, sizeof(pieces));

    run(stream, len, len ? len : 1, &whole, &s);
    reason = s.es.reason;
    run(stream, len, piece, &pieces, &s);

    if (whole.len != pieces.len
        || (whole.len && memcmp(whole.p, pieces.p, whole.len) != 0)
        || (reason == NULL) != (s.es.reason == NULL)
        || (reason && strcmp(reason, s.es.reason) != 0))
    {
        abort();
    }

    free(whole.p);
    free(pieces.p);
    free(stream);

    return 0;
}
