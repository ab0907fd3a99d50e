/*
 * libFuzzer target: the JSON validator the gateway checks request bodies
 * with (ql_json_valid), against jansson: an input is valid for one iff
 * it is a JSON object for the other (jansson's refusal of an integer over
 * 64 bits or a real that overflows aside, and its taking a NUL byte
 * outside a string for a blank: ours refuses it), and every member it
 * locates lies inside the input and is a value jansson decodes.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ql_json_valid.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t               i;
    json_t              *j, *v;
    const char          *dup;
    json_error_t         err;
    ql_json_span_t       m[4];
    ql_json_valid_e      rc;
    static const char   *names[] = { "model", "stream", "a", "", NULL };

    rc = ql_json_valid_object(data, size, names, m, &dup);
    j = json_loadb((const char *) data, size, 0, &err);

    /* a repeated name is refused where it is seen, valid JSON or not */
    if (rc == QL_JSON_OK) {
        if (j == NULL && strstr(err.text, "too big") == NULL
            && strstr(err.text, "overflow") == NULL)
        {
            abort();
        }

    } else if (rc != QL_JSON_TOO_DEEP && rc != QL_JSON_DUPLICATE
               && j != NULL && json_is_object(j)
               && memchr(data, '\0', size) == NULL)
    {
        abort();
    }

    if (rc == QL_JSON_OK) {
        for (i = 0; names[i]; i++) {
            if (m[i].end == 0) {
                continue;
            }

            if (m[i].start >= m[i].end || m[i].end > size) {
                abort();
            }

            v = json_loadb((const char *) data + m[i].start,
                           m[i].end - m[i].start, JSON_DECODE_ANY, &err);
            if (v == NULL && strstr(err.text, "too big") == NULL
                && strstr(err.text, "overflow") == NULL)
            {
                abort();
            }

            json_decref(v);
        }
    }

    json_decref(j);

    return 0;
}
