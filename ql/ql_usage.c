/*
 * Incremental usage extraction: SSE framing (ql_sse) feeds each event's
 * data, or the JSON body goes as is, into a structural JSON scanner that
 * tracks nesting, strings and the keys on the way down, and copies only
 * the values at the paths usage needs into the capture buffer.  A complete
 * captured value is decoded with jansson and turned into a delta that is
 * merged into the result when its SSE event is dispatched (or at once for
 * a JSON body).
 */

#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ql_usage.h"
#include "ql_json_valid.h"


/* containers */
#define QL_J_OBJECT      1
#define QL_J_ARRAY       2

/* what the scanner expects next */
#define QL_J_VALUE       0
#define QL_J_KEY         1
#define QL_J_COLON       2
#define QL_J_AFTER       3

/* string being read */
#define QL_J_STR_KEY     1
#define QL_J_STR_VALUE   2

/* captured value kinds */
#define QL_CAP_STRING    1
#define QL_CAP_CONTAINER 2
#define QL_CAP_LITERAL   3

/* a klen past QL_USAGE_KEY_MAX: a key no path names */
#define QL_KEY_NOMATCH   (QL_USAGE_KEY_MAX + 1)


/* keys that appear in the paths below; 0 is "any other key" */
enum {
    QL_K_NONE = 0,
    QL_K_ARRAY,                 /* stands for an array level in a path */
    QL_K_TYPE,
    QL_K_MODEL,
    QL_K_MESSAGE,
    QL_K_USAGE,
    QL_K_ERROR,
    QL_K_RESPONSE,
    QL_K_CODE,
    QL_K_USAGE_METADATA,
    QL_K_MODEL_VERSION,
    QL_K_CANDIDATES,
    QL_K_FINISH_REASON,
    QL_K_PROMPT_FEEDBACK,
    QL_K_BLOCK_REASON
};

/* what a captured value is */
enum {
    QL_W_NONE = 0,
    QL_W_TYPE,
    QL_W_MODEL,
    QL_W_USAGE,
    QL_W_ERROR,
    QL_W_CODE,
    QL_W_FINISH
};

#define QL_F_A  (1 << QL_USAGE_ANTHROPIC)
#define QL_F_C  (1 << QL_USAGE_OPENAI_CHAT)
#define QL_F_R  (1 << QL_USAGE_OPENAI_RESPONSES)
#define QL_F_G  (1 << QL_USAGE_GEMINI)

/* Usage objects are replaced as a whole, except Anthropic's (merged). */
#define QL_F_REPLACE  (QL_F_C | QL_F_R | QL_F_G)


typedef struct {
    const char  *name;
    uint8_t      len;
    uint8_t      id;
} ql_usage_key_t;

static const ql_usage_key_t  ql_usage_keys[] = {
    { "type", 4, QL_K_TYPE },
    { "model", 5, QL_K_MODEL },
    { "message", 7, QL_K_MESSAGE },
    { "usage", 5, QL_K_USAGE },
    { "error", 5, QL_K_ERROR },
    { "response", 8, QL_K_RESPONSE },
    { "code", 4, QL_K_CODE },
    { "usageMetadata", 13, QL_K_USAGE_METADATA },
    { "modelVersion", 12, QL_K_MODEL_VERSION },
    { "candidates", 10, QL_K_CANDIDATES },
    { "finishReason", 12, QL_K_FINISH_REASON },
    { "promptFeedback", 14, QL_K_PROMPT_FEEDBACK },
    { "blockReason", 11, QL_K_BLOCK_REASON },
};


/*
 * Paths from the root object of a document (an SSE event's data, a JSON
 * body, or each element of a top level array) to the values we capture.
 */
typedef struct {
    uint8_t  formats;
    uint8_t  what;
    uint8_t  len;
    uint8_t  k[3];
} ql_usage_path_t;

static const ql_usage_path_t  ql_usage_paths[] = {
    { QL_F_A | QL_F_R, QL_W_TYPE, 1, { QL_K_TYPE } },
    { QL_F_A | QL_F_C | QL_F_R, QL_W_MODEL, 1, { QL_K_MODEL } },
    { QL_F_A | QL_F_C | QL_F_R, QL_W_USAGE, 1, { QL_K_USAGE } },
    { QL_F_A | QL_F_C | QL_F_R | QL_F_G, QL_W_ERROR, 1, { QL_K_ERROR } },
    { QL_F_A, QL_W_MODEL, 2, { QL_K_MESSAGE, QL_K_MODEL } },
    { QL_F_A, QL_W_USAGE, 2, { QL_K_MESSAGE, QL_K_USAGE } },
    { QL_F_R, QL_W_MODEL, 2, { QL_K_RESPONSE, QL_K_MODEL } },
    { QL_F_R, QL_W_USAGE, 2, { QL_K_RESPONSE, QL_K_USAGE } },
    { QL_F_R, QL_W_ERROR, 2, { QL_K_RESPONSE, QL_K_ERROR } },
    { QL_F_R, QL_W_CODE, 1, { QL_K_CODE } },
    { QL_F_G, QL_W_USAGE, 1, { QL_K_USAGE_METADATA } },
    { QL_F_G, QL_W_MODEL, 1, { QL_K_MODEL_VERSION } },
    { QL_F_G, QL_W_FINISH, 3,
      { QL_K_CANDIDATES, QL_K_ARRAY, QL_K_FINISH_REASON } },
    { QL_F_G, QL_W_FINISH, 2, { QL_K_PROMPT_FEEDBACK, QL_K_BLOCK_REASON } },
};


