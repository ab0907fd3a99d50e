/*
 * libFuzzer target: the route table lookup and the upstream query
 * filter.  The input is a path and a query string for every platform.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ql_route.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                i, n, k;
    unsigned char        *out, *again;
    const ql_route_t     *r;
    ql_route_match_t      m;
    const ql_platform_t  *p;

    out = malloc(size + 1);
    again = malloc(size + 1);
    if (out == NULL || again == NULL) {
        abort();
    }

    for (i = 0; i < QL_PLATFORM_COUNT; i++) {
        p = ql_platform_get((ql_platform_id_t) i);

        r = ql_route_match(p, data, size, &m);
        if (r != NULL && (r->pattern == NULL || r->endpoint == NULL)) {
            abort();
        }

        /* captures lie inside the input */
        if (m.model.len && (m.model.data < data
                            || m.model.data + m.model.len > data + size))
        {
            abort();
        }

        /* a subset of the input, and filtering it again changes nothing */
        n = ql_route_query(p, data, size, out);
        if (n > size) {
            abort();
        }

        k = ql_route_query(p, out, n, again);
        if (k != n || memcmp(out, again, n) != 0) {
            abort();
        }

        /* what goes upstream never starts or ends a parameter empty */
        if (n && (out[0] == '&' || out[n - 1] == '&')) {
            abort();
        }
    }

    free(out);
    free(again);

    return 0;
}
