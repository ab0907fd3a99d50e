/*
 * What the event-stream fuzz targets share: the input read as messages
 * (a headers length byte, the headers, a payload length of two bytes,
 * the payload) and framed with valid lengths and CRCs, so that mutations
 * reach past the CRC checks.  Included by each target.
 */

#ifndef FUZZ_ES_FRAME_H
#define FUZZ_ES_FRAME_H

#include <stdint.h>
#include <string.h>
#include <zlib.h>


static void
put32(unsigned char *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}


/* the input's messages framed into out (at most 16/3 of the input + 16) */
static size_t
frame_all(const uint8_t *in, size_t size, unsigned char *out)
{
    size_t          i, n, hlen, plen, total;
    unsigned char  *m;

    n = 0;

    for (i = 0; i < size; i += 1 + hlen + 2 + plen) {
        hlen = in[i];
        if (size - i < 1 + hlen + 2) {
            break;
        }

        plen = (size_t) in[i + 1 + hlen] << 8 | in[i + 2 + hlen];
        if (size - i - 3 - hlen < plen) {
            plen = size - i - 3 - hlen;
        }

        m = out + n;
        total = 12 + hlen + plen + 4;
        put32(m, (uint32_t) total);
        put32(m + 4, (uint32_t) hlen);
        put32(m + 8, (uint32_t) crc32(0, m, 8));
        memcpy(m + 12, in + i + 1, hlen);
        memcpy(m + 12 + hlen, in + i + 3 + hlen, plen);
        put32(m + total - 4, (uint32_t) crc32(0, m, total - 4));
        n += total;
    }

    return n;
}

#endif /* FUZZ_ES_FRAME_H */