/* Token fields of each format's usage object ("parent" one level down). */
typedef struct {
    uint8_t      formats;
    uint8_t      raw;
    const char  *parent;
    const char  *name;
} ql_usage_field_t;

static const ql_usage_field_t  ql_usage_fields[] = {
    { QL_F_A, QL_USAGE_R_INPUT, NULL, "input_tokens" },
    { QL_F_A, QL_USAGE_R_CC, NULL, "cache_creation_input_tokens" },
    { QL_F_A, QL_USAGE_R_CACHE_READ, NULL, "cache_read_input_tokens" },
    { QL_F_A, QL_USAGE_R_OUTPUT, NULL, "output_tokens" },
    { QL_F_A, QL_USAGE_R_CC_5M, "cache_creation",
      "ephemeral_5m_input_tokens" },
    { QL_F_A, QL_USAGE_R_CC_1H, "cache_creation",
      "ephemeral_1h_input_tokens" },

    { QL_F_C, QL_USAGE_R_PROMPT, NULL, "prompt_tokens" },
    { QL_F_C, QL_USAGE_R_OUTPUT, NULL, "completion_tokens" },
    { QL_F_C, QL_USAGE_R_CACHED, "prompt_tokens_details", "cached_tokens" },
    { QL_F_C, QL_USAGE_R_REASONING, "completion_tokens_details",
      "reasoning_tokens" },

    { QL_F_R, QL_USAGE_R_PROMPT, NULL, "input_tokens" },
    { QL_F_R, QL_USAGE_R_OUTPUT, NULL, "output_tokens" },
    { QL_F_R, QL_USAGE_R_CACHED, "input_tokens_details", "cached_tokens" },
    { QL_F_R, QL_USAGE_R_REASONING, "output_tokens_details",
      "reasoning_tokens" },

    { QL_F_G, QL_USAGE_R_PROMPT, NULL, "promptTokenCount" },
    { QL_F_G, QL_USAGE_R_OUTPUT, NULL, "candidatesTokenCount" },
    { QL_F_G, QL_USAGE_R_CACHED, NULL, "cachedContentTokenCount" },
    { QL_F_G, QL_USAGE_R_REASONING, NULL, "thoughtsTokenCount" },
    { QL_F_G, QL_USAGE_R_TOOL_PROMPT, NULL, "toolUsePromptTokenCount" },
};


static void ql_usage_scan(ql_usage_parser_t *p, const unsigned char *d,
    size_t len);
static void ql_usage_sse_data(void *ctx, const unsigned char *d, size_t len);
static void ql_usage_sse_dispatch(void *ctx, const unsigned char *name,
    size_t len);


ql_usage_framing_t
ql_usage_framing_from_content_type(const unsigned char *p, size_t len)
{
    size_t  n;

    /* the media type, without parameters and blanks */
    while (len > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }

    for (n = 0; n < len && p[n] != ';' && p[n] != ' ' && p[n] != '\t'; n++) {
        /* void */
    }

    if (n == 17 && strncasecmp((const char *) p, "text/event-stream", 17)
                   == 0)
    {
        return QL_USAGE_SSE;
    }

    if ((n == 16 && strncasecmp((const char *) p, "application/json", 16)
                    == 0)
        || (n > 5 && strncasecmp((const char *) p + n - 5, "+json", 5) == 0))
    {
        return QL_USAGE_JSON;
    }

    return QL_USAGE_AUTO;
}


void
ql_usage_init(ql_usage_parser_t *p, ql_usage_format_t format,
    ql_usage_framing_t framing)
{
    /* the capture buffer is written before it is read: leave it be */
    memset(p, 0, offsetof(ql_usage_parser_t, cap));

    p->format = (unsigned) format < QL_USAGE_FORMAT_COUNT
                ? format : QL_USAGE_ANTHROPIC;
    p->framing = framing;

    if (framing == QL_USAGE_SSE) {
        ql_sse_init(&p->sse, ql_usage_sse_data, ql_usage_sse_dispatch, p);
    }
}


/*
 * AUTO: skips a BOM and blanks up to the first other byte, which decides.
 * Returns how many bytes were used.  Switching to SSE replays what the
 * skipped bytes meant to the SSE framing: a BOM, or a line that began
 * with blanks (and so names no field).
 */
