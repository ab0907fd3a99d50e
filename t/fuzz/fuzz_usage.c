/*
 * libFuzzer target: the usage extractor.
 *
 * The first byte picks the format (bits 0-1) and the framing (bits 2-3:
 * AUTO, SSE, JSON, AUTO); the rest is the response body.  It is parsed
 * twice, once in one piece and once in pieces whose sizes a generator
 * seeded from the first byte's high bits and the body draws (mostly
 * small, sometimes one byte, sometimes large), and both results must be
 * the same: the parser may not depend on how the body was split.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ql_usage.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static uint32_t
fuzz_next(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;

    return *x;
}


static void
fuzz_check(const ql_usage_t *u)
{
    /* invariants any input must keep */
    if (u->model_len > QL_USAGE_MODEL_MAX
        || strlen(u->model) != u->model_len
        || u->error_type_len > QL_USAGE_ERROR_MAX
        || strlen(u->error_type) != u->error_type_len
        || u->input_tokens > 2 * QL_USAGE_TOKENS_MAX
        || u->cache_read_tokens > QL_USAGE_TOKENS_MAX
        || u->output_tokens > 2 * QL_USAGE_TOKENS_MAX
        || u->cache_creation_5m_tokens + u->cache_creation_1h_tokens
           != u->cache_creation_tokens
        || u->reasoning_tokens > QL_USAGE_TOKENS_MAX
        || (u->error && u->error_type_len == 0))
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                     off, n;
    uint32_t                   x, r;
    ql_usage_t                 whole, pieces;
    ql_usage_format_t          format;
    ql_usage_framing_t         framing;

    static ql_usage_parser_t  *p;

    static const ql_usage_framing_t  framings[4] = {
        QL_USAGE_AUTO, QL_USAGE_SSE, QL_USAGE_JSON, QL_USAGE_AUTO
    };

    if (size == 0) {
        return 0;
    }

    if (p == NULL) {
        p = malloc(sizeof(ql_usage_parser_t));

        if (p == NULL) {
            abort();
        }
    }

    format = (ql_usage_format_t) (data[0] & 3);
    framing = framings[(data[0] >> 2) & 3];
    x = 0x9e3779b9u ^ ((uint32_t) data[0] << 24) ^ (uint32_t) size;
    data++;
    size--;

    ql_usage_init(p, format, framing);
    ql_usage_feed(p, data, size);
    ql_usage_finish(p);
    ql_usage_result(p, &whole);
    fuzz_check(&whole);

    ql_usage_init(p, format, framing);

    for (off = 0; off < size; off += n) {
        r = fuzz_next(&x);

        switch (r & 3) {
        case 0:
            n = 1;
            break;
        case 1:
        case 2:
            n = 1 + (r >> 8) % 16;
            break;
        default:
            n = (r >> 8) % 4096;        /* empty pieces too */
            break;
        }

        if (n > size - off) {
            n = size - off;
        }

        ql_usage_feed(p, data + off, n);
    }

    ql_usage_finish(p);
    ql_usage_result(p, &pieces);

    if (memcmp(&whole, &pieces, sizeof(ql_usage_t)) != 0) {
        abort();
    }

    return 0;
}
