/*
 * Usage windows from the vendor's rate limit headers (see
 * ql_rate_window.h).
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ql_rate_window.h"

#define QL_RATE_WINDOW_PREFIX      "anthropic-ratelimit-unified-"
#define QL_RATE_WINDOW_PREFIX_LEN  (sizeof(QL_RATE_WINDOW_PREFIX) - 1)


/* a-z 0-9 _ . only: nothing that could break the record's format */
static int
ql_rate_window_token(const unsigned char *p, size_t len, size_t max)
{
    size_t  i;

    if (len == 0 || len > max) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')
              || p[i] == '_' || p[i] == '.'))
        {
            return 0;
        }
    }

    return 1;
}


static ql_rate_window_t *
ql_rate_window_get(ql_rate_windows_t *ws, const unsigned char *name,
    size_t len)
{
    size_t             i;
    ql_rate_window_t  *w;

    for (i = 0; i < ws->n; i++) {
        if (strlen(ws->w[i].name) == len
            && memcmp(ws->w[i].name, name, len) == 0)
        {
            return &ws->w[i];
        }
    }

    if (ws->n == QL_RATE_WINDOWS_MAX) {
        return NULL;
    }

    w = &ws->w[ws->n++];
    memset(w, 0, sizeof(ql_rate_window_t));
    memcpy(w->name, name, len);

    return w;
}


int
ql_rate_windows_header(ql_rate_windows_t *ws, const unsigned char *name,
    size_t name_len, const unsigned char *value, size_t value_len)
{
    size_t                i, rest_len, win_len, attr_len;
    uint64_t              reset;
    const unsigned char  *rest, *attr, *window;
    ql_rate_window_t     *w;
    unsigned char         lower[QL_RATE_WINDOW_NAME_MAX + 16];

    if (name_len <= QL_RATE_WINDOW_PREFIX_LEN
        || strncasecmp((const char *) name, QL_RATE_WINDOW_PREFIX,
                       QL_RATE_WINDOW_PREFIX_LEN) != 0)
    {
        return 0;
    }

    rest_len = name_len - QL_RATE_WINDOW_PREFIX_LEN;
    if (rest_len > sizeof(lower)) {
        return 0;
    }

    /* header names come in any case */
    rest = name + QL_RATE_WINDOW_PREFIX_LEN;
    for (i = 0; i < rest_len; i++) {
        lower[i] = (rest[i] >= 'A' && rest[i] <= 'Z') ? rest[i] + 32
                                                       : rest[i];
    }

    /* "<attr>" or "<window>-<attr>" */
    attr = memchr(lower, '-', rest_len);

    if (attr == NULL) {
        window = (const unsigned char *) "unified";
        win_len = 7;
        attr = lower;
        attr_len = rest_len;

    } else {
        window = lower;
        win_len = (size_t) (attr - lower);
        attr++;
        attr_len = rest_len - win_len - 1;
    }

    if (!ql_rate_window_token(window, win_len, QL_RATE_WINDOW_NAME_MAX)
        || !ql_rate_window_token(value, value_len, QL_RATE_WINDOW_VALUE_MAX))
    {
        return 0;
    }

    if (attr_len == 5 && memcmp(attr, "reset", 5) == 0) {
        reset = 0;

        for (i = 0; i < value_len; i++) {
            if (value[i] < '0' || value[i] > '9' || i >= 12) {
                return 0;
            }

            reset = reset * 10 + (value[i] - '0');
        }

        w = ql_rate_window_get(ws, window, win_len);
        if (w != NULL) {
            w->reset = reset;
        }

        return 1;
    }

    if (attr_len == 6 && memcmp(attr, "status", 6) == 0) {
        w = ql_rate_window_get(ws, window, win_len);
        if (w != NULL) {
            memcpy(w->status, value, value_len);
            w->status[value_len] = '\0';
        }

        return 1;
    }

    if (attr_len == 11 && memcmp(attr, "utilization", 11) == 0) {
        w = ql_rate_window_get(ws, window, win_len);
        if (w != NULL) {
            memcpy(w->utilization, value, value_len);
            w->utilization[value_len] = '\0';
        }

        return 1;
    }

    return 0;
}


size_t
ql_rate_windows_format(const ql_rate_windows_t *ws, char *buf, size_t size)
{
    int                      n;
    size_t                   i, len;
    char                     reset[24];
    const ql_rate_window_t  *w;

    len = 0;

    if (size > 0) {
        buf[0] = '\0';
    }

    for (i = 0; i < ws->n; i++) {
        w = &ws->w[i];

        if (w->reset) {
            snprintf(reset, sizeof(reset), "%llu",
                     (unsigned long long) w->reset);
        } else {
            reset[0] = '-';
            reset[1] = '\0';
        }

        n = snprintf(buf + len, size - len, "%s%s %s %s %s",
                     len ? ";" : "", w->name,
                     w->status[0] ? w->status : "-", reset,
                     w->utilization[0] ? w->utilization : "-");

        if (n < 0 || (size_t) n >= size - len) {
            buf[len] = '\0';
            return len;
        }

        len += (size_t) n;
    }

    return len;
}


uint64_t
ql_rate_windows_blocked_until(const ql_rate_windows_t *ws)
{
    size_t    i;
    uint64_t  until;

    until = 0;

    for (i = 0; i < ws->n; i++) {
        if (strcmp(ws->w[i].status, "rejected") == 0
            && ws->w[i].reset > until)
        {
            until = ws->w[i].reset;
        }
    }

    return until;
}