static size_t
ql_usage_detect(ql_usage_parser_t *p, const unsigned char *d, size_t len)
{
    size_t         i;
    unsigned char  c;

    static const unsigned char  bom[3] = { 0xef, 0xbb, 0xbf };

    for (i = 0; i < len; i++) {
        c = d[i];

        if (p->det_bom < 3) {
            if (c == bom[p->det_bom]) {
                p->det_bom++;
                continue;
            }

            if (p->det_bom > 0) {
                p->det_line = 1;
            }

            p->det_bom = 4;
        }

        /*
         * A pending CR needs no replay: the byte that decides is not an
         * LF that could belong to it.
         */
        if (c == '\r' || c == '\n') {
            p->det_line = 0;
            continue;
        }

        if (c == ' ' || c == '\t') {
            p->det_line = 1;
            continue;
        }

        if (c == '{' || c == '[') {
            p->framing = QL_USAGE_JSON;
            return i;
        }

        p->framing = QL_USAGE_SSE;
        ql_sse_init(&p->sse, ql_usage_sse_data, ql_usage_sse_dispatch, p);

        if (p->det_bom == 3) {
            ql_sse_feed(&p->sse, bom, 3);
        }

        if (p->det_line) {
            ql_sse_feed(&p->sse, (const unsigned char *) " ", 1);
        }

        return i;
    }

    return len;
}


void
ql_usage_feed(ql_usage_parser_t *p, const unsigned char *data, size_t len)
{
    size_t  n;

    if (p->finished || len == 0) {
        return;
    }

    if (p->framing == QL_USAGE_AUTO) {
        n = ql_usage_detect(p, data, len);

        if (p->framing == QL_USAGE_AUTO) {
            return;
        }

        data += n;
        len -= n;
    }

    if (p->framing == QL_USAGE_SSE) {
        ql_sse_feed(&p->sse, data, len);

    } else {
        ql_usage_scan(p, data, len);
    }
}


void
ql_usage_finish(ql_usage_parser_t *p)
{
    /*
     * Nothing is flushed: an SSE event without its blank line is never
     * dispatched, and a JSON value still open was never complete.
     */
    p->finished = 1;
}


/* ------------------------------------------------------------------ */
/* deltas: what one SSE event (or one JSON value) changes              */


static ql_usage_state_t *
ql_usage_delta(ql_usage_parser_t *p)
{
    if (!p->ev.pending) {
        memset(&p->delta, 0, sizeof(ql_usage_state_t));
        p->ev.pending = 1;
    }

    return &p->delta;
}


static void
ql_usage_set_error(ql_usage_state_t *t, const char *type, size_t len)
{
    if (t->error) {
        return;
    }

    /* keep a valid UTF-8 prefix: type is valid UTF-8 from jansson */
    if (len > QL_USAGE_ERROR_MAX) {
        len = QL_USAGE_ERROR_MAX;

        while (len > 0 && ((unsigned char) type[len] & 0xc0) == 0x80) {
            len--;
        }
    }

    t->error = 1;
    memcpy(t->error_type, type, len);
    t->error_type[len] = '\0';
    t->error_type_len = len;
}


static void
ql_usage_merge(ql_usage_parser_t *p)
{
    int                i;
    ql_usage_state_t  *st, *d;

    if (!p->ev.pending) {
        return;
    }

    p->ev.pending = 0;
    st = &p->st;
    d = &p->delta;

    if (d->saw_usage) {
        if ((1 << p->format) & QL_F_REPLACE) {
            memcpy(st->v, d->v, sizeof(st->v));
            st->have = d->have;

        } else {
            for (i = 0; i < QL_USAGE_R_COUNT; i++) {
                if (d->have & (1u << i)) {
                    st->v[i] = d->v[i];
                }
            }

            st->have |= d->have;
        }

        st->saw_usage = 1;
    }

    if (d->model_len > 0) {
        memcpy(st->model, d->model, d->model_len + 1);
        st->model_len = d->model_len;
    }

    if (d->error) {
        ql_usage_set_error(st, d->error_type, d->error_type_len);
    }

    if (d->complete) {
        st->complete = 1;
    }
}


/* ------------------------------------------------------------------ */
/* decoding captured values                                             */


/*
 * A captured JSON string into out (NUL-terminated).  Returns 1 when done,
 * 0 for null, -1 for anything else (counted), -2 if it is too long.
 */
static int
ql_usage_string(ql_usage_parser_t *p, const unsigned char *v, size_t len,
    char *out, size_t size, size_t *out_len)
{
    int          rc;
    size_t       i, n;
    json_t      *j;
    const char  *s;

    if (len == 4 && memcmp(v, "null", 4) == 0) {
        return 0;
    }

    /* printable ASCII without escapes needs no decoder */
    if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
        for (i = 1; i < len - 1; i++) {
            if (v[i] < 0x20 || v[i] > 0x7e || v[i] == '\\' || v[i] == '"') {
                break;
            }
        }

        if (i == len - 1) {
            n = len - 2;

            if (n >= size) {
                p->overflow++;
                return -2;
            }

            memcpy(out, v + 1, n);
            out[n] = '\0';
            *out_len = n;
            return 1;
        }
    }

    j = json_loadb((const char *) v, len, JSON_DECODE_ANY, NULL);

    if (!json_is_string(j)) {
        json_decref(j);
        p->invalid++;
        return -1;
    }

    s = json_string_value(j);
    n = json_string_length(j);

    if (n >= size) {
        p->overflow++;
        rc = -2;

    } else if (memchr(s, '\0', n) != NULL) {
        p->invalid++;
        rc = -1;

    } else {
        memcpy(out, s, n);
        out[n] = '\0';
        *out_len = n;
        rc = 1;
    }

    json_decref(j);

    return rc;
}


