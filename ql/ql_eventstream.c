/*
 * AWS event-stream framing, decoded incrementally (see ql_eventstream.h).
 */

#include <string.h>
#include <zlib.h>

#include "ql_eventstream.h"


static uint32_t
ql_es_u32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


static uint32_t
ql_es_crc(const unsigned char *p, size_t len)
{
    return (uint32_t) crc32(crc32(0L, Z_NULL, 0), p, (uInt) len);
}


static void
ql_es_keep(ql_es_message_t *m, const unsigned char *name, size_t nlen,
    const unsigned char *v, size_t vlen)
{
    static const struct {
        const char  *name;
        size_t       offset;
    } wanted[] = {
        { ":message-type", offsetof(ql_es_message_t, message_type) },
        { ":event-type", offsetof(ql_es_message_t, event_type) },
        { ":exception-type", offsetof(ql_es_message_t, exception_type) },
        { ":content-type", offsetof(ql_es_message_t, content_type) },
        { ":error-code", offsetof(ql_es_message_t, error_code) },
        { ":error-message", offsetof(ql_es_message_t, error_message) },
    };

    size_t         i;
    ql_es_span_t  *s;

    for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        if (strlen(wanted[i].name) == nlen
            && memcmp(wanted[i].name, name, nlen) == 0)
        {
            s = (ql_es_span_t *) ((char *) m + wanted[i].offset);
            s->p = v;
            s->len = vlen;
            return;
        }
    }
}


/* the headers of [p, p + len) into m; -1 if malformed */
static int
ql_es_headers(const unsigned char *p, size_t len, ql_es_message_t *m)
{
    static const unsigned char  fixed[] = { 0, 0, 1, 2, 4, 8, 0, 0, 8, 16 };

    size_t                i, nlen, vlen;
    unsigned char         type;
    const unsigned char  *name;

    for (i = 0; i < len; i += vlen) {
        nlen = p[i++];
        if (nlen == 0 || len - i < nlen + 1) {
            return -1;
        }

        name = p + i;
        i += nlen;
        type = p[i++];

        if (type > 9) {
            return -1;
        }

        if (type == 6 || type == 7) {
            if (len - i < 2) {
                return -1;
            }

            vlen = (size_t) p[i] << 8 | p[i + 1];
            i += 2;

        } else {
            vlen = fixed[type];
        }

        if (len - i < vlen) {
            return -1;
        }

        if (type == 7) {
            ql_es_keep(m, name, nlen, p + i, vlen);
        }
    }

    return 0;
}


static int
ql_es_fail(ql_es_t *d, const char *reason)
{
    d->reason = reason;
    return -1;
}


/* the prelude is held: the message's length, checked */
static int
ql_es_prelude(ql_es_t *d)
{
    uint32_t  total, hlen;

    if (ql_es_crc(d->buf, 8) != ql_es_u32(d->buf + 8)) {
        return ql_es_fail(d, "event-stream prelude CRC mismatch");
    }

    total = ql_es_u32(d->buf);
    hlen = ql_es_u32(d->buf + 4);

    if (total < QL_ES_MIN || total > d->cap) {
        return ql_es_fail(d, "event-stream message too short or too long");
    }

    if (hlen > total - QL_ES_MIN) {
        return ql_es_fail(d, "event-stream headers longer than the message");
    }

    d->total = total;

    return 0;
}


/* a whole message is held: checked, parsed, handed on */
static int
ql_es_message(ql_es_t *d, ql_es_message_pt on_message, void *data)
{
    uint32_t         total, hlen;
    ql_es_message_t  m;

    total = d->total;
    hlen = ql_es_u32(d->buf + 4);

    if (ql_es_crc(d->buf, total - 4) != ql_es_u32(d->buf + total - 4)) {
        return ql_es_fail(d, "event-stream message CRC mismatch");
    }

    memset(&m, 0, sizeof(m));

    if (ql_es_headers(d->buf + QL_ES_PRELUDE, hlen, &m) != 0) {
        return ql_es_fail(d, "event-stream header malformed");
    }

    m.payload.p = d->buf + QL_ES_PRELUDE + hlen;
    m.payload.len = total - QL_ES_MIN - hlen;

    d->messages++;
    d->have = 0;
    d->total = 0;

    /* the rest of the caller's piece is dropped: no resuming after this */
    if (on_message(data, &m) != 0) {
        if (d->reason == NULL) {
            d->reason = "event-stream reader stopped";
        }

        return -1;
    }

    return 0;
}


void
ql_es_init(ql_es_t *d, unsigned char *buf, size_t cap)
{
    memset(d, 0, sizeof(*d));
    d->buf = buf;
    d->cap = cap < QL_ES_MIN ? 0 : cap;
}


int
ql_es_feed(ql_es_t *d, const unsigned char *p, size_t len,
    ql_es_message_pt on_message, void *data)
{
    size_t  want, n;

    if (d->reason != NULL) {
        return -1;
    }

    while (len) {
        want = d->total ? d->total : QL_ES_PRELUDE;

        n = want - d->have;
        if (n > len) {
            n = len;
        }

        if (d->cap < QL_ES_PRELUDE) {
            return ql_es_fail(d, "event-stream buffer too small");
        }

        memcpy(d->buf + d->have, p, n);
        d->have += n;
        p += n;
        len -= n;

        if (d->have < want) {
            break;
        }

        if (d->total == 0) {
            if (ql_es_prelude(d) != 0) {
                return -1;
            }

            continue;
        }

        if (ql_es_message(d, on_message, data) != 0) {
            return -1;
        }
    }

    return 0;
}


int
ql_es_finish(ql_es_t *d)
{
    if (d->reason != NULL) {
        return -1;
    }

    if (d->have) {
        return ql_es_fail(d, "event-stream cut inside a message");
    }

    return 0;
}
