/*
 * A JSON validator that builds nothing (see ql_json_valid.h).
 */

#include <string.h>

#include "ql_json_valid.h"
#include "ql_utf8.h"


#define QL_JSON_KEY_MAX  64     /* longer keys are no unique name */

/* whether the innermost of depth open containers is an object */
#define ql_json_in_object(bits, depth)                                       \
    ((bits)[((depth) - 1) / 8] & (1 << ((depth) - 1) % 8))


/* bytes a string's fast path takes as they are: ASCII but " \\ and controls */
static const unsigned char  ql_json_plain[256] = {
    [0x20 ... 0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7f] = 1
};


/* a captured top-level member's value ended, at offset at */
static void
ql_json_captured(ql_json_span_t *spans, int *capture, size_t depth,
    size_t at)
{
    if (*capture >= 0 && depth == 1) {
        spans[*capture].end = at;
        *capture = -1;
    }
}


static const unsigned char *
ql_json_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        p++;
    }

    return p;
}


static int
ql_json_hex4(const unsigned char *p, const unsigned char *end, unsigned *v)
{
    int       i;
    unsigned  c;

    if (end - p < 4) {
        return -1;
    }

    *v = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            c -= '0';
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            c = (c | 0x20) - 'a' + 10;
        } else {
            return -1;
        }

        *v = *v << 4 | c;
    }

    return 0;
}


/*
 * p after the opening quote; returns the byte after the closing one, or
 * NULL.  key (if not NULL) gets the decoded text up to QL_JSON_KEY_MAX
 * bytes; *key_len is past that when it was longer.
 */
static const unsigned char *
ql_json_string(const unsigned char *p, const unsigned char *end,
    unsigned char *key, size_t *key_len, int *escaped)
{
    size_t    n, k;
    unsigned  u, lo;

    k = 0;

    for ( ;; ) {
        if (key == NULL) {
            while (end - p >= 4 && ql_json_plain[p[0]] && ql_json_plain[p[1]]
                   && ql_json_plain[p[2]] && ql_json_plain[p[3]])
            {
                p += 4;
            }

            while (p < end && ql_json_plain[*p]) {
                p++;
            }

        } else {
            while (p < end && ql_json_plain[*p]) {
                if (k < QL_JSON_KEY_MAX) {
                    key[k] = *p;
                }

                k++;
                p++;
            }
        }

        if (p >= end) {
            return NULL;
        }

        if (*p == '"') {
            if (key_len) {
                *key_len = k;
            }

            return p + 1;
        }

        if (*p >= 0x80) {
            n = ql_utf8_char(p, end - p);
            if (n == 0) {
                return NULL;
            }

            if (key && k + n <= QL_JSON_KEY_MAX) {
                memcpy(key + k, p, n);
            }

            k += n;
            p += n;
            continue;
        }

        if (*p != '\\' || end - p < 2) {
            return NULL;            /* a control character, or cut */
        }

        if (escaped) {
            *escaped = 1;
        }

        p++;

        switch (*p) {
        case '"': case '\\': case '/':
            u = *p;
            break;
        case 'b':
            u = '\b';
            break;
        case 'f':
            u = '\f';
            break;
        case 'n':
            u = '\n';
            break;
        case 'r':
            u = '\r';
            break;
        case 't':
            u = '\t';
            break;

        case 'u':
            if (ql_json_hex4(p + 1, end, &u) != 0 || u == 0) {
                return NULL;
            }

            p += 4;

            if (u >= 0xdc00 && u <= 0xdfff) {
                return NULL;
            }

            if (u >= 0xd800 && u <= 0xdbff) {
                if (end - p < 7 || p[1] != '\\' || p[2] != 'u'
                    || ql_json_hex4(p + 3, end, &lo) != 0
                    || lo < 0xdc00 || lo > 0xdfff)
                {
                    return NULL;
                }

                p += 6;
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }

            break;

        default:
            return NULL;
        }

        p++;

        /* keys are compared as ASCII: anything else matches no name */
        if (key && k < QL_JSON_KEY_MAX) {
            key[k] = u < 0x80 ? (unsigned char) u : 0xff;
        }

        k++;
    }
}


static const unsigned char *
ql_json_number(const unsigned char *p, const unsigned char *end)
{
    const unsigned char  *d;

    if (p < end && *p == '-') {
        p++;
    }

    if (p < end && *p == '0') {
        p++;

    } else {
        for (d = p; p < end && *p >= '0' && *p <= '9'; p++) { /* void */ }

        if (p == d) {
            return NULL;
        }
    }

    if (p < end && *p == '.') {
        for (d = ++p; p < end && *p >= '0' && *p <= '9'; p++) { /* void */ }

        if (p == d) {
            return NULL;
        }
    }

    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }

        for (d = p; p < end && *p >= '0' && *p <= '9'; p++) { /* void */ }

        if (p == d) {
            return NULL;
        }
    }

    return p;
}


