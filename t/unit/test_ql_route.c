/*
 * cmocka tests: the platforms' route table (method, body and model
 * requirements) and the query parameters that may go upstream.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ql_route.h"


static ql_route_match_t  m;


static const ql_route_t *
find(ql_platform_id_t id, const char *path)
{
    return ql_route_match(ql_platform_get(id), (const unsigned char *) path,
                          strlen(path), &m);
}


static void
span_is(ql_span_t *span, const char *want)
{
    assert_int_equal(span->len, strlen(want));
    assert_memory_equal(span->data, want, span->len);
}


static int
method_ok(const ql_route_t *route, const char *method)
{
    return ql_route_method_ok(route, (const unsigned char *) method,
                              strlen(method));
}


static void
test_claude_routes(void **state)
{
    const ql_route_t  *r;

    (void) state;

    r = find(QL_PLATFORM_CLAUDE, "/v1/messages");
    assert_non_null(r);
    assert_int_equal(r->flags, QL_ROUTE_BODY | QL_ROUTE_MODEL);
    assert_true(method_ok(r, "POST"));
    assert_false(method_ok(r, "GET"));
    assert_false(method_ok(r, "HEAD"));
    assert_false(method_ok(r, "post"));
    assert_false(method_ok(r, "POS"));
    assert_false(method_ok(r, "POSTS"));

    r = find(QL_PLATFORM_CLAUDE, "/v1/messages/count_tokens");
    assert_non_null(r);
    assert_true(r->flags & QL_ROUTE_MODEL);

    r = find(QL_PLATFORM_CLAUDE, "/v1/models");
    assert_non_null(r);
    assert_int_equal(r->flags, 0);
    assert_true(method_ok(r, "GET"));
    assert_true(method_ok(r, "HEAD"));
    assert_false(method_ok(r, "POST"));

    r = find(QL_PLATFORM_CLAUDE, "/v1/models/claude-sonnet-4-5");
    assert_non_null(r);
    assert_true(method_ok(r, "GET"));

    /* a prefix route needs something after the prefix */
    assert_ptr_equal(find(QL_PLATFORM_CLAUDE, "/v1/models/"), NULL);
    assert_ptr_equal(find(QL_PLATFORM_CLAUDE, "/v1/messagesx"), NULL);
    assert_ptr_equal(find(QL_PLATFORM_CLAUDE, "/v1/message"), NULL);
    assert_ptr_equal(find(QL_PLATFORM_CLAUDE, ""), NULL);

    /* the prefix before the route's segments is free */
    r = find(QL_PLATFORM_CLAUDE, "/api/v1/messages");
    assert_non_null(r);
    assert_string_equal(r->endpoint, "messages");
    span_is(&m.path, "/v1/messages");
    r = find(QL_PLATFORM_CLAUDE, "/droid/claude/v1/messages/count_tokens");
    assert_string_equal(r->endpoint, "count_tokens");
    r = find(QL_PLATFORM_CLAUDE, "/v1/models/claude-opus-4");
    span_is(&m.id, "claude-opus-4");
    assert_int_equal(m.model.len, 0);

    assert_ptr_equal(find(QL_PLATFORM_OPENAI, "/v1/messages"), NULL);
    assert_ptr_equal(find(QL_PLATFORM_BEDROCK, "/v1/messages"), NULL);
    assert_ptr_equal(ql_route_match(NULL, (const unsigned char *) "/v1/", 4,
                                    &m),
                     NULL);
}


static void
test_openai_routes(void **state)
{
    const ql_route_t  *r;

    (void) state;

    r = find(QL_PLATFORM_OPENAI, "/openai/v1/chat/completions");
    assert_non_null(r);
    assert_string_equal(r->endpoint, "chat");
    assert_int_equal(r->flags, QL_ROUTE_BODY | QL_ROUTE_MODEL);

    r = find(QL_PLATFORM_OPENAI, "/openai/responses");
    assert_string_equal(r->endpoint, "responses");
    span_is(&m.path, "/responses");
    r = find(QL_PLATFORM_OPENAI, "/v1/responses");
    assert_string_equal(r->endpoint, "responses");

    /* Azure: the deployment is the model, the body need not name one */
    r = find(QL_PLATFORM_OPENAI,
             "/azure/openai/deployments/gpt-4o-prod/chat/completions");
    assert_string_equal(r->endpoint, "chat");
    assert_int_equal(r->flags, QL_ROUTE_BODY);
    span_is(&m.model, "gpt-4o-prod");

    r = find(QL_PLATFORM_OPENAI, "/openai/v1/models");
    assert_string_equal(r->endpoint, "models");
    assert_true(method_ok(r, "GET"));
    r = find(QL_PLATFORM_OPENAI, "/v1/models/gpt-5");
    span_is(&m.id, "gpt-5");

    assert_null(find(QL_PLATFORM_OPENAI, "/openai/deployments//chat/"
                                         "completions/x"));
    assert_null(find(QL_PLATFORM_OPENAI, "/v1/completions"));
    assert_null(find(QL_PLATFORM_OPENAI, "/v1/responsesx"));
    assert_null(find(QL_PLATFORM_OPENAI, "responses"));
}


