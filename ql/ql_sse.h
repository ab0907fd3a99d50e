/*
 * Incremental server-sent events framing (WHATWG HTML, "Parsing an event
 * stream"), for reading a response as it streams by.
 *
 * Bytes are fed in pieces of any size, down to one byte.  The parser never
 * copies or modifies them: the value of every "data:" line is handed to
 * on_data as spans of the caller's buffer, and when a blank line ends an
 * event that had at least one data line, on_dispatch gets the event name.
 * Lines end with "\n", "\r\n" or "\r" (a CR at the end of one piece and an
 * LF at the start of the next are one line end).  Between two data lines
 * of one event on_data gets a lone "\n", as the spec joins them.  One space
 * after the colon is dropped; lines starting with ":" are comments; "id"
 * and "retry" and unknown fields are ignored; a field name without colon
 * is a field with an empty value; a leading UTF-8 BOM is skipped.  An
 * event not ended by a blank line before the stream ends is never
 * dispatched, as the spec says.
 *
 * Memory is the struct itself: the event name is kept up to
 * QL_SSE_NAME_MAX bytes; a longer name is reported as NULL (unknown) and
 * counted in names_too_long.
 */

#ifndef QL_SSE_H
#define QL_SSE_H

#include <stddef.h>
#include <stdint.h>

#define QL_SSE_NAME_MAX  64

typedef void (*ql_sse_data_pt)(void *ctx, const unsigned char *p,
    size_t len);

/* name is NULL when the event had no "event:" line or a too long one. */
typedef void (*ql_sse_dispatch_pt)(void *ctx, const unsigned char *name,
    size_t len);

typedef struct {
    ql_sse_data_pt      on_data;
    ql_sse_dispatch_pt  on_dispatch;
    void               *ctx;

    uint32_t            names_too_long;

    /* private */
    uint8_t             state;
    uint8_t             field;
    uint8_t             flen;
    uint8_t             bom;
    unsigned            cr:1;
    unsigned            has_data:1;
    unsigned            has_name:1;
    unsigned            name_long:1;
    unsigned char       fname[5];
    size_t              name_len;
    unsigned char       name[QL_SSE_NAME_MAX];
} ql_sse_t;

void ql_sse_init(ql_sse_t *s, ql_sse_data_pt on_data,
    ql_sse_dispatch_pt on_dispatch, void *ctx);

void ql_sse_feed(ql_sse_t *s, const unsigned char *p, size_t len);

#endif /* QL_SSE_H */
