/*
 * Incremental server-sent events framing.
 */

#include <string.h>

#include "ql_sse.h"


#define QL_SSE_FIELD     0      /* reading a field name (or a blank line) */
#define QL_SSE_SPACE     1      /* right after the colon */
#define QL_SSE_VALUE     2
#define QL_SSE_SKIP      3      /* a comment: ignore up to the line end */

#define QL_SSE_NONE      0
#define QL_SSE_DATA      1
#define QL_SSE_EVENT     2

/* flen past this means "longer than any field name we know" */
#define QL_SSE_FNAME     (sizeof(((ql_sse_t *) 0)->fname))


void
ql_sse_init(ql_sse_t *s, ql_sse_data_pt on_data,
    ql_sse_dispatch_pt on_dispatch, void *ctx)
{
    memset(s, 0, sizeof(ql_sse_t));

    s->on_data = on_data;
    s->on_dispatch = on_dispatch;
    s->ctx = ctx;
}


static void
ql_sse_field_start(ql_sse_t *s)
{
    s->field = QL_SSE_NONE;

    if (s->flen == 4 && memcmp(s->fname, "data", 4) == 0) {
        s->field = QL_SSE_DATA;

        /* the spec joins the data lines of one event with LF */
        if (s->has_data) {
            s->on_data(s->ctx, (const unsigned char *) "\n", 1);
        }

        s->has_data = 1;

    } else if (s->flen == 5 && memcmp(s->fname, "event", 5) == 0) {
        s->field = QL_SSE_EVENT;
        s->has_name = 1;
        s->name_long = 0;
        s->name_len = 0;
    }
}


static void
ql_sse_value(ql_sse_t *s, const unsigned char *p, size_t len)
{
    if (len == 0) {
        return;
    }

    if (s->field == QL_SSE_DATA) {
        s->on_data(s->ctx, p, len);

    } else if (s->field == QL_SSE_EVENT && !s->name_long) {
        if (len > QL_SSE_NAME_MAX - s->name_len) {
            s->name_long = 1;
            s->names_too_long++;
            return;
        }

        memcpy(s->name + s->name_len, p, len);
        s->name_len += len;
    }
}


static void
ql_sse_line_end(ql_sse_t *s)
{
    const unsigned char  *name;

    if (s->state == QL_SSE_FIELD) {
        if (s->flen > 0) {
            /* "data" alone on a line is a data line with an empty value */
            ql_sse_field_start(s);

        } else {
            if (s->has_data) {
                name = (s->has_name && !s->name_long && s->name_len > 0)
                       ? s->name : NULL;
                s->on_dispatch(s->ctx, name, name ? s->name_len : 0);
            }

            s->has_data = 0;
            s->has_name = 0;
            s->name_long = 0;
            s->name_len = 0;
        }
    }

    s->state = QL_SSE_FIELD;
    s->field = QL_SSE_NONE;
    s->flen = 0;
}


void
ql_sse_feed(ql_sse_t *s, const unsigned char *p, size_t len)
{
    unsigned char         c;
    const unsigned char  *end, *q;

    static const unsigned char  bom[3] = { 0xef, 0xbb, 0xbf };

    end = p + len;

    while (p < end) {
        c = *p;

        if (s->cr) {
            s->cr = 0;

            if (c == '\n') {
                p++;
                continue;
            }
        }

        if (s->bom < 3) {
            if (c == bom[s->bom]) {
                s->bom++;
                p++;
                continue;
            }

            /*
             * Not a BOM after all: the bytes matched so far begin a field
             * name that no field has, so the line is ignored.
             */
            if (s->bom > 0) {
                s->flen = QL_SSE_FNAME + 1;
            }

            s->bom = 3;
        }

        if (c == '\r' || c == '\n') {
            ql_sse_line_end(s);
            s->cr = (c == '\r');
            p++;
            continue;
        }

        switch (s->state) {

        case QL_SSE_FIELD:
            if (c == ':') {
                if (s->flen == 0) {
                    s->state = QL_SSE_SKIP;

                } else {
                    ql_sse_field_start(s);
                    s->state = QL_SSE_SPACE;
                }

            } else if (s->flen <= QL_SSE_FNAME) {
                if (s->flen < QL_SSE_FNAME) {
                    s->fname[s->flen] = c;
                }

                s->flen++;
            }

            p++;
            break;

        case QL_SSE_SPACE:
            s->state = QL_SSE_VALUE;

            if (c == ' ') {
                p++;
                break;
            }

            /* fall through */

        case QL_SSE_VALUE:
            for (q = p; q < end && *q != '\r' && *q != '\n'; q++) {
                /* void */
            }

            ql_sse_value(s, p, (size_t) (q - p));
            p = q;
            break;

        default: /* QL_SSE_SKIP */
            for (q = p; q < end && *q != '\r' && *q != '\n'; q++) {
                /* void */
            }

            p = q;
            break;
        }
    }
}
