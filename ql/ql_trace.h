/*
 * W3C trace context (traceparent): "00-<trace id, 32 hex>-<parent id, 16
 * hex>-<flags, 2 hex>".  The gateway keeps a client's trace id, or starts
 * a trace, and passes its own hop upstream as the parent.
 */

#ifndef QL_TRACE_H
#define QL_TRACE_H

#include <stddef.h>

#define QL_TRACE_ID_LEN       32
#define QL_TRACE_SPAN_LEN     16
#define QL_TRACE_FLAGS_LEN    2
#define QL_TRACEPARENT_LEN    55

/*
 * 1 with the trace id and flags when p is a valid traceparent (version
 * 00, or a later one whose first 55 bytes read as 00's and go on with
 * '-'), lowercase hex, ids not all zero; else 0.
 */
int ql_trace_parse(const unsigned char *p, size_t len,
    char trace_id[QL_TRACE_ID_LEN], char flags[QL_TRACE_FLAGS_LEN]);

/* "00-<trace_id>-<span_id>-<flags>" into out (QL_TRACEPARENT_LEN bytes) */
void ql_trace_format(const char *trace_id, const char *span_id,
    const char *flags, char out[QL_TRACEPARENT_LEN]);

#endif /* QL_TRACE_H */
