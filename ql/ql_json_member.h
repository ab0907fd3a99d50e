/*
 * Where a top-level member of a JSON object sits in its text, so that a
 * request body can be changed by splicing (a model renamed, a member
 * added) without decoding and re-encoding the rest: numbers, key order
 * and spacing reach the vendor as the client wrote them.
 *
 * The input is a complete JSON object that jansson has already accepted
 * (the gateway decodes every body first); on anything else the functions
 * fail safe, returning "not found" or "not an object".  Nesting is
 * skipped by counting brackets outside strings, so depth costs nothing.
 * nginx-free.
 */

#ifndef QL_JSON_MEMBER_H
#define QL_JSON_MEMBER_H

#include <stddef.h>


typedef struct {
    size_t  start;      /* offset of the value's first byte */
    size_t  end;        /* one past its last byte */
} ql_json_span_t;


/*
 * The span of the value of top-level member name (unescaped key text
 * compared byte for byte; a key written with escapes does not match).
 * Returns 1 if found, 0 if not, -1 if p is not a JSON object.
 */
int ql_json_member(const unsigned char *p, size_t len, const char *name,
    ql_json_span_t *value);

/*
 * What to cut to remove member name: its key, value and one comma (the
 * one after it, else the one before it), so that what is left is still
 * an object.  Returns as ql_json_member().
 */
int ql_json_member_cut(const unsigned char *p, size_t len, const char *name,
    ql_json_span_t *cut);

/*
 * The span of the first element of a JSON array.  Returns 1 if found, 0
 * for an empty array, -1 if p is not an array.
 */
int ql_json_array_first(const unsigned char *p, size_t len,
    ql_json_span_t *value);

/*
 * The offset of the object's closing brace and whether it has members:
 * where a member is appended.  Returns 0, or -1 if p is not an object.
 */
int ql_json_object_end(const unsigned char *p, size_t len, size_t *close,
    int *empty);

/*
 * Writes s as a JSON string (quotes included) into out, which holds at
 * least ql_json_quoted_len(s, len) bytes; returns the length written.
 */
size_t ql_json_quoted_len(const unsigned char *s, size_t len);
size_t ql_json_quote(const unsigned char *s, size_t len, unsigned char *out);

#endif /* QL_JSON_MEMBER_H */
