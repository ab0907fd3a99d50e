/*
 * cmocka tests: the usage chunk is stripped from chat streams fed in
 * pieces of every size, and nothing else is touched.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ql_usage_strip.h"


typedef struct {
    unsigned char  *p;
    size_t          len;
    size_t          cap;
} out_t;


static int
collect(void *data, const unsigned char *p, size_t len)
{
    out_t  *o = data;

    if (o->len + len > o->cap) {
        o->cap = (o->len + len) * 2;
        o->p = realloc(o->p, o->cap);
        assert_non_null(o->p);
    }

    memcpy(o->p + o->len, p, len);
    o->len += len;

    return 0;
}


static ql_usage_strip_t  st;


/* feeds in at most `piece` bytes a call; checks the output is want */
static void
run(const char *in, size_t len, size_t piece, const char *want,
    size_t want_len)
{
    size_t  i, n;
    out_t   o = { NULL, 0, 0 };

    ql_usage_strip_init(&st);

    for (i = 0; i < len; i += n) {
        n = len - i < piece ? len - i : piece;
        assert_int_equal(ql_usage_strip_feed(&st, (const unsigned char *)
                                             in + i, n, collect, &o), 0);
    }

    assert_int_equal(ql_usage_strip_finish(&st, collect, &o), 0);
    assert_int_equal(o.len, want_len);
    if (want_len) {
        assert_memory_equal(o.p, want, want_len);
    }

    free(o.p);
}


/* split at every position into two, and byte by byte */
static void
every_split(const char *in, const char *want)
{
    size_t  i, len;

    len = strlen(in);

    for (i = 1; i <= len + 1; i++) {
        run(in, len, i, want, strlen(want));
    }
}


#define CHUNK(c)                                                              \
    "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"    \
    "\"" c "\"}}],\"usage\":null}\n\n"
#define USAGE                                                                 \
    "data: {\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,"     \
    "\"completion_tokens\":3}}\n\n"
#define DONE  "data: [DONE]\n\n"


static void
test_strips_usage(void **state)
{
    (void) state;

    every_split(CHUNK("Hel") CHUNK("lo") USAGE DONE,
                CHUNK("Hel") CHUNK("lo") DONE);

    /* CRLF lines */
    every_split("data: {\"choices\":[],\"usage\":{\"a\":1}}\r\n\r\n"
                "data: [DONE]\r\n\r\n", "data: [DONE]\r\n\r\n");
}


static void
test_keeps_the_rest(void **state)
{
    const char  *s;

    (void) state;

    /* no usage chunk: untouched */
    s = CHUNK("a") ": keep-alive\n\n" CHUNK("b") DONE;
    every_split(s, s);

    /* empty choices without usage, and usage with choices: not it */
    s = "data: {\"choices\":[],\"usage\":null}\n\n"
        "data: {\"choices\":[{\"x\":1}],\"usage\":{\"a\":1}}\n\n";
    every_split(s, s);

    /* the mark inside a string of a content chunk */
    s = "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"choices\\\":[]"
        "\"}}],\"usage\":null}\n\n";
    every_split(s, s);

    /* a stream cut mid-event: what was held goes out */
    s = CHUNK("a") "data: {\"choices\":[";
    every_split(s, s);

    /* two data lines: not a chat chunk, kept */
    s = "data: {\"choices\":[],\ndata: \"usage\":{}}\n\n";
    every_split(s, s);
}


static void
test_long_event_passes(void **state)
{
    char    *s;
    size_t   n, len;

    (void) state;

    n = QL_USAGE_STRIP_HOLD + 100;
    len = n + sizeof(USAGE) - 1 + 8;
    s = malloc(len + 1);
    assert_non_null(s);

    memcpy(s, "data: \"", 7);
    memset(s + 7, 'x', n - 7);
    memcpy(s + n, "\"\n\n" USAGE, 3 + sizeof(USAGE) - 1);
    len = n + 3 + sizeof(USAGE) - 1;
    s[len] = '\0';

    run(s, len, 4096, s, n + 3);
    run(s, len, len, s, n + 3);

    free(s);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_strips_usage),
        cmocka_unit_test(test_keeps_the_rest),
        cmocka_unit_test(test_long_event_passes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
