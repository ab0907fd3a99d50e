/*
 * admind usage records from the stream: every field of
 * proto/usage_record.md, absent and empty values, the limits of each
 * column, what makes a record a dead letter and what is repaired.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "admind_usage_record.h"


#define MAX_ARGS  64


typedef struct {
    const char  *argv[MAX_ARGS];
    size_t       argvlen[MAX_ARGS];
    size_t       n;
} fields_t;


static void
add(fields_t *f, const char *name, const char *value)
{
    f->argv[f->n] = name;
    f->argvlen[f->n] = strlen(name);
    f->n++;
    f->argv[f->n] = value;
    f->argvlen[f->n] = strlen(value);
    f->n++;
}


static int
parse(fields_t *f, admind_usage_record_t *rec, char *err, size_t errlen)
{
    return admind_usage_record_parse(rec, f->n, f->argv, f->argvlen, err,
                                     errlen);
}


/* a record as the gateway writes it */
static void
full(fields_t *f)
{
    memset(f, 0, sizeof(fields_t));
    add(f, "request_id", "0123456789abcdef0123456789abcdef");
    add(f, "ts_ms", "1764158400123");
    add(f, "key_id", "7");
    add(f, "user_id", "3");
    add(f, "account_id", "12");
    add(f, "platform", "claude");
    add(f, "model", "claude-sonnet-4-5");
    add(f, "input_tokens", "1234");
    add(f, "output_tokens", "567");
    add(f, "cache_creation_tokens", "99");
    add(f, "cache_creation_5m_tokens", "89");
    add(f, "cache_creation_1h_tokens", "10");
    add(f, "cache_read_tokens", "4321");
    add(f, "cost_micros", "13897");
    add(f, "cost_pico", "13896975000");
    add(f, "priced_by_fallback", "0");
    add(f, "upstream_status", "200");
    add(f, "status", "200");
    add(f, "latency_ms", "250");
    add(f, "ttfb_ms", "40");
    add(f, "streamed", "1");
    add(f, "aborted", "0");
    add(f, "complete", "1");
}


static void
test_full(void **state)
{
    char                   err[128];
    fields_t               f;
    admind_usage_record_t  rec;

    (void) state;

    full(&f);
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_OK);

    assert_string_equal(rec.request_id, "0123456789abcdef0123456789abcdef");
    assert_int_equal(rec.request_id_len, 32);
    assert_int_equal(rec.ts_ms, 1764158400123LL);
    assert_string_equal(rec.ts, "2025-11-26 12:00:00.123");
    assert_int_equal(rec.ts_len, 23);
    assert_int_equal(rec.key_id, 7);
    assert_int_equal(rec.user_id, 3);
    assert_int_equal(rec.account_id, 12);
    assert_string_equal(rec.platform, "claude");
    assert_string_equal(rec.model, "claude-sonnet-4-5");
    assert_int_equal(rec.model_len, 17);
    assert_int_equal(rec.input_tokens, 1234);
    assert_int_equal(rec.output_tokens, 567);
    assert_int_equal(rec.cache_creation_tokens, 99);
    assert_int_equal(rec.cache_creation_5m_tokens, 89);
    assert_int_equal(rec.cache_creation_1h_tokens, 10);
    assert_int_equal(rec.cache_read_tokens, 4321);
    assert_int_equal(rec.cost_micros, 13897);
    assert_int_equal(rec.cost_pico, 13896975000ULL);
    assert_int_equal(rec.priced_by_fallback, 0);
    assert_int_equal(rec.upstream_status, 200);
    assert_int_equal(rec.status, 200);
    assert_int_equal(rec.latency_ms, 250);
    assert_int_equal(rec.ttfb_ms, 40);
    assert_int_equal(rec.streamed, 1);
    assert_int_equal(rec.aborted, 0);
    assert_int_equal(rec.complete, 1);
}


static void
test_minimal(void **state)
{
    char                   err[128];
    fields_t               f;
    admind_usage_record_t  rec;

    (void) state;

    /* only the two required fields; empty values count as 0 */
    memset(&f, 0, sizeof(f));
    add(&f, "request_id", "r-1_X");
    add(&f, "ts_ms", "1");
    add(&f, "key_id", "");
    add(&f, "model", "");
    add(&f, "a_future_field", "whatever");

    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_OK);
    assert_string_equal(rec.request_id, "r-1_X");
    assert_string_equal(rec.ts, "1970-01-01 00:00:00.001");
    assert_int_equal(rec.key_id, 0);
    assert_int_equal(rec.model_len, 0);
    assert_int_equal(rec.platform_len, 0);
    assert_int_equal(rec.cost_pico, 0);
    assert_int_equal(rec.status, 0);
}