static void
test_gemini_routes(void **state)
{
    const ql_route_t  *r;

    (void) state;

    r = find(QL_PLATFORM_GEMINI,
             "/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent");
    assert_non_null(r);
    assert_string_equal(r->endpoint, "stream");
    span_is(&m.model, "gemini-2.5-pro");
    span_is(&m.version, "v1beta");

    r = find(QL_PLATFORM_GEMINI, "/v1/models/gemini-2.5-flash:generateContent");
    assert_string_equal(r->endpoint, "generate");
    span_is(&m.version, "v1");

    r = find(QL_PLATFORM_GEMINI, "/v1beta/models/g:countTokens");
    assert_string_equal(r->endpoint, "count_tokens");
    span_is(&m.model, "g");

    r = find(QL_PLATFORM_GEMINI, "/gemini/v1beta/models");
    assert_string_equal(r->endpoint, "models");
    assert_int_equal(m.model.len, 0);

    r = find(QL_PLATFORM_GEMINI, "/v1beta/models/gemini-2.5-pro");
    assert_string_equal(r->endpoint, "models");
    span_is(&m.id, "gemini-2.5-pro");

    /* the placeholder takes at least one byte: this names a model */
    r = find(QL_PLATFORM_GEMINI, "/v1beta/models/:generateContent");
    assert_string_equal(r->endpoint, "models");
    assert_int_equal(m.model.len, 0);
    assert_null(find(QL_PLATFORM_GEMINI, "/v1beta/models/"));
    assert_null(find(QL_PLATFORM_GEMINI, "/models/g:generateContent"));
    /* an API we do not relay is a model name to GET: POST gets 405 */
    r = find(QL_PLATFORM_GEMINI, "/v1beta/models/g:embedContent");
    assert_string_equal(r->method, "GET");
}


static void
query_is(ql_platform_id_t id, const char *args, const char *want)
{
    size_t         n;
    unsigned char  out[256];

    memset(out, 'Z', sizeof(out));
    n = ql_route_query(ql_platform_get(id), (const unsigned char *) args,
                       strlen(args), out);

    assert_true(n <= strlen(args));
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
}


static void
test_query(void **state)
{
    (void) state;

    query_is(QL_PLATFORM_CLAUDE, "", "");
    query_is(QL_PLATFORM_CLAUDE, "beta=true", "beta=true");
    query_is(QL_PLATFORM_CLAUDE, "key=cr_abc", "");
    query_is(QL_PLATFORM_CLAUDE, "key=cr_abc&beta=true", "beta=true");
    query_is(QL_PLATFORM_CLAUDE, "beta=true&key=cr_abc&x=1", "beta=true");
    query_is(QL_PLATFORM_CLAUDE, "limit=2&utm=x&after_id=m",
             "limit=2&after_id=m");
    query_is(QL_PLATFORM_CLAUDE, "&&beta&&", "beta");
    query_is(QL_PLATFORM_CLAUDE, "=beta&betas=1&bet=2", "");
    query_is(QL_PLATFORM_CLAUDE, "%62eta=true", "");
    query_is(QL_PLATFORM_CLAUDE, "beta=a=b", "beta=a=b");

    /* Gemini streams with alt=sse; its ?key= never goes on */
    query_is(QL_PLATFORM_GEMINI, "alt=sse&key=AIza", "alt=sse");
    query_is(QL_PLATFORM_GEMINI, "pageSize=5&key=AIza", "pageSize=5");
    query_is(QL_PLATFORM_OPENAI, "beta=true&api-version=1", "");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_claude_routes),
        cmocka_unit_test(test_openai_routes),
        cmocka_unit_test(test_gemini_routes),
        cmocka_unit_test(test_query),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
