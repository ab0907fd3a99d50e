/*
 * Model prices and the cost of one response's usage.
 *
 * The table is JSON in the field names of LiteLLM's
 * model_prices_and_context_window.json: an object whose keys are model
 * names and whose values are objects; per model we read
 *
 *   input_cost_per_token                        plain input
 *   output_cost_per_token                       output (reasoning included)
 *   cache_creation_input_token_cost             cache write, 5 minutes
 *   cache_creation_input_token_cost_above_1hr   cache write, 1 hour
 *   cache_read_input_token_cost                 cache read
 *
 * in dollars per token, and ignore every other field (so LiteLLM's own
 * file loads as is).  An entry with neither an input nor an output price
 * is not priced per token (images, audio) and is left out.  Otherwise a
 * missing input or output price is 0; a missing 5m
 * cache write price or cache read price is the input price (no discount
 * assumed); a missing 1h cache write price is the 5m one.  null counts as
 * missing.  A price that is not a number, negative, or at least
 * 2^64 pico-dollars is an error.  Long-context tiers (LiteLLM's
 * *_above_200k_tokens) are not modelled.
 *
 * Money is integer.  Each price is converted once, at load, to pico-
 * dollars per token (1e-12 $): jansson gives the number as a double, we
 * take the shortest decimal that reads back as the same double (which is
 * the literal in the file whenever it has at most 15 significant digits,
 * as every real price does) and scale that decimal exactly, rounding half
 * up to a whole pico-dollar.  So 3e-06 is exactly 3,000,000 and
 * 7.5e-08 exactly 75,000; the smallest price that is not 0 is 5e-13.
 * A cost is the exact integer sum
 *
 *   input * in + cache_5m * cw5m + cache_1h * cw1h
 *       + cache_read * cr + output * out
 *
 * in pico-dollars (saturating at 2^64-1, flagged), and in micro-dollars
 * rounded half up once at the end.  Sums of many costs should add
 * pico-dollars and round once, if they need to be exact.
 *
 * Lookup of a model name, first hit wins:
 *   1. the name as is;
 *   2. its normalized form (ql_pricing_normalize) as a key;
 *   3. a key whose own normalized form equals it; if several do, a key
 *      without "/" (a vendor prefix) beats one with, then the greatest
 *      key in byte order (so the newest date suffix wins);
 *   4. the "default" entry of the file, else a built-in one at Claude
 *      Opus 4.x list prices (never under-bill an unknown model), with
 *      fallback set so callers can flag the record.
 *
 * Normalization, in this order: ASCII lowercase; drop everything up to
 * the last "/" ("anthropic/", "models/", "vertex_ai/"); drop leading
 * "<letters>." segments (Bedrock "us.", "global.", "anthropic."); drop
 * from "@" on (Vertex "@20250929"); drop a trailing "-v<N>" or
 * "-v<N>:<N>" right after a "-YYYYMMDD" date (Bedrock "-v1:0"; a bare
 * "-v3" is part of a name); drop "-latest"; drop a trailing date
 * "-YYYYMMDD" or "-YYYY-MM-DD".  Names longer than QL_PRICING_NAME_MAX
 * are only looked up as they are.
 *
 * The table is immutable once loaded: lookups need no locks and never
 * allocate.
 */

#ifndef QL_PRICING_H
#define QL_PRICING_H

#include <stddef.h>
#include <stdint.h>

#include "ql_usage.h"

#define QL_PRICING_NAME_MAX     255
#define QL_PRICING_FILE_MAX     (64 * 1024 * 1024)
#define QL_PICO_PER_MICRO       1000000ULL
#define QL_PICO_PER_DOLLAR      1000000000000ULL

typedef struct {
    uint64_t  input;            /* pico-dollars per token */
    uint64_t  output;
    uint64_t  cache_write_5m;
    uint64_t  cache_write_1h;
    uint64_t  cache_read;
} ql_price_t;

typedef struct {
    const char  *name;          /* the table key */
    ql_price_t   price;
} ql_price_entry_t;

typedef struct ql_pricing_s  ql_pricing_t;

typedef struct {
    uint64_t                 pico;
    uint64_t                 micro;
    const ql_price_entry_t  *entry;         /* what it was priced as */
    unsigned                 fallback:1;    /* priced_by_fallback */
    unsigned                 saturated:1;
} ql_cost_t;


/*
 * Parses a table.  On error returns -1 with a message in err that names
 * the line and column and, for a bad price, the model and the field.
 */
int ql_pricing_load(const unsigned char *json, size_t len,
    ql_pricing_t **out, char *err, size_t errlen);

int ql_pricing_load_file(const char *path, ql_pricing_t **out, char *err,
    size_t errlen);

void ql_pricing_free(ql_pricing_t *t);

size_t ql_pricing_count(const ql_pricing_t *t);

/* Never NULL; *fallback is set when the fallback entry was used. */
const ql_price_entry_t *ql_pricing_lookup(const ql_pricing_t *t,
    const unsigned char *model, size_t len, int *fallback);

/*
 * Writes the normalized name into out and returns its length, or 0 when
 * it does not fit in size bytes.
 */
size_t ql_pricing_normalize(const unsigned char *model, size_t len,
    unsigned char *out, size_t size);

void ql_cost_compute(const ql_price_t *price, const ql_usage_t *u,
    ql_cost_t *cost);

/* Lookup and compute. */
void ql_pricing_cost(const ql_pricing_t *t, const unsigned char *model,
    size_t len, const ql_usage_t *u, ql_cost_t *cost);

/* Dollars (a double from a JSON number) to pico-dollars; -1 if bad. */
int ql_price_from_double(double d, uint64_t *pico);

#endif /* QL_PRICING_H */
