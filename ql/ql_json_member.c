/*
 * Top-level members of a JSON object by position (see ql_json_member.h).
 */

#include <string.h>

#include "ql_json_member.h"


static size_t
ql_json_ws(const unsigned char *p, size_t len, size_t i)
{
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n'
                       || p[i] == '\r'))
    {
        i++;
    }

    return i;
}


/* i at the opening quote; returns the offset after the closing one */
static size_t
ql_json_string(const unsigned char *p, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (p[i] == '\\') {
            i++;

        } else if (p[i] == '"') {
            return i + 1;
        }
    }

    return len + 1;
}


/* any value; returns the offset after it, or len + 1 if it is cut */
static size_t
ql_json_value(const unsigned char *p, size_t len, size_t i)
{
    size_t  depth;

    if (i >= len) {
        return len + 1;
    }

    if (p[i] == '"') {
        return ql_json_string(p, len, i);
    }

    if (p[i] != '{' && p[i] != '[') {
        while (i < len && strchr(",}] \t\r\n", p[i]) == NULL) {
            i++;
        }

        return i;
    }

    depth = 0;

    while (i < len) {
        if (p[i] == '"') {
            i = ql_json_string(p, len, i);
            continue;
        }

        if (p[i] == '{' || p[i] == '[') {
            depth++;

        } else if (p[i] == '}' || p[i] == ']') {
            if (--depth == 0) {
                return i + 1;
            }
        }

        i++;
    }

    return len + 1;
}


/*
 * Walks the members; stops at the one named (name may be NULL: none)
 * or at the closing brace.  Returns 1 found, 0 at the end, -1 broken.
 */
static int
ql_json_walk(const unsigned char *p, size_t len, const char *name,
    ql_json_span_t *value, size_t *close, int *empty, ql_json_span_t *cut)
{
    size_t  i, key, key_end, nlen, comma;

    nlen = name ? strlen(name) : 0;
    *empty = 1;
    comma = 0;

    i = ql_json_ws(p, len, 0);
    if (i >= len || p[i] != '{') {
        return -1;
    }

    i = ql_json_ws(p, len, i + 1);

    if (i < len && p[i] == '}') {
        *close = i;
        return 0;
    }

    for ( ;; ) {
        if (i >= len || p[i] != '"') {
            return -1;
        }

        cut->start = i;
        key = i + 1;
        i = ql_json_string(p, len, i);
        if (i > len) {
            return -1;
        }

        key_end = i - 1;

        i = ql_json_ws(p, len, i);
        if (i >= len || p[i] != ':') {
            return -1;
        }

        i = ql_json_ws(p, len, i + 1);
        value->start = i;
        i = ql_json_value(p, len, i);
        if (i > len || i == value->start) {
            return -1;
        }

        value->end = i;
        *empty = 0;

        i = ql_json_ws(p, len, i);

        if (name && key_end - key == nlen
            && memcmp(p + key, name, nlen) == 0)
        {
            /* with the comma after it, or else the one before it */
            if (i < len && p[i] == ',') {
                cut->end = ql_json_ws(p, len, i + 1);

            } else {
                cut->start = comma ? comma : cut->start;
                cut->end = value->end;
            }

            return 1;
        }

        if (i < len && p[i] == ',') {
            comma = i;
            i = ql_json_ws(p, len, i + 1);
            continue;
        }

        if (i < len && p[i] == '}') {
            *close = i;
            return 0;
        }

        return -1;
    }
}


int
ql_json_member(const unsigned char *p, size_t len, const char *name,
    ql_json_span_t *value)
{
    int             empty;
    size_t          close;
    ql_json_span_t  cut;

    return ql_json_walk(p, len, name, value, &close, &empty, &cut);
}


int
ql_json_member_cut(const unsigned char *p, size_t len, const char *name,
    ql_json_span_t *cut)
{
    int             empty;
    size_t          close;
    ql_json_span_t  value;

    return ql_json_walk(p, len, name, &value, &close, &empty, cut);
}


int
ql_json_array_first(const unsigned char *p, size_t len,
    ql_json_span_t *value)
{
    size_t  i;

    i = ql_json_ws(p, len, 0);
    if (i >= len || p[i] != '[') {
        return -1;
    }

    i = ql_json_ws(p, len, i + 1);
    if (i < len && p[i] == ']') {
        return 0;
    }

    value->start = i;
    value->end = ql_json_value(p, len, i);

    return (value->end > len || value->end == i) ? -1 : 1;
}


int
ql_json_object_end(const unsigned char *p, size_t len, size_t *close,
    int *empty)
{
    ql_json_span_t  value, cut;

    return ql_json_walk(p, len, NULL, &value, close, empty, &cut) == 0
           ? 0 : -1;
}


size_t
ql_json_quoted_len(const unsigned char *s, size_t len)
{
    size_t  i, n;

    n = 2;

    for (i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            n += 2;

        } else if (s[i] < 0x20) {
            n += 6;

        } else {
            n++;
        }
    }

    return n;
}


size_t
ql_json_quote(const unsigned char *s, size_t len, unsigned char *out)
{
    static const char  hex[] = "0123456789abcdef";

    size_t  i, n;

    n = 0;
    out[n++] = '"';

    for (i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            out[n++] = '\\';
            out[n++] = s[i];

        } else if (s[i] < 0x20) {
            memcpy(out + n, "\\u00", 4);
            out[n + 4] = (unsigned char) hex[s[i] >> 4];
            out[n + 5] = (unsigned char) hex[s[i] & 0x0f];
            n += 6;

        } else {
            out[n++] = s[i];
        }
    }

    out[n++] = '"';

    return n;
}
