/*
 * W3C trace context (see ql_trace.h).
 */

#include <string.h>

#include "ql_trace.h"


/* n lowercase hex digits; *zero says whether all were '0' */
static int
ql_trace_hex(const unsigned char *p, size_t n, int *zero)
{
    size_t  i;

    *zero = 1;

    for (i = 0; i < n; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
        {
            return 0;
        }

        if (p[i] != '0') {
            *zero = 0;
        }
    }

    return 1;
}


int
ql_trace_parse(const unsigned char *p, size_t len,
    char trace_id[QL_TRACE_ID_LEN], char flags[QL_TRACE_FLAGS_LEN])
{
    int  zero;

    if (len < QL_TRACEPARENT_LEN
        || !ql_trace_hex(p, 2, &zero)
        || (p[0] == 'f' && p[1] == 'f')
        || p[2] != '-' || p[35] != '-' || p[52] != '-')
    {
        return 0;
    }

    /* version 00 is exactly 55 bytes; a later one may add "-..." */
    if ((p[0] == '0' && p[1] == '0' && len != QL_TRACEPARENT_LEN)
        || (len > QL_TRACEPARENT_LEN && p[QL_TRACEPARENT_LEN] != '-'))
    {
        return 0;
    }

    if (!ql_trace_hex(p + 3, QL_TRACE_ID_LEN, &zero) || zero
        || !ql_trace_hex(p + 36, QL_TRACE_SPAN_LEN, &zero) || zero
        || !ql_trace_hex(p + 53, QL_TRACE_FLAGS_LEN, &zero))
    {
        return 0;
    }

    memcpy(trace_id, p + 3, QL_TRACE_ID_LEN);
    memcpy(flags, p + 53, QL_TRACE_FLAGS_LEN);

    return 1;
}


void
ql_trace_format(const char *trace_id, const char *span_id, const char *flags,
    char out[QL_TRACEPARENT_LEN])
{
    memcpy(out, "00-", 3);
    memcpy(out + 3, trace_id, QL_TRACE_ID_LEN);
    out[35] = '-';
    memcpy(out + 36, span_id, QL_TRACE_SPAN_LEN);
    out[52] = '-';
    memcpy(out + 53, flags, QL_TRACE_FLAGS_LEN);
}
