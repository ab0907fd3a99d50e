/*
 * cmocka tests: price table loading, exact integer prices, model name
 * lookup and cost.
 */

#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ql_pricing.h"


#define SHIPPED  "conf/model_prices.json"


static ql_pricing_t *
load(const char *json)
{
    char           err[512];
    ql_pricing_t  *t;

    if (ql_pricing_load((const unsigned char *) json, strlen(json), &t, err,
                        sizeof(err)) != 0)
    {
        fail_msg("load failed: %s", err);
    }

    return t;
}


/* Loading must fail with a message that holds every "want" string. */
static void
load_fails(const char *json, const char *want1, const char *want2,
    const char *want3)
{
    char           err[512];
    ql_pricing_t  *t;

    err[0] = '\0';
    assert_int_equal(ql_pricing_load((const unsigned char *) json,
                                     strlen(json), &t, err, sizeof(err)),
                     -1);
    assert_null(t);

    if (strstr(err, want1) == NULL
        || (want2 != NULL && strstr(err, want2) == NULL)
        || (want3 != NULL && strstr(err, want3) == NULL))
    {
        fail_msg("error \"%s\" lacks \"%s\" / \"%s\" / \"%s\"", err, want1,
                 want2 ? want2 : "", want3 ? want3 : "");
    }
}


static ql_usage_t
usage(uint64_t in, uint64_t cc5, uint64_t cc1, uint64_t cr, uint64_t out)
{
    ql_usage_t  u;

    memset(&u, 0, sizeof(u));
    u.input_tokens = in;
    u.cache_creation_5m_tokens = cc5;
    u.cache_creation_1h_tokens = cc1;
    u.cache_creation_tokens = cc5 + cc1;
    u.cache_read_tokens = cr;
    u.output_tokens = out;

    return u;
}


static const ql_price_entry_t *
lookup(const ql_pricing_t *t, const char *model, int *fallback)
{
    return ql_pricing_lookup(t, (const unsigned char *) model, strlen(model),
                             fallback);
}


static void
test_price_from_double(void **state)
{
    size_t    i;
    uint64_t  pico;

    static const struct {
        double    dollars;
        uint64_t  pico;
    } ok[] = {
        { 0, 0 },
        { 3e-06, 3000000 },
        { 1.5e-05, 15000000 },
        { 3.75e-06, 3750000 },
        { 1.875e-05, 18750000 },
        { 7.5e-08, 75000 },
        { 2.75e-07, 275000 },
        { 1.25e-07, 125000 },
        { 8e-08, 80000 },
        { 3e-08, 30000 },
        { 1.1e-06, 1100000 },
        { 0.1, 100000000000ULL },
        { 1, 1000000000000ULL },
        { 1e-12, 1 },
        { 4.9e-13, 0 },
        { 5e-13, 1 },                       /* half up */
        { 1.5e-12, 2 },
        { 2.5e-12, 3 },
        { 1.23456789012345e-07, 123457 },
        { 1.0 / 300000, 3333333 },
        { 1e-300, 0 },
        { 18446744.0737095, 18446744073709500000ULL },
    };

    static const double  bad[] = { -1e-06, -1, 2e7, 1e300 };

    (void) state;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(ql_price_from_double(ok[i].dollars, &pico), 0);

        if (pico != ok[i].pico) {
            fail_msg("%.17g: %llu pico, want %llu", ok[i].dollars,
                     (unsigned long long) pico,
                     (unsigned long long) ok[i].pico);
        }
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ql_price_from_double(bad[i], &pico), -1);
    }

    assert_int_equal(ql_price_from_double(NAN, &pico), -1);
    assert_int_equal(ql_price_from_double(INFINITY, &pico), -1);
}