static const unsigned char *
ql_json_literal(const unsigned char *p, const unsigned char *end)
{
    static const char *const  words[] = { "true", "false", "null" };

    size_t  i, n;

    for (i = 0; i < 3; i++) {
        n = strlen(words[i]);

        if ((size_t) (end - p) >= n && memcmp(p, words[i], n) == 0) {
            return p + n;
        }
    }

    return NULL;
}


/*
 * A top-level key: the index of the name it is, -1 for none, -2 for one
 * seen before or written with escapes (the gateway would not find it by
 * name).
 */
static int
ql_json_name(const char *const *names, const unsigned char *key, size_t len,
    int escaped, unsigned long *seen, const char **dup)
{
    size_t  i;

    for (i = 0; names[i] && i < 8 * sizeof(*seen); i++) {
        if (strlen(names[i]) != len || memcmp(names[i], key, len) != 0) {
            continue;
        }

        if (escaped || (*seen & (1UL << i))) {
            *dup = names[i];
            return -2;
        }

        *seen |= 1UL << i;
        return (int) i;
    }

    return -1;
}


ql_json_valid_e
ql_json_valid_object(const unsigned char *p, size_t len,
    const char *const *names, ql_json_span_t *spans, const char **dup)
{
    int                   escaped, capture;
    size_t                depth, key_len;
    unsigned long         seen;
    const unsigned char  *end, *base;
    unsigned char         key[QL_JSON_KEY_MAX];
    unsigned char         object[QL_JSON_VALID_DEPTH / 8 + 1];

    enum { VALUE, KEY, AFTER }  state;

    base = p;
    end = p + len;
    p = ql_json_ws(p, end);

    for (capture = 0; names && names[capture]; capture++) {
        spans[capture].start = 0;
        spans[capture].end = 0;
    }

    capture = -1;

    if (p == end || *p != '{') {
        return QL_JSON_NOT_OBJECT;
    }

    depth = 0;
    seen = 0;
    state = VALUE;

    for ( ;; ) {
        p = ql_json_ws(p, end);

        switch (state) {

        case VALUE:
            if (p == end) {
                return QL_JSON_INVALID;
            }

            if (capture >= 0 && depth == 1) {
                spans[capture].start = p - base;
            }

            if (*p == '{' || *p == '[') {
                if (depth == QL_JSON_VALID_DEPTH) {
                    return QL_JSON_TOO_DEEP;
                }

                if (*p == '{') {
                    object[depth / 8] |= (unsigned char) (1 << depth % 8);
                } else {
                    object[depth / 8] &= (unsigned char) ~(1 << depth % 8);
                }

                depth++;
                p = ql_json_ws(p + 1, end);

                /* empty: {} or [] */
                if (p < end
                    && *p == (ql_json_in_object(object, depth) ? '}' : ']'))
                {
                    depth--;
                    p++;
                    state = AFTER;
                    ql_json_captured(spans, &capture, depth, p - base);
                    break;
                }

                state = ql_json_in_object(object, depth) ? KEY : VALUE;
                break;
            }

            if (*p == '"') {
                p = ql_json_string(p + 1, end, NULL, NULL, NULL);

            } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
                p = ql_json_number(p, end);

            } else {
                p = ql_json_literal(p, end);
            }

            if (p == NULL) {
                return QL_JSON_INVALID;
            }

            state = AFTER;
            ql_json_captured(spans, &capture, depth, p - base);
            break;

        case KEY:
            if (p == end || *p != '"') {
                return QL_JSON_INVALID;
            }

            escaped = 0;
            p = ql_json_string(p + 1, end, depth == 1 && names ? key : NULL,
                               &key_len, &escaped);
            if (p == NULL) {
                return QL_JSON_INVALID;
            }

            if (depth == 1 && names) {
                capture = ql_json_name(names, key, key_len, escaped, &seen,
                                       dup);
                if (capture == -2) {
                    return QL_JSON_DUPLICATE;
                }
            }

            p = ql_json_ws(p, end);
            if (p == end || *p != ':') {
                return QL_JSON_INVALID;
            }

            p++;
            state = VALUE;
            break;

        case AFTER:
            if (depth == 0) {
                return p == end ? QL_JSON_OK : QL_JSON_INVALID;
            }

            if (p == end) {
                return QL_JSON_INVALID;
            }

            if (*p == ',') {
                p++;
                state = ql_json_in_object(object, depth) ? KEY : VALUE;
                break;
            }

            if (*p != (ql_json_in_object(object, depth) ? '}' : ']')) {
                return QL_JSON_INVALID;
            }

            depth--;
            p++;
            ql_json_captured(spans, &capture, depth, p - base);
            break;
        }
    }
}
