/*
 * Platform table: one row per upstream platform the gateway can serve.
 * nginx-free; shared by the module and admind.
 */

#ifndef QL_PLATFORM_H
#define QL_PLATFORM_H

#include <stddef.h>

typedef enum {
    QL_PLATFORM_CLAUDE = 0,
    QL_PLATFORM_GEMINI,
    QL_PLATFORM_OPENAI,
    QL_PLATFORM_BEDROCK,
    QL_PLATFORM_COUNT
} ql_platform_id_t;

/* Which of the vendors' error JSON shapes our own rejections use. */
typedef enum {
    QL_ERROR_SHAPE_ANTHROPIC = 0,
    QL_ERROR_SHAPE_OPENAI,
    QL_ERROR_SHAPE_GEMINI
} ql_error_shape_t;

/* Our reasons for rejecting a request, mapped per platform. */
typedef enum {
    QL_ERR_INVALID_REQUEST = 0,
    QL_ERR_AUTHENTICATION,
    QL_ERR_BILLING,
    QL_ERR_PERMISSION,
    QL_ERR_NOT_FOUND,
    QL_ERR_REQUEST_TOO_LARGE,
    QL_ERR_URI_TOO_LONG,
    QL_ERR_RATE_LIMIT,
    QL_ERR_API,
    QL_ERR_NOT_IMPLEMENTED,
    QL_ERR_UNAVAILABLE,
    QL_ERR_OVERLOADED,
    QL_ERR_METHOD_NOT_ALLOWED,
    QL_ERR_COUNT
} ql_error_kind_t;

typedef struct {
    ql_platform_id_t    id;
    const char         *name;
    ql_error_shape_t    error_shape;
} ql_platform_t;

const ql_platform_t *ql_platform_by_name(const unsigned char *name,
    size_t len);
const ql_platform_t *ql_platform_get(ql_platform_id_t id);

/* Comma-separated list of platform names, for error messages. */
const char *ql_platform_names(void);

/* HTTP status that goes with an error kind. */
unsigned ql_error_status(ql_error_kind_t kind);

/*
 * The kind and a message for an error status nginx itself answers (bad
 * framing, header or body too large, a limit_conn refusal), so that
 * error_page can answer it in the platform's shape.  Statuses without an
 * own row get the generic kind of their class.
 */
ql_error_kind_t ql_error_kind_by_status(unsigned status,
    const char **message);

/*
 * Writes the platform's error JSON for kind and message into buf.
 * Returns the length written, or 0 if buf is too small.
 */
size_t ql_error_body(const ql_platform_t *platform, ql_error_kind_t kind,
    const char *message, unsigned char *buf, size_t size);

#endif /* QL_PLATFORM_H */
