/*
 * Strips the usage chunk from an OpenAI chat completions stream.
 *
 * The gateway asks every chat stream for its usage
 * (stream_options.include_usage) so that it can bill it; a client that
 * did not ask must not see the extra chunk, an SSE event whose data is
 * `{"choices":[], "usage":{...}, ...}`.  This filter is fed the stream
 * in pieces of any size and emits every other byte unchanged.
 *
 * An event is held back until its blank line arrives (a chat chunk is a
 * few hundred bytes), then emitted or, if it is the usage chunk, dropped.
 * An event longer than QL_USAGE_STRIP_HOLD is emitted as it comes, never
 * dropped halfway.  Lines end in "\n" or "\r\n".  The state is the
 * struct itself: nothing is allocated except while a held event that
 * looks like the usage chunk is decoded (jansson) to make sure.
 * nginx-free.
 */

#ifndef QL_USAGE_STRIP_H
#define QL_USAGE_STRIP_H

#include <stddef.h>


#define QL_USAGE_STRIP_HOLD  65536


/* receives the output; returns 0, or -1 to stop */
typedef int (*ql_emit_pt)(void *data, const unsigned char *p, size_t len);


typedef struct {
    size_t         held;        /* bytes of the current event in hold */
    size_t         line;        /* bytes of the current line so far */
    unsigned       passing:1;   /* the event overflowed: passed through */
    unsigned char  hold[QL_USAGE_STRIP_HOLD];
} ql_usage_strip_t;


void ql_usage_strip_init(ql_usage_strip_t *s);

/* returns 0, or -1 if emit failed */
int ql_usage_strip_feed(ql_usage_strip_t *s, const unsigned char *p,
    size_t len, ql_emit_pt emit, void *data);

/* the stream ended: whatever is held goes out as it is */
int ql_usage_strip_finish(ql_usage_strip_t *s, ql_emit_pt emit, void *data);

#endif /* QL_USAGE_STRIP_H */