static void
test_refused(void **state)
{
    char                   err[128];
    fields_t               f;
    admind_usage_record_t  rec;

    (void) state;

    memset(&f, 0, sizeof(f));
    add(&f, "ts_ms", "1764158400123");
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_ERROR);
    assert_string_equal(err, "no request_id");

    memset(&f, 0, sizeof(f));
    add(&f, "request_id", "abc");
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_ERROR);
    assert_string_equal(err, "no ts_ms");

    memset(&f, 0, sizeof(f));
    add(&f, "request_id", "abc");
    add(&f, "ts_ms", "0");
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_ERROR);
    assert_string_equal(err, "ts_ms out of range");

    /* beyond 9999-12-31 */
    memset(&f, 0, sizeof(f));
    add(&f, "request_id", "abc");
    add(&f, "ts_ms", "253402300800000");
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_ERROR);

    memset(&f, 0, sizeof(f));
    add(&f, "request_id", "abc def");
    add(&f, "ts_ms", "1");
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_ERROR);
    assert_string_equal(err, "malformed request_id");

    memset(&f, 0, sizeof(f));
    add(&f, "request_id", "");
    add(&f, "ts_ms", "1");
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_ERROR);

    memset(&f, 0, sizeof(f));
    add(&f, "request_id",
        "12345678901234567890123456789012345678901234567890123456789012345");
    add(&f, "ts_ms", "1");
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_ERROR);

    /* money and tokens are exact or refused */
    full(&f);
    f.argv[15] = "12x";
    f.argvlen[15] = 3;
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_ERROR);
    assert_string_equal(err, "field input_tokens is not a decimal number "
                        "in range");

    full(&f);
    f.argv[27] = "-5";
    f.argvlen[27] = 2;
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_ERROR);

    full(&f);
    f.argv[29] = "9223372036854775808";
    f.argvlen[29] = 19;
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_ERROR);

    full(&f);
    f.argv[29] = "9223372036854775807";
    f.argvlen[29] = 19;
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_OK);
    assert_int_equal(rec.cost_pico, 9223372036854775807ULL);

    full(&f);
    f.argv[11] = "clau de";
    f.argvlen[11] = 7;
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_ERROR);
    assert_string_equal(err, "malformed platform");

    /* an odd count cannot be field/value pairs */
    full(&f);
    assert_int_equal(admind_usage_record_parse(&rec, f.n - 1, f.argv,
                                               f.argvlen, err, sizeof(err)),
                     ADMIND_ERROR);
}


static void
test_clamped(void **state)
{
    char                   err[128];
    fields_t               f;
    admind_usage_record_t  rec;

    (void) state;

    /* descriptive numbers beyond their columns are clamped, not refused */
    full(&f);
    f.argv[33] = "70000";                  /* upstream_status */
    f.argvlen[33] = 5;
    f.argv[37] = "99999999999";            /* latency_ms */
    f.argvlen[37] = 11;
    f.argv[41] = "7";                      /* streamed */
    f.argvlen[41] = 1;
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_OK);
    assert_int_equal(rec.upstream_status, 65535);
    assert_int_equal(rec.latency_ms, 4294967295ULL);
    assert_int_equal(rec.streamed, 1);
}


static void
test_model_repaired(void **state)
{
    int                    i;
    char                   err[128], big[600];
    fields_t               f;
    admind_usage_record_t  rec;

    (void) state;

    /* invalid UTF-8 bytes become '?'; valid multibyte text stays */
    full(&f);
    f.argv[13] = "m\xff-\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80-\xc3";
    f.argvlen[13] = strlen(f.argv[13]);
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_OK);
    assert_string_equal(rec.model,
                        "m?-\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80-?");

    /* overlong and surrogate forms are not UTF-8 */
    full(&f);
    f.argv[13] = "\xc0\xaf\xed\xa0\x80";
    f.argvlen[13] = 5;
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_OK);
    assert_string_equal(rec.model, "?????");

    /* cut at 128 characters */
    for (i = 0; i < 300; i++) {
        big[2 * i] = '\xc3';
        big[2 * i + 1] = '\xa9';
    }
    full(&f);
    f.argv[13] = big;
    f.argvlen[13] = 600;
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_OK);
    assert_int_equal(rec.model_len, 256);

    memset(big, 'a', sizeof(big));
    f.argvlen[13] = 600;
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_OK);
    assert_int_equal(rec.model_len, 128);
    assert_int_equal(strlen(rec.model), 128);
}


static void
test_duplicates(void **state)
{
    char                   err[128];
    fields_t               f;
    admind_usage_record_t  rec;

    (void) state;

    /* the last value of a repeated field wins, as in a Redis hash */
    full(&f);
    add(&f, "input_tokens", "1");
    assert_int_equal(parse(&f, &rec, err, sizeof(err)), ADMIND_OK);
    assert_int_equal(rec.input_tokens, 1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_clamped),
        cmocka_unit_test(test_model_repaired),
        cmocka_unit_test(test_duplicates),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
