/*
 * The usage windows a subscription account's vendor reports on every
 * answer: Anthropic's unified rate limit headers,
 *
 *     anthropic-ratelimit-unified-status: allowed_warning
 *     anthropic-ratelimit-unified-5h-status: allowed
 *     anthropic-ratelimit-unified-5h-reset: 1764806400
 *     anthropic-ratelimit-unified-5h-utilization: 0.42
 *     anthropic-ratelimit-unified-7d-status: rejected ...
 *
 * read into windows ("unified" for the ones without a window name), and
 * written for the account record as "name status reset utilization"
 * items joined by ';' ('-' where a value was not given).  Values that
 * are not plain tokens are ignored; the count is bounded.
 */

#ifndef QL_RATE_WINDOW_H
#define QL_RATE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#define QL_RATE_WINDOWS_MAX       6
#define QL_RATE_WINDOW_NAME_MAX   16
#define QL_RATE_WINDOW_VALUE_MAX  24

/* the longest formatted set, with room to spare */
#define QL_RATE_WINDOWS_TEXT_MAX                                             \
    (QL_RATE_WINDOWS_MAX * (QL_RATE_WINDOW_NAME_MAX                          \
                            + 3 * QL_RATE_WINDOW_VALUE_MAX + 4))

typedef struct {
    char      name[QL_RATE_WINDOW_NAME_MAX + 1];
    char      status[QL_RATE_WINDOW_VALUE_MAX + 1];
    char      utilization[QL_RATE_WINDOW_VALUE_MAX + 1];
    uint64_t  reset;                /* unix seconds, 0: not given */
} ql_rate_window_t;

typedef struct {
    ql_rate_window_t  w[QL_RATE_WINDOWS_MAX];
    size_t            n;
} ql_rate_windows_t;

/* 1 if the header was one of the windows' (and taken), 0 if not */
int ql_rate_windows_header(ql_rate_windows_t *ws, const unsigned char *name,
    size_t name_len, const unsigned char *value, size_t value_len);

/* the set as the account record keeps it; its length (0: empty set) */
size_t ql_rate_windows_format(const ql_rate_windows_t *ws, char *buf,
    size_t size);

/*
 * Until when (unix seconds) a window the vendor says is exhausted
 * ("rejected") keeps the account out: the latest reset of those; 0 when
 * none is.
 */
uint64_t ql_rate_windows_blocked_until(const ql_rate_windows_t *ws);

#endif /* QL_RATE_WINDOW_H */
