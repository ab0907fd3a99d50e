/*
 * Unwraps Gemini Code Assist answers: cloudcode-pa's v1internal methods
 * answer {"response": <a Gemini API answer>, "traceId": ...}, as one JSON
 * body, a JSON array of them, or SSE with one wrapped object per data
 * line.  The client asked the Gemini API, so it gets the inner values:
 * the body, each array element, each data line replaced by its
 * "response" member, streamed out as it arrives.
 *
 * Fed in pieces of any size.  The bytes of an object before its
 * "response" member are held (at most QL_UNWRAP_HOLD, then the object
 * passes unchanged), so an object without one (an error body) comes out
 * as it went in.  A data line is one object; SSE lines other than data
 * pass unchanged.  State is the struct; nothing is allocated.
 * nginx-free.
 */

#ifndef QL_UNWRAP_H
#define QL_UNWRAP_H

#include <stddef.h>

#include "ql_usage_strip.h"


#define QL_UNWRAP_HOLD   4096
#define QL_UNWRAP_KEY_MAX  16


typedef struct {
    unsigned       sse:1;
    unsigned       data_line:1;     /* SSE: in a data line's value */
    unsigned       cr:1;            /* SSE: the data line's last byte was CR */
    unsigned       other_line:1;    /* SSE: in a line passed as is */
    unsigned       in_str:1;
    unsigned       esc:1;
    unsigned       emitting:1;      /* the "response" value goes out */
    unsigned       passing:1;       /* no unwrapping: the object as is */
    unsigned       found:1;         /* this object had "response" */
    unsigned       array:1;         /* JSON: a top-level array */

    unsigned char  state;
    unsigned char  key_len;
    unsigned       key_bad:1;       /* longer or escaped: not "response" */
    unsigned char  key[QL_UNWRAP_KEY_MAX];
    size_t         depth;           /* inside the member value */
    size_t         prefix;          /* SSE: "data:" bytes matched */
    size_t         held;
    unsigned char  hold[QL_UNWRAP_HOLD];
} ql_unwrap_t;


/* sse: the answer is text/event-stream */
void ql_unwrap_init(ql_unwrap_t *u, int sse);

int ql_unwrap_feed(ql_unwrap_t *u, const unsigned char *p, size_t len,
    ql_emit_pt emit, void *data);

int ql_unwrap_finish(ql_unwrap_t *u, ql_emit_pt emit, void *data);

#endif /* QL_UNWRAP_H */