/* A token count: an integral number in [0, QL_USAGE_TOKENS_MAX]. */
static int
ql_usage_count(json_t *obj, const char *key, uint64_t *v)
{
    double   d;
    json_t  *n;

    n = json_object_get(obj, key);

    if (!json_is_number(n)) {
        return 0;
    }

    d = json_number_value(n);

    if (!(d >= 0 && d <= (double) QL_USAGE_TOKENS_MAX)) {
        return 0;
    }

    if ((double) (uint64_t) d != d) {
        return 0;
    }

    *v = (uint64_t) d;

    return 1;
}


#define QL_USAGE_NAMES_MAX   8
#define QL_USAGE_PLAIN_DIGITS  15     /* exact as a double, as decoded */


/* the names of the format's fields under parent (NULL: the top level) */
static size_t
ql_usage_names(unsigned format, const char *parent, const char **names)
{
    size_t       i, j, n;
    const char  *name;

    n = 0;

    for (i = 0; i < sizeof(ql_usage_fields) / sizeof(ql_usage_fields[0]);
         i++)
    {
        if (!(ql_usage_fields[i].formats & (1 << format))) {
            continue;
        }

        if (parent == NULL) {
            name = ql_usage_fields[i].parent ? ql_usage_fields[i].parent
                                             : ql_usage_fields[i].name;

        } else if (ql_usage_fields[i].parent != NULL
                   && strcmp(ql_usage_fields[i].parent, parent) == 0)
        {
            name = ql_usage_fields[i].name;

        } else {
            continue;
        }

        for (j = 0; j < n && strcmp(names[j], name) != 0; j++) { /* void */ }

        if (j == n && n < QL_USAGE_NAMES_MAX - 1) {
            names[n++] = name;
        }
    }

    names[n] = NULL;

    return n;
}


/* the span of name among names, found by ql_json_valid_object() */
static ql_json_span_t *
ql_usage_span(const char **names, ql_json_span_t *spans, const char *name)
{
    size_t  i;

    for (i = 0; names[i] && strcmp(names[i], name) != 0; i++) { /* void */ }

    return names[i] ? &spans[i] : NULL;
}


/*
 * The usage object read without a decoder when it is plain: valid, the
 * names read appear once (in it and in a parent), each value read an
 * integer of at most QL_USAGE_PLAIN_DIGITS digits.  What it counts is
 * then what decoding would count.  0: decode it.
 */
static int
ql_usage_plain(unsigned format, const unsigned char *v, size_t len,
    uint64_t *val, uint32_t *have)
{
    size_t               i, k;
    uint64_t             n;
    const char          *dup, *top[QL_USAGE_NAMES_MAX];
    const char          *sub[QL_USAGE_NAMES_MAX];
    ql_json_span_t       spans[QL_USAGE_NAMES_MAX], inner[QL_USAGE_NAMES_MAX];
    ql_json_span_t      *s, *ps;
    const unsigned char *d;

    ql_usage_names(format, NULL, top);

    if (ql_json_valid_object(v, len, top, spans, &dup) != QL_JSON_OK) {
        return 0;
    }

    for (i = 0; i < sizeof(ql_usage_fields) / sizeof(ql_usage_fields[0]);
         i++)
    {
        if (!(ql_usage_fields[i].formats & (1 << format))) {
            continue;
        }

        if (ql_usage_fields[i].parent == NULL) {
            s = ql_usage_span(top, spans, ql_usage_fields[i].name);

        } else {
            ps = ql_usage_span(top, spans, ql_usage_fields[i].parent);

            if (ps == NULL || ps->end == 0 || v[ps->start] != '{') {
                /* absent, or not an object: nothing under it counts */
                if (ps != NULL && ps->end
                    && !(ps->end - ps->start == 4
                         && memcmp(v + ps->start, "null", 4) == 0))
                {
                    continue;
                }

                continue;
            }

            ql_usage_names(format, ql_usage_fields[i].parent, sub);

            if (ql_json_valid_object(v + ps->start, ps->end - ps->start,
                                     sub, inner, &dup)
                != QL_JSON_OK)
            {
                return 0;
            }

            s = ql_usage_span(sub, inner, ql_usage_fields[i].name);
            if (s != NULL && s->end) {
                s->start += ps->start;
                s->end += ps->start;
            }
        }

        if (s == NULL || s->end == 0) {
            continue;
        }

        d = v + s->start;
        k = s->end - s->start;

        if (k > QL_USAGE_PLAIN_DIGITS) {
            return 0;
        }

        for (n = 0; k; k--, d++) {
            if (*d < '0' || *d > '9') {
                return 0;
            }

            n = n * 10 + (*d - '0');
        }

        if (n <= QL_USAGE_TOKENS_MAX) {
            val[ql_usage_fields[i].raw] = n;
            *have |= 1u << ql_usage_fields[i].raw;
        }
    }

    return 1;
}


