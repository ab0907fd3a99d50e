/*
 * cmocka tests: Code Assist answers unwrapped, as JSON, JSON arrays and
 * SSE, fed whole, split at every position and byte by byte.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ql_unwrap.h"


typedef struct {
    unsigned char  *p;
    size_t          len;
} out_t;


static int
collect(void *data, const unsigned char *p, size_t len)
{
    out_t  *o = data;

    o->p = realloc(o->p, o->len + len + 1);
    assert_non_null(o->p);
    memcpy(o->p + o->len, p, len);
    o->len += len;

    return 0;
}


static ql_unwrap_t  u;


static void
run(int sse, const char *in, size_t len, size_t piece, const char *want)
{
    size_t  i, n;
    out_t   o = { NULL, 0 };

    ql_unwrap_init(&u, sse);

    for (i = 0; i < len; i += n) {
        n = len - i < piece ? len - i : piece;
        assert_int_equal(ql_unwrap_feed(&u, (const unsigned char *) in + i,
                                        n, collect, &o), 0);
    }

    assert_int_equal(ql_unwrap_finish(&u, collect, &o), 0);

    if (o.len != strlen(want) || memcmp(o.p, want, o.len) != 0) {
        fail_msg("piece %zu: got \"%.*s\", want \"%s\"", piece, (int) o.len,
                 o.p ? (char *) o.p : "", want);
    }

    free(o.p);
}


static void
every_split(int sse, const char *in, const char *want)
{
    size_t  i, len;

    len = strlen(in);

    for (i = 1; i <= len + 1; i++) {
        run(sse, in, len, i, want);
    }
}


static void
test_json(void **state)
{
    (void) state;

    every_split(0, "{\"response\":{\"candidates\":[{\"content\":{\"parts\":"
                   "[{\"text\":\"a}\\\"]\"}]}}],\"usageMetadata\":"
                   "{\"promptTokenCount\":3}},\"traceId\":\"t1\"}",
                "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":"
                "\"a}\\\"]\"}]}}],\"usageMetadata\":{\"promptTokenCount\":3}}");

    /* other members first, spacing (kept around it), a scalar response */
    every_split(0, " { \"traceId\" : [1, {\"x\":\"response\"}] ,\n"
                   " \"response\" : {\"a\":1} } ", " {\"a\":1} ");
    every_split(0, "{\"response\":42,\"x\":1}", "42");
    every_split(0, "{\"response\":\"s\\\"\"}", "\"s\\\"\"");

    /* a JSON array of wrapped answers */
    every_split(0, "[{\"response\":{\"a\":1}}\n,{\"traceId\":\"x\","
                   "\"response\":{\"b\":\"}\"}}]",
                "[{\"a\":1}\n,{\"b\":\"}\"}]");

    /* no "response": as it came (an error) */
    every_split(0, "{\"error\":{\"code\":400,\"message\":\"bad\"}}",
                "{\"error\":{\"code\":400,\"message\":\"bad\"}}");

    /* not JSON at all: as it came */
    every_split(0, "oops {\"response\":1}", "oops {\"response\":1}");

    /* a key that only starts like it, or escaped */
    every_split(0, "{\"responses\":1,\"respons\\u0065\":2}",
                "{\"responses\":1,\"respons\\u0065\":2}");
}


static void
test_sse(void **state)
{
    (void) state;

    every_split(1, "data: {\"response\":{\"a\":1},\"traceId\":\"t\"}\r\n\r\n"
                   "data:{\"response\":{\"b\":[2]}}\n\n",
                "data: {\"a\":1}\r\n\r\ndata: {\"b\":[2]}\n\n");

    /* other lines pass; a data line without "response" too */
    every_split(1, ": ping\nevent: x\ndata: {\"error\":1}\n\n",
                ": ping\nevent: x\ndata: {\"error\":1}\n\n");

    /* cut in the middle of an object: what came, as it came */
    every_split(1, "data: {\"traceId\":\"t\",\"resp",
                "data: {\"traceId\":\"t\",\"resp");
    every_split(1, "dat", "dat");
}


static void
test_long_prefix_passes(void **state)
{
    char    *in;
    size_t   n;

    (void) state;

    n = QL_UNWRAP_HOLD + 10;
    in = malloc(n + 64);
    assert_non_null(in);

    memcpy(in, "{\"t\":\"", 6);
    memset(in + 6, 'x', n);
    strcpy(in + 6 + n, "\",\"response\":{\"a\":1}}");

    run(0, in, strlen(in), 1000, in);
    run(0, in, strlen(in), strlen(in), in);

    free(in);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_sse),
        cmocka_unit_test(test_long_prefix_passes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
