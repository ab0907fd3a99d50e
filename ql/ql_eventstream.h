/*
 * An incremental decoder of AWS's event-stream framing
 * (application/vnd.amazon.eventstream), in which Bedrock streams.
 *
 * A message: total length (u32), headers length (u32), CRC32 of those 8
 * bytes (the prelude); the headers; the payload; CRC32 of all before it.
 * Big-endian.  A header: name length (u8, not 0), name, value type (u8)
 * and value: 0 true and 1 false (none), 2 byte (1), 3 short (2), 4
 * integer (4), 5 long (8), 6 bytes and 7 string (u16 length, then that
 * many), 8 timestamp (8), 9 uuid (16).
 *
 * Bytes are fed in pieces of any size; one message is held in the
 * caller's buffer until it is whole and both CRCs check, then handed to
 * on_message with the string headers a reader of Bedrock needs, as
 * spans of that buffer.  A message longer than the buffer, a bad CRC, a
 * malformed header or on_message returning -1 stops the decoder for good
 * (reason says why).  nginx-free.
 */

#ifndef QL_EVENTSTREAM_H
#define QL_EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>


#define QL_ES_PRELUDE  12
#define QL_ES_MIN      16           /* prelude and message CRC */


typedef struct {
    const unsigned char  *p;
    size_t                len;
} ql_es_span_t;


typedef struct {
    ql_es_span_t          message_type;     /* event, exception, error */
    ql_es_span_t          event_type;       /* chunk */
    ql_es_span_t          exception_type;   /* throttlingException */
    ql_es_span_t          content_type;
    ql_es_span_t          error_code;       /* message type error */
    ql_es_span_t          error_message;
    ql_es_span_t          payload;
} ql_es_message_t;


/*
 * Returns 0, or -1 to stop; it may set the decoder's reason first, else
 * the reason is "event-stream reader stopped".
 */
typedef int (*ql_es_message_pt)(void *data, const ql_es_message_t *m);


typedef struct {
    unsigned char        *buf;
    size_t                cap;
    size_t                have;
    uint32_t              total;        /* of the message held; 0: unknown */
    uint32_t              messages;
    const char           *reason;       /* NULL: no error */
} ql_es_t;


void ql_es_init(ql_es_t *d, unsigned char *buf, size_t cap);

/* returns 0, or -1 (reason set); once stopped it returns -1 */
int ql_es_feed(ql_es_t *d, const unsigned char *p, size_t len,
    ql_es_message_pt on_message, void *data);

/* the stream ended: -1 if part of a message is held (reason set) */
int ql_es_finish(ql_es_t *d);

#endif /* QL_EVENTSTREAM_H */