static void
ql_usage_apply_usage(ql_usage_parser_t *p, const unsigned char *v,
    size_t len)
{
    size_t             i;
    uint32_t           have;
    uint64_t           val[QL_USAGE_R_COUNT];
    json_t            *u, *o;
    ql_usage_state_t  *d;

    if (len == 4 && memcmp(v, "null", 4) == 0) {
        return;
    }

    have = 0;
    memset(val, 0, sizeof(val));

    /* the usual case, read in place: no decoder, no allocation */
    if (ql_usage_plain(p->format, v, len, val, &have)) {
        goto counted;
    }

    have = 0;
    memset(val, 0, sizeof(val));

    /* integers as reals: 1e30 is then ignored as one field, not fatal */
    u = json_loadb((const char *) v, len,
                   JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);

    if (!json_is_object(u)) {
        json_decref(u);
        p->invalid++;
        return;
    }

    for (i = 0; i < sizeof(ql_usage_fields) / sizeof(ql_usage_fields[0]);
         i++)
    {
        if (!(ql_usage_fields[i].formats & (1 << p->format))) {
            continue;
        }

        o = u;

        if (ql_usage_fields[i].parent != NULL) {
            o = json_object_get(u, ql_usage_fields[i].parent);

            if (!json_is_object(o)) {
                continue;
            }
        }

        if (ql_usage_count(o, ql_usage_fields[i].name,
                           &val[ql_usage_fields[i].raw]))
        {
            have |= 1u << ql_usage_fields[i].raw;
        }
    }

    json_decref(u);

counted:

    if (have == 0) {
        return;
    }

    d = ql_usage_delta(p);

    if ((1 << p->format) & QL_F_REPLACE) {
        memcpy(d->v, val, sizeof(val));
        d->have = have;

    } else {
        for (i = 0; i < QL_USAGE_R_COUNT; i++) {
            if (have & (1u << i)) {
                d->v[i] = val[i];
            }
        }

        d->have |= have;
    }

    d->saw_usage = 1;
}


static void
ql_usage_apply_error(ql_usage_parser_t *p, const unsigned char *v,
    size_t len)
{
    size_t       i;
    json_t      *e, *t;
    const char  *type;

    static const char  *fields[] = { "type", "status", "code" };

    if (v == NULL) {
        /* too long to read, but it was there */
        ql_usage_set_error(ql_usage_delta(p), "error", 5);
        return;
    }

    if (len == 4 && memcmp(v, "null", 4) == 0) {
        return;
    }

    e = json_loadb((const char *) v, len, JSON_DECODE_ANY, NULL);

    if (e == NULL) {
        p->invalid++;
        ql_usage_set_error(ql_usage_delta(p), "error", 5);
        return;
    }

    type = NULL;
    t = NULL;

    if (json_is_object(e)) {
        for (i = 0; i < 3 && type == NULL; i++) {
            t = json_object_get(e, fields[i]);

            if (json_is_string(t)) {
                type = json_string_value(t);
            }
        }

    } else if (json_is_string(e)) {
        t = e;
        type = json_string_value(e);
    }

    /* an empty type or one with a NUL in it says nothing */
    if (type == NULL || *type == '\0'
        || strlen(type) != json_string_length(t))
    {
        type = "error";
    }

    ql_usage_set_error(ql_usage_delta(p), type, strlen(type));

    json_decref(e);
}


static void
ql_usage_apply(ql_usage_parser_t *p, unsigned what, const unsigned char *v,
    size_t len)
{
    char               buf[QL_USAGE_MODEL_MAX + 1];
    size_t             n;
    ql_usage_state_t  *d;

    switch (what) {

    case QL_W_USAGE:
        ql_usage_apply_usage(p, v, len);
        break;

    case QL_W_ERROR:
        ql_usage_apply_error(p, v, len);
        break;

    case QL_W_MODEL:
        if (ql_usage_string(p, v, len, buf, sizeof(buf), &n) == 1 && n > 0) {
            d = ql_usage_delta(p);
            memcpy(d->model, buf, n + 1);
            d->model_len = n;
        }
        break;

    case QL_W_FINISH:
        if (ql_usage_string(p, v, len, buf, sizeof(buf), &n) == 1) {
            ql_usage_delta(p)->complete = 1;
        }
        break;

    case QL_W_TYPE:
        if (ql_usage_string(p, v, len, buf, sizeof(p->ev.type), &n) == 1) {
            memcpy(p->ev.type, buf, n);
            p->ev.type_len = (uint8_t) n;
            p->ev.type_set = 1;
        }
        break;

    case QL_W_CODE:
        if (ql_usage_string(p, v, len, buf, sizeof(p->ev.code), &n) == 1) {
            memcpy(p->ev.code, buf, n);
            p->ev.code_len = (uint8_t) n;
        }
        break;
    }

    if (p->framing == QL_USAGE_JSON) {
        ql_usage_merge(p);
    }
}


/* ------------------------------------------------------------------ */
/* the structural JSON scanner                                          */


static void
ql_usage_cap_put(ql_usage_parser_t *p, const unsigned char *d, size_t n)
{
    ql_usage_scan_t  *s;

    s = &p->scan;

    if (s->cap_over) {
        return;
    }

    if (n > QL_USAGE_CAPTURE_MAX - s->cap_len) {
        s->cap_over = 1;
        return;
    }

    memcpy(p->cap + s->cap_len, d, n);
    s->cap_len += n;
}