static void
test_shipped_table(void **state)
{
    int                      fb;
    char                     err[512];
    ql_cost_t                c;
    ql_usage_t               u;
    ql_pricing_t            *t;
    const ql_price_entry_t  *e;

    (void) state;

    if (ql_pricing_load_file(SHIPPED, &t, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }

    assert_int_equal(ql_pricing_count(t), 16);

    /* Sonnet 4.x: $3 in, $15 out, $3.75 5m write, $6 1h write, $0.30 */
    e = lookup(t, "claude-sonnet-4-5-20250929", &fb);
    assert_string_equal(e->name, "claude-sonnet-4-5");
    assert_false(fb);
    assert_int_equal(e->price.input, 3000000);
    assert_int_equal(e->price.output, 15000000);
    assert_int_equal(e->price.cache_write_5m, 3750000);
    assert_int_equal(e->price.cache_write_1h, 6000000);
    assert_int_equal(e->price.cache_read, 300000);

    /*
     * 1000*3 + 2000*3.75 + 500*6 + 30000*0.30 + 800*15 = 34,500 micro-$:
     * 0.003 + 0.0075 + 0.003 + 0.009 + 0.012 dollars.
     */
    u = usage(1000, 2000, 500, 30000, 800);
    ql_pricing_cost(t, (const unsigned char *) "claude-sonnet-4-5-20250929",
                    26, &u, &c);
    assert_int_equal(c.pico, 34500000000ULL);
    assert_int_equal(c.micro, 34500);
    assert_false(c.fallback);
    assert_false(c.saturated);
    assert_string_equal(c.entry->name, "claude-sonnet-4-5");

    /* Opus 4.1: 2095 in, 1500+551 write, 13882 read, 503 out */
    u = usage(2095, 1500, 551, 13882, 503);
    ql_pricing_cost(t, (const unsigned char *) "claude-opus-4-1-20250805",
                    24, &u, &c);
    /* 31425 + 28125 + 16530 + 20823 + 37725 = 134628 micro-$ */
    assert_int_equal(c.pico, 134628000000ULL);
    assert_int_equal(c.micro, 134628);

    /* Haiku 4.5 and 3.5 */
    e = lookup(t, "claude-haiku-4-5-20251001", &fb);
    assert_int_equal(e->price.cache_write_1h, 2000000);
    assert_int_equal(e->price.cache_read, 100000);
    u = usage(1000000, 0, 0, 0, 0);
    ql_pricing_cost(t, (const unsigned char *) "claude-3-5-haiku-latest", 23,
                    &u, &c);
    assert_int_equal(c.micro, 800000);
    assert_string_equal(c.entry->name, "claude-3-5-haiku");

    /* OpenAI: no cache write, cached at $0.075/MTok */
    e = lookup(t, "gpt-4o-mini-2024-07-18", &fb);
    assert_string_equal(e->name, "gpt-4o-mini");
    assert_int_equal(e->price.cache_read, 75000);
    assert_int_equal(e->price.cache_write_5m, e->price.input);

    /* Gemini through its "models/" prefix */
    e = lookup(t, "models/gemini-2.5-pro", &fb);
    assert_string_equal(e->name, "gemini-2.5-pro");
    assert_false(fb);

    /* unknown: the file's "default", flagged */
    u = usage(1000, 0, 0, 0, 1000);
    ql_pricing_cost(t, (const unsigned char *) "llama-4-maverick", 16, &u,
                    &c);
    assert_true(c.fallback);
    assert_string_equal(c.entry->name, "default");
    assert_int_equal(c.micro, 90000);

    ql_pricing_free(t);
}


static void
test_rounding(void **state)
{
    ql_cost_t      c;
    ql_usage_t     u;
    ql_pricing_t  *t;

    (void) state;

    /* one pico-dollar per input token: the token count is the pico cost */
    t = load("{\"p\":{\"input_cost_per_token\":1e-12,"
             "\"output_cost_per_token\":7.5e-08}}");

    u = usage(499999, 0, 0, 0, 0);
    ql_pricing_cost(t, (const unsigned char *) "p", 1, &u, &c);
    assert_int_equal(c.pico, 499999);
    assert_int_equal(c.micro, 0);

    u = usage(500000, 0, 0, 0, 0);
    ql_pricing_cost(t, (const unsigned char *) "p", 1, &u, &c);
    assert_int_equal(c.micro, 1);

    u = usage(1499999, 0, 0, 0, 0);
    ql_pricing_cost(t, (const unsigned char *) "p", 1, &u, &c);
    assert_int_equal(c.micro, 1);

    u = usage(1500000, 0, 0, 0, 0);
    ql_pricing_cost(t, (const unsigned char *) "p", 1, &u, &c);
    assert_int_equal(c.micro, 2);

    /* a single cheap token is not 0 in pico-dollars */
    u = usage(0, 0, 0, 0, 1);
    ql_pricing_cost(t, (const unsigned char *) "p", 1, &u, &c);
    assert_int_equal(c.pico, 75000);
    assert_int_equal(c.micro, 0);

    /* 7 such tokens: 0.525 micro-dollars, rounded once, half up */
    u = usage(0, 0, 0, 0, 7);
    ql_pricing_cost(t, (const unsigned char *) "p", 1, &u, &c);
    assert_int_equal(c.pico, 525000);
    assert_int_equal(c.micro, 1);

    /* saturation instead of wrapping */
    u = usage(0, 0, 0, 0, UINT64_MAX / 1000);
    ql_pricing_cost(t, (const unsigned char *) "p", 1, &u, &c);
    assert_true(c.saturated);
    assert_int_equal(c.pico, UINT64_MAX);

    ql_pricing_free(t);
}


static void
test_missing_prices(void **state)
{
    int                      fb;
    ql_cost_t                c;
    ql_usage_t               u;
    ql_pricing_t            *t;
    const ql_price_entry_t  *e;

    (void) state;

    t = load("{"
             "\"no-1h\":{\"input_cost_per_token\":3e-06,"
             "\"output_cost_per_token\":1.5e-05,"
             "\"cache_creation_input_token_cost\":3.75e-06,"
             "\"cache_read_input_token_cost\":null},"
             "\"input-only\":{\"input_cost_per_token\":2e-06,"
             "\"litellm_provider\":\"x\",\"mode\":\"embedding\","
             "\"supported_regions\":[\"us\"],\"tiers\":{\"a\":[1,{}]}},"
             "\"free\":{\"input_cost_per_token\":0,"
             "\"output_cost_per_token\":0},"
             "\"dall-e-3\":{\"output_cost_per_image\":0.04,"
             "\"mode\":\"image_generation\"}"
             "}");

    assert_int_equal(ql_pricing_count(t), 3);

    /* 1h missing: the 5m price; cache read missing or null: input price */
    e = lookup(t, "no-1h", &fb);
    assert_int_equal(e->price.cache_write_5m, 3750000);
    assert_int_equal(e->price.cache_write_1h, 3750000);
    assert_int_equal(e->price.cache_read, 3000000);

    /* cache write missing: input price; output missing: 0 */
    e = lookup(t, "input-only", &fb);
    assert_int_equal(e->price.cache_write_5m, 2000000);
    assert_int_equal(e->price.cache_write_1h, 2000000);
    assert_int_equal(e->price.output, 0);

    e = lookup(t, "free", &fb);
    assert_false(fb);
    assert_int_equal(e->price.input, 0);

    /* not priced per token: left out, so it falls back */
    u = usage(1, 0, 0, 0, 1);
    ql_pricing_cost(t, (const unsigned char *) "dall-e-3", 8, &u, &c);
    assert_true(c.fallback);

    /* a total without split is billed at the 5m price */
    u = usage(0, 0, 0, 0, 0);
    u.cache_creation_tokens = 10;
    ql_pricing_cost(t, (const unsigned char *) "no-1h", 5, &u, &c);
    assert_int_equal(c.pico, 37500000);

    ql_pricing_free(t);
}


static void
test_normalize(void **state)
{
    size_t         i, n;
    unsigned char  out[QL_PRICING_NAME_MAX];

    static const char  *cases[][2] = {
        { "claude-sonnet-4-5-20250929", "claude-sonnet-4-5" },
        { "anthropic/claude-sonnet-4-5", "claude-sonnet-4-5" },
        { "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
          "claude-sonnet-4-5" },
        { "global.anthropic.claude-haiku-4-5-20251001-v1:0",
          "claude-haiku-4-5" },
        { "anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet" },
        { "bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1",
          "claude-3-7-sonnet" },
        { "claude-sonnet-4-5@20250929", "claude-sonnet-4-5" },
        { "vertex_ai/claude-opus-4-1@20250805", "claude-opus-4-1" },
        { "claude-3-5-haiku-latest", "claude-3-5-haiku" },
        { "CLAUDE-Sonnet-4-5", "claude-sonnet-4-5" },
        { "gpt-4o-2024-08-06", "gpt-4o" },
        { "openai/gpt-4.1-2025-04-14", "gpt-4.1" },
        { "o4-mini-2025-04-16", "o4-mini" },
        { "models/gemini-2.5-pro", "gemini-2.5-pro" },
        { "gemini-2.5-flash", "gemini-2.5-flash" },
        /* a bare version is part of the name, so is a short number */
        { "deepseek-v3", "deepseek-v3" },
        { "anthropic.claude-v2:1", "claude-v2:1" },
        { "gpt-4-0613", "gpt-4-0613" },
        { "gpt-3.5-turbo", "gpt-3.5-turbo" },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = ql_pricing_normalize((const unsigned char *) cases[i][0],
                                 strlen(cases[i][0]), out, sizeof(out));

        if (n != strlen(cases[i][1]) || memcmp(out, cases[i][1], n) != 0) {
            fail_msg("%s: \"%.*s\", want \"%s\"", cases[i][0], (int) n, out,
                     cases[i][1]);
        }
    }

    assert_int_equal(ql_pricing_normalize((const unsigned char *) "x", 0,
                                          out, sizeof(out)), 0);
    assert_int_equal(ql_pricing_normalize((const unsigned char *) "abcd", 4,
                                          out, 3), 0);
}


static void
test_lookup(void **state)
{
    int                      fb;
    char                     name[600];
    ql_pricing_t            *t;
    const ql_price_entry_t  *e;

    (void) state;

    /* keys as LiteLLM writes them: dated, prefixed, and both */
    t = load("{"
             "\"claude-3-5-sonnet-20240620\":{\"input_cost_per_token\":1},"
             "\"claude-3-5-sonnet-20241022\":{\"input_cost_per_token\":2},"
             "\"vertex_ai/claude-3-5-sonnet@20241022\":"
             "{\"input_cost_per_token\":3},"
             "\"bedrock/anthropic.claude-opus-4-20250514-v1:0\":"
             "{\"input_cost_per_token\":4},"
             "\"Mixed-Case\":{\"input_cost_per_token\":5},"
             "\"gpt-4o\":{\"input_cost_per_token\":6},"
             "\"gpt-4o-2024-05-13\":{\"input_cost_per_token\":7}"
             "}");

    /* exact beats everything */
    e = lookup(t, "claude-3-5-sonnet-20240620", &fb);
    assert_string_equal(e->name, "claude-3-5-sonnet-20240620");
    assert_false(fb);

    e = lookup(t, "gpt-4o-2024-05-13", &fb);
    assert_string_equal(e->name, "gpt-4o-2024-05-13");

    /* normalized name as a key beats aliases */
    e = lookup(t, "gpt-4o-2024-08-06", &fb);
    assert_string_equal(e->name, "gpt-4o");

    /* alias: unprefixed key first, then the newest date */
    e = lookup(t, "claude-3-5-sonnet-latest", &fb);
    assert_string_equal(e->name, "claude-3-5-sonnet-20241022");
    assert_false(fb);

    e = lookup(t, "anthropic/claude-3-5-sonnet", &fb);
    assert_string_equal(e->name, "claude-3-5-sonnet-20241022");

    /* only a prefixed key has it */
    e = lookup(t, "claude-opus-4-20250514", &fb);
    assert_string_equal(e->name,
                        "bedrock/anthropic.claude-opus-4-20250514-v1:0");

    e = lookup(t, "mixed-case", &fb);
    assert_string_equal(e->name, "Mixed-Case");

    /* no "default" in the file: the built-in one, flagged */
    e = lookup(t, "claude-sonnet-4-5", &fb);
    assert_true(fb);
    assert_string_equal(e->name, "default");
    assert_int_equal(e->price.input, 15000000);
    assert_int_equal(e->price.output, 75000000);

    e = lookup(t, "", &fb);
    assert_true(fb);

    /* too long to normalize: exact only, then fallback */
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    e = lookup(t, name, &fb);
    assert_true(fb);

    ql_pricing_free(t);

    /* "default" in the file wins over the built-in, and is flagged */
    t = load("{\"default\":{\"input_cost_per_token\":1e-06}}");
    e = lookup(t, "x", &fb);
    assert_true(fb);
    assert_int_equal(e->price.input, 1000000);
    e = lookup(t, "default", &fb);
    assert_true(fb);
    ql_pricing_free(t);

    /* an empty table prices everything by fallback */
    t = load("{}");
    assert_int_equal(ql_pricing_count(t), 0);
    e = lookup(t, "gpt-4o", &fb);
    assert_true(fb);
    ql_pricing_free(t);
}


static void
test_bad_tables(void **state)
{
    char           err[512];
    ql_pricing_t  *t;

    (void) state;

    /* syntax: jansson's line and column */
    load_fails("{\n  \"a\": {\"input_cost_per_token\": 1e-06},\n"
               "  \"b\": {\"input_cost_per_token\": 1e-06,}\n}\n",
               "line 3", "column", NULL);

    load_fails("", "line 1", NULL, NULL);

    load_fails("{\"a\":{\"input_cost_per_token\":1},\n"
               "\"a\":{\"input_cost_per_token\":2}}", "line 2", "duplicate",
               NULL);

    load_fails("\n\n   [1, 2]", "line 3, column 4", "object", NULL);

    /* a bad price: the model, the field and where */
    load_fails("{\n"
               "    \"ok\": {\"input_cost_per_token\": 3e-06},\n"
               "    \"claude-x\": {\n"
               "        \"mode\": \"chat\",\n"
               "        \"input_cost_per_token\": -3e-06\n"
               "    }\n"
               "}\n",
               "line 5, column 33", "model \"claude-x\"",
               "\"input_cost_per_token\"");

    load_fails("{\"m\": {\"cache_read_input_token_cost\": \"0.3\","
               " \"input_cost_per_token\": 1}}",
               "line 1, column 39", "\"cache_read_input_token_cost\"",
               "must be a number");

    load_fails("{\"m\": {\"output_cost_per_token\": 1e30}}",
               "model \"m\"", "\"output_cost_per_token\"", "too large");

    load_fails("{\"m\": {\"output_cost_per_token\": 20000000}}",
               "model \"m\"", "too large", NULL);

    load_fails("{\"m\": {\"output_cost_per_token\": true}}",
               "model \"m\"", "must be a number", NULL);

    load_fails("{\"a\": {},\n \"weird\": 5}", "line 2, column 2",
               "model \"weird\"", "must be an object");

    /* a name unfit to print is made printable */
    load_fails("{\"weird\\u0001\": 5}", "model \"weird?\"",
               "must be an object", NULL);

    /* a key written with escapes is still named, without a position */
    load_fails("{\"\\u0061b\": {\"input_cost_per_token\": -1}}",
               "model \"ab\"", "\"input_cost_per_token\"", NULL);

    /* files */
    assert_int_equal(ql_pricing_load_file("/nonexistent/prices.json", &t,
                                          err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot open"));
    assert_non_null(strstr(err, "/nonexistent/prices.json"));
    assert_null(t);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_price_from_double),
        cmocka_unit_test(test_shipped_table),
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_missing_prices),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_bad_tables),
    };

    return cmocka_run_group_tests_name("ql_pricing", tests, NULL, NULL);
}
