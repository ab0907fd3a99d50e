/*
 * A JSON validator that builds nothing: one pass over the bytes, no
 * allocation, so the gateway can refuse a body that is not a JSON object
 * without decoding a whole Claude Code request (100 KB and more: jansson
 * takes milliseconds, this tens of microseconds); the few members it
 * reads are then found by position (ql_json_member.h) and decoded alone.
 *
 * It accepts what jansson's json_loadb(p, len, 0) accepts for an object
 * (RFC 8259: UTF-8 without overlong forms or surrogates, escapes, \u
 * surrogate pairs, no \u0000, nothing after the value but blanks), except
 * that numbers of any size pass (jansson refuses an integer over 64 bits)
 * and nesting is bounded by QL_JSON_VALID_DEPTH.  The top-level members
 * the caller names are located in the same pass, and may appear only
 * once: a client must not make the gateway read one "model" and the
 * vendor another.  nginx-free.
 */

#ifndef QL_JSON_VALID_H
#define QL_JSON_VALID_H

#include <stddef.h>

#include "ql_json_member.h"


#define QL_JSON_VALID_DEPTH  512


typedef enum {
    QL_JSON_OK = 0,
    QL_JSON_NOT_OBJECT,         /* valid, but not an object */
    QL_JSON_INVALID,
    QL_JSON_TOO_DEEP,
    QL_JSON_DUPLICATE           /* a unique name repeated: *dup names it */
} ql_json_valid_e;


/*
 * names: NULL-terminated top-level names (at most 64), or NULL; spans[i]
 * gets where the value of names[i] is (end 0: absent), found in the same
 * pass.  Each of them may appear only once, written without escapes.
 */
ql_json_valid_e ql_json_valid_object(const unsigned char *p, size_t len,
    const char *const *names, ql_json_span_t *spans, const char **dup);

#endif /* QL_JSON_VALID_H */