static void
ql_usage_cap_end(ql_usage_parser_t *p)
{
    unsigned          what;
    ql_usage_scan_t  *s;

    s = &p->scan;
    what = s->cap_what;
    s->cap_what = QL_W_NONE;

    if (s->cap_over) {
        p->overflow++;

        if (what == QL_W_ERROR) {
            ql_usage_apply(p, what, NULL, 0);
        }

        return;
    }

    ql_usage_apply(p, what, p->cap, s->cap_len);
}


static unsigned
ql_usage_key_id(const unsigned char *k, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(ql_usage_keys) / sizeof(ql_usage_keys[0]); i++) {
        if (ql_usage_keys[i].len == len
            && memcmp(ql_usage_keys[i].name, k, len) == 0)
        {
            return ql_usage_keys[i].id;
        }
    }

    return QL_K_NONE;
}


/* The value starting now: is it one we capture? */
static unsigned
ql_usage_path_match(ql_usage_parser_t *p)
{
    size_t            i, j, root, n;
    unsigned          id;
    ql_usage_scan_t  *s;

    s = &p->scan;

    if (s->depth == 0 || s->depth > QL_USAGE_DEPTH
        || s->cont[s->depth - 1] != QL_J_OBJECT
        || s->key[s->depth - 1] == QL_K_NONE)
    {
        return QL_W_NONE;
    }

    /* the elements of a top level array are documents of their own */
    root = (s->cont[0] == QL_J_ARRAY) ? 1 : 0;

    if (s->depth <= root) {
        return QL_W_NONE;
    }

    n = s->depth - root;

    for (i = 0; i < sizeof(ql_usage_paths) / sizeof(ql_usage_paths[0]); i++)
    {
        if (!(ql_usage_paths[i].formats & (1 << p->format))
            || ql_usage_paths[i].len != n)
        {
            continue;
        }

        for (j = 0; j < n; j++) {
            id = (s->cont[root + j] == QL_J_ARRAY)
                 ? QL_K_ARRAY : s->key[root + j];

            if (id != ql_usage_paths[i].k[j]) {
                break;
            }
        }

        if (j == n) {
            return ql_usage_paths[i].what;
        }
    }

    return QL_W_NONE;
}


static void
ql_usage_value_start(ql_usage_parser_t *p, unsigned kind)
{
    unsigned          what;
    ql_usage_scan_t  *s;

    s = &p->scan;

    if (s->depth == 0) {
        s->tops++;

    } else if (s->expect == QL_J_KEY || s->expect == QL_J_COLON) {
        s->broken = 1;
    }

    if (s->cap_what == QL_W_NONE && s->expect == QL_J_VALUE) {
        what = ql_usage_path_match(p);

        if (what != QL_W_NONE) {
            s->cap_what = (uint8_t) what;
            s->cap_kind = (uint8_t) kind;
            s->cap_depth = s->depth;
            s->cap_len = 0;
            s->cap_over = 0;
        }
    }

    s->expect = QL_J_AFTER;
}


static void
ql_usage_push(ql_usage_scan_t *s, unsigned cont)
{
    if (s->depth < QL_USAGE_DEPTH) {
        s->cont[s->depth] = (uint8_t) cont;
        s->key[s->depth] = QL_K_NONE;
    }

    if (s->depth < UINT32_MAX) {
        s->depth++;
    }

    /* past the tracked levels keys cannot be told from values */
    s->expect = (cont == QL_J_OBJECT && s->depth <= QL_USAGE_DEPTH)
                ? QL_J_KEY : QL_J_VALUE;
}


static void
ql_usage_pop(ql_usage_parser_t *p, unsigned cont)
{
    ql_usage_scan_t  *s;

    s = &p->scan;

    if (s->depth == 0) {
        s->broken = 1;
        return;
    }

    s->depth--;

    if (s->depth < QL_USAGE_DEPTH && s->cont[s->depth] != cont) {
        s->broken = 1;
    }

    s->expect = QL_J_AFTER;

    if (s->cap_what != QL_W_NONE && s->cap_kind == QL_CAP_CONTAINER
        && s->depth == s->cap_depth)
    {
        ql_usage_cap_end(p);
    }

    if (s->depth == 0) {
        s->roots++;

        if (p->framing == QL_USAGE_JSON) {
            p->st.complete = 1;
        }
    }
}


