/*
 * libFuzzer target: the price table loader, name normalization, lookup
 * and cost.  The input is a price table; whether or not it loads, it is
 * also used as a model name to normalize and look up, and its first bytes
 * as a double to convert.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ql_pricing.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                      fb;
    char                     err[256];
    double                   d;
    size_t                   i, n;
    uint64_t                 pico;
    ql_cost_t                cost;
    ql_usage_t               u;
    ql_pricing_t            *t;
    unsigned char            norm[QL_PRICING_NAME_MAX];
    const ql_price_entry_t  *e;

    static const char  *names[] = {
        "claude-sonnet-4-5-20250929", "us.anthropic.claude-opus-4-1-v1:0",
        "models/gemini-2.5-pro", "gpt-4o-2024-08-06", "default", "",
    };

    n = ql_pricing_normalize(data, size, norm, sizeof(norm));

    if (n > size) {
        abort();
    }

    if (size >= sizeof(double)) {
        memcpy(&d, data, sizeof(double));

        if (ql_price_from_double(d, &pico) == 0 && !(d >= 0 && d < 2e7)) {
            abort();
        }
    }

    err[0] = '\0';

    if (ql_pricing_load(data, size, &t, err, sizeof(err)) != 0) {
        if (t != NULL || err[0] == '\0') {
            abort();
        }

        return 0;
    }

    memset(&u, 0, sizeof(u));
    u.input_tokens = 1000;
    u.cache_creation_tokens = 30;
    u.cache_creation_5m_tokens = 10;
    u.cache_creation_1h_tokens = 20;
    u.cache_read_tokens = 5000;
    u.output_tokens = 700;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ql_pricing_cost(t, (const unsigned char *) names[i],
                        strlen(names[i]), &u, &cost);

        if (cost.entry == NULL || cost.entry->name == NULL) {
            abort();
        }
    }

    e = ql_pricing_lookup(t, data, size, &fb);

    if (e == NULL || (!fb && size == 0)) {
        abort();
    }

    ql_pricing_free(t);

    return 0;
}
