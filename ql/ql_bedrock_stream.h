/*
 * Bedrock's answers as an Anthropic client expects them.
 *
 * A stream (invoke-with-response-stream) comes in event-stream framing
 * (ql_eventstream.h): each "chunk" event's payload is {"bytes": <base64
 * of one Anthropic streaming event's JSON>}; it goes out as that SSE
 * event, `event: <its type>` and `data: <the JSON>`, as soon as its frame
 * is whole.  An exception message (throttlingException, ...) goes out as
 * Anthropic's `event: error` with the mapped error type, and is kept in
 * the struct for the scheduler's feedback.
 *
 * A chunk whose "bytes" is not strict, padded base64 breaks the stream.
 *
 * Errors Bedrock answers with an HTTP status ({"message": ...} and
 * x-amzn-ErrorType: ThrottlingException:...) are mapped by
 * ql_bedrock_error(); ql_bedrock_error_body() writes Anthropic's error
 * JSON for them.  nginx-free.
 */

#ifndef QL_BEDROCK_STREAM_H
#define QL_BEDROCK_STREAM_H

#include <stddef.h>

#include "ql_eventstream.h"
#include "ql_usage_strip.h"


/* the frame buffer and the decoded event share the caller's memory */
#define QL_BEDROCK_STREAM_FRAME_MAX  (32 * 1024)
#define QL_BEDROCK_STREAM_MEMORY                                              \
    (QL_BEDROCK_STREAM_FRAME_MAX + QL_BEDROCK_STREAM_FRAME_MAX * 3 / 4 + 4)

#define QL_BEDROCK_EXCEPTION_MAX     64


typedef struct {
    const char  *type;          /* Anthropic's: "rate_limit_error" */
    unsigned     status;        /* what it stands for: 429 */
} ql_bedrock_error_t;


typedef struct {
    ql_es_t                   es;
    unsigned char            *decoded;
    size_t                    decoded_cap;
    ql_emit_pt                emit;
    void                     *data;

    /* the first exception the stream carried; status 0: none */
    ql_bedrock_error_t        error;
    char                      exception[QL_BEDROCK_EXCEPTION_MAX + 1];
    unsigned                  events;       /* SSE events emitted */
} ql_bedrock_stream_t;


/* mem: QL_BEDROCK_STREAM_MEMORY bytes */
void ql_bedrock_stream_init(ql_bedrock_stream_t *s, unsigned char *mem);

/*
 * Returns 0, or -1 if emit failed.  A broken stream (s->es.reason says
 * why) ends with an error event; what follows is dropped.
 */
int ql_bedrock_stream_feed(ql_bedrock_stream_t *s, const unsigned char *p,
    size_t len, ql_emit_pt emit, void *data);

/* the end: a stream cut inside a frame gets an error event */
int ql_bedrock_stream_finish(ql_bedrock_stream_t *s, ql_emit_pt emit,
    void *data);

/*
 * Anthropic's error type and the status it stands for, by Bedrock's
 * exception name (case does not matter, a ":..." suffix is ignored) or,
 * for a name it does not know, by the HTTP status.
 */
ql_bedrock_error_t ql_bedrock_error(const unsigned char *name, size_t len,
    unsigned http_status);

/*
 * {"type":"error","error":{"type":..., "message":...}} with the message
 * of Bedrock's error body ({"message": ...}; a generic one if there is
 * none, it is not UTF-8 or it does not fit) into out; returns its
 * length, or 0 if not even that fits.
 */
size_t ql_bedrock_error_body(const char *type, const unsigned char *body,
    size_t len, unsigned char *out, size_t size);

#endif /* QL_BEDROCK_STREAM_H */