static void
ql_usage_scan(ql_usage_parser_t *p, const unsigned char *d, size_t len)
{
    unsigned char         c;
    ql_usage_scan_t      *s;
    const unsigned char  *end, *q;

    s = &p->scan;
    end = d + len;

    while (d < end) {

        if (s->str == QL_J_STR_VALUE) {
            /* the bulk of any body: skim to the closing quote */
            for (q = d; q < end; q++) {
                if (s->esc) {
                    s->esc = 0;

                } else if (*q == '\\') {
                    s->esc = 1;

                } else if (*q == '"') {
                    break;
                }
            }

            if (q < end) {
                q++;

                if (s->cap_what != QL_W_NONE) {
                    ql_usage_cap_put(p, d, (size_t) (q - d));
                }

                s->str = 0;

                if (s->cap_what != QL_W_NONE && s->cap_kind == QL_CAP_STRING)
                {
                    ql_usage_cap_end(p);
                }

            } else if (s->cap_what != QL_W_NONE) {
                ql_usage_cap_put(p, d, (size_t) (q - d));
            }

            d = q;
            continue;
        }

        c = *d++;

        if (s->cap_what != QL_W_NONE
            && !(s->lit && s->cap_kind == QL_CAP_LITERAL
                 && (c <= ' ' || c == ',' || c == ':' || c == '"'
                     || c == '{' || c == '}' || c == '[' || c == ']')))
        {
            ql_usage_cap_put(p, &c, 1);
        }

        if (s->str == QL_J_STR_KEY) {
            if (s->esc) {
                /* an escaped key is not one of ours */
                s->esc = 0;
                s->klen = QL_KEY_NOMATCH;

            } else if (c == '\\') {
                s->esc = 1;

            } else if (c == '"') {
                s->str = 0;
                s->expect = QL_J_COLON;
                s->key[s->depth - 1] = (uint8_t)
                    (s->klen <= QL_USAGE_KEY_MAX
                     ? ql_usage_key_id(s->kbuf, s->klen) : QL_K_NONE);

            } else if (s->klen < QL_USAGE_KEY_MAX) {
                s->kbuf[s->klen++] = c;

            } else {
                s->klen = QL_KEY_NOMATCH;
            }

            continue;
        }

        if (s->lit) {
            if (!(c <= ' ' || c == ',' || c == ':' || c == '"' || c == '{'
                  || c == '}' || c == '[' || c == ']'))
            {
                continue;
            }

            s->lit = 0;

            if (s->cap_what != QL_W_NONE && s->cap_kind == QL_CAP_LITERAL) {
                ql_usage_cap_end(p);
            }
        }

        switch (c) {

        case ' ':
        case '\t':
        case '\r':
        case '\n':
            break;

        case '{':
        case '[':
            ql_usage_value_start(p, QL_CAP_CONTAINER);

            /* the first byte of a capture that starts here */
            if (s->cap_what != QL_W_NONE && s->cap_len == 0) {
                ql_usage_cap_put(p, &c, 1);
            }

            ql_usage_push(s, c == '{' ? QL_J_OBJECT : QL_J_ARRAY);
            break;

        case '}':
        case ']':
            ql_usage_pop(p, c == '}' ? QL_J_OBJECT : QL_J_ARRAY);
            break;

        case '"':
            if (s->expect == QL_J_KEY && s->depth > 0
                && s->depth <= QL_USAGE_DEPTH
                && s->cont[s->depth - 1] == QL_J_OBJECT)
            {
                s->str = QL_J_STR_KEY;
                s->klen = 0;
                break;
            }

            ql_usage_value_start(p, QL_CAP_STRING);

            if (s->cap_what != QL_W_NONE && s->cap_len == 0) {
                ql_usage_cap_put(p, &c, 1);
            }

            s->str = QL_J_STR_VALUE;
            break;

        case ':':
            if (s->expect != QL_J_COLON && s->depth <= QL_USAGE_DEPTH) {
                s->broken = 1;
            }

            s->expect = QL_J_VALUE;
            break;

        case ',':
            if (s->expect != QL_J_AFTER) {
                s->broken = 1;
            }

            if (s->depth > 0 && s->depth <= QL_USAGE_DEPTH
                && s->cont[s->depth - 1] == QL_J_OBJECT)
            {
                s->expect = QL_J_KEY;
                s->key[s->depth - 1] = QL_K_NONE;

            } else {
                s->expect = QL_J_VALUE;
            }
            break;

        default:
            ql_usage_value_start(p, QL_CAP_LITERAL);

            if (s->cap_what != QL_W_NONE && s->cap_len == 0) {
                ql_usage_cap_put(p, &c, 1);
            }

            s->lit = 1;
            break;
        }
    }
}


/* ------------------------------------------------------------------ */
/* SSE events                                                          */


static void
ql_usage_sse_data(void *ctx, const unsigned char *d, size_t len)
{
    size_t              n;
    ql_usage_parser_t  *p;

    p = ctx;

    if (p->ev.head_len < sizeof(p->ev.head)) {
        n = sizeof(p->ev.head) - p->ev.head_len;
        n = n < len ? n : len;
        memcpy(p->ev.head + p->ev.head_len, d, n);
        p->ev.head_len += (uint8_t) n;
    }

    p->ev.data_len += len;

    ql_usage_scan(p, d, len);
}


static int
ql_usage_is(const unsigned char *p, size_t len, const char *s)
{
    return len == strlen(s) && memcmp(p, s, len) == 0;
}


static void
ql_usage_sse_dispatch(void *ctx, const unsigned char *name, size_t len)
{
    ql_usage_scan_t     *s;
    ql_usage_state_t    *d;
    ql_usage_parser_t   *p;
    const unsigned char *type;

    p = ctx;
    s = &p->scan;

    if (p->events < UINT32_MAX) {
        p->events++;
    }

    if (p->ev.data_len == 6 && memcmp(p->ev.head, "[DONE]", 6) == 0) {
        if (p->format == QL_USAGE_OPENAI_CHAT) {
            ql_usage_delta(p)->complete = 1;
            ql_usage_merge(p);
        }

        goto next;
    }

    if (s->tops != 1 || s->roots != 1 || s->depth != 0 || s->broken
        || s->str || s->lit)
    {
        /* not one whole JSON value: nothing in it counts */
        p->invalid++;
        goto next;
    }

    /* the data's "type" names the event; "event:" when there is none */
    type = name;

    if (p->ev.type_set) {
        type = p->ev.type;
        len = p->ev.type_len;
    }

    if (type != NULL) {
        switch (p->format) {

        case QL_USAGE_ANTHROPIC:
            if (ql_usage_is(type, len, "message_stop")) {
                ql_usage_delta(p)->complete = 1;

            } else if (ql_usage_is(type, len, "error")) {
                ql_usage_set_error(ql_usage_delta(p), "error", 5);
            }
            break;

        case QL_USAGE_OPENAI_RESPONSES:
            if (ql_usage_is(type, len, "response.completed")
                || ql_usage_is(type, len, "response.incomplete"))
            {
                ql_usage_delta(p)->complete = 1;

            } else if (ql_usage_is(type, len, "response.failed")) {
                d = ql_usage_delta(p);
                d->complete = 1;
                ql_usage_set_error(d, "failed", 6);

            } else if (ql_usage_is(type, len, "error")) {
                if (p->ev.code_len > 0) {
                    ql_usage_set_error(ql_usage_delta(p),
                                       (const char *) p->ev.code,
                                       p->ev.code_len);

                } else {
                    ql_usage_set_error(ql_usage_delta(p), "error", 5);
                }
            }
            break;

        default:
            break;
        }
    }

    ql_usage_merge(p);

next:

    memset(&p->ev, 0, sizeof(ql_usage_event_t));
    memset(&p->scan, 0, sizeof(ql_usage_scan_t));
}


/* ------------------------------------------------------------------ */


void
ql_usage_result(const ql_usage_parser_t *p, ql_usage_t *u)
{
    uint64_t                 prompt, cc, h, five;
    const uint64_t          *v;
    const ql_usage_state_t  *st;

    st = &p->st;
    v = st->v;

#define QL_HAVE(r)  (st->have & (1u << (r)))
#define QL_GET(r)   (QL_HAVE(r) ? v[r] : 0)

    memset(u, 0, sizeof(ql_usage_t));

    switch (p->format) {

    case QL_USAGE_ANTHROPIC:
        u->input_tokens = QL_GET(QL_USAGE_R_INPUT);
        u->cache_read_tokens = QL_GET(QL_USAGE_R_CACHE_READ);
        u->output_tokens = QL_GET(QL_USAGE_R_OUTPUT);

        five = QL_GET(QL_USAGE_R_CC_5M);

        cc = QL_HAVE(QL_USAGE_R_CC)
             ? v[QL_USAGE_R_CC] : five + QL_GET(QL_USAGE_R_CC_1H);

        if (QL_HAVE(QL_USAGE_R_CC_1H)) {
            h = v[QL_USAGE_R_CC_1H] < cc ? v[QL_USAGE_R_CC_1H] : cc;

        } else if (QL_HAVE(QL_USAGE_R_CC_5M)) {
            h = cc - (five < cc ? five : cc);

        } else {
            h = 0;
        }

        u->cache_creation_tokens = cc;
        u->cache_creation_1h_tokens = h;
        u->cache_creation_5m_tokens = cc - h;
        break;

    case QL_USAGE_GEMINI:
        prompt = QL_GET(QL_USAGE_R_PROMPT) + QL_GET(QL_USAGE_R_TOOL_PROMPT);
        u->cache_read_tokens = QL_GET(QL_USAGE_R_CACHED);
        u->input_tokens = prompt - (u->cache_read_tokens < prompt
                                    ? u->cache_read_tokens : prompt);
        u->reasoning_tokens = QL_GET(QL_USAGE_R_REASONING);
        u->output_tokens = QL_GET(QL_USAGE_R_OUTPUT) + u->reasoning_tokens;
        break;

    default:
        prompt = QL_GET(QL_USAGE_R_PROMPT);
        u->cache_read_tokens = QL_GET(QL_USAGE_R_CACHED);
        u->input_tokens = prompt - (u->cache_read_tokens < prompt
                                    ? u->cache_read_tokens : prompt);
        u->reasoning_tokens = QL_GET(QL_USAGE_R_REASONING);
        u->output_tokens = QL_GET(QL_USAGE_R_OUTPUT);
        break;
    }

#undef QL_HAVE
#undef QL_GET

    u->total_tokens = u->input_tokens + u->cache_creation_tokens
                      + u->cache_read_tokens + u->output_tokens;

    memcpy(u->model, st->model, st->model_len);
    u->model[st->model_len] = '\0';
    u->model_len = st->model_len;
    memcpy(u->error_type, st->error_type, st->error_type_len);
    u->error_type[st->error_type_len] = '\0';
    u->error_type_len = st->error_type_len;

    u->saw_usage = st->saw_usage;
    u->complete = st->complete;
    u->error = st->error;
    u->sse = (p->framing == QL_USAGE_SSE);
    u->events = p->events;
    u->overflow = p->overflow + p->sse.names_too_long;
    u->invalid = p->invalid;
}
