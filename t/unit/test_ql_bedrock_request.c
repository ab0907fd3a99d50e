/*
 * cmocka tests: an Anthropic Messages request as Bedrock takes it.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ql_bedrock_request.h"


static char  out[8192];


static const char *
model(const char *name, const char *region)
{
    size_t  n;

    n = ql_bedrock_model((const unsigned char *) name, strlen(name),
                         (const unsigned char *) region, strlen(region),
                         (unsigned char *) out);
    assert_true(n < QL_BEDROCK_MODEL_MAX);
    out[n] = '\0';

    return out;
}


static void
test_model(void **state)
{
    (void) state;

    assert_string_equal(model("claude-sonnet-4-5-20250929", "us-east-1"),
                        "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    assert_string_equal(model("claude-sonnet-4-5", "eu-central-1"),
                        "eu.anthropic.claude-sonnet-4-5-20250929-v1:0");
    assert_string_equal(model("claude-3-5-sonnet-20241022", "ap-northeast-1"),
                        "apac.anthropic.claude-3-5-sonnet-20241022-v2:0");
    assert_string_equal(model("claude-haiku-4-5", "us-gov-west-1"),
                        "us-gov.anthropic.claude-haiku-4-5-20251001-v1:0");
    assert_string_equal(model("claude-opus-4-1", "sa-east-1"),
                        "global.anthropic.claude-opus-4-1-20250805-v1:0");
    assert_string_equal(model("claude-sonnet-4-20250514", "ca-central-1"),
                        "us.anthropic.claude-sonnet-4-20250514-v1:0");

    /* not in the table: the caller passes the name as it is */
    assert_string_equal(model("anthropic.claude-v2", "us-east-1"), "");
    assert_string_equal(model("claude-sonnet-4-5-2025092", "us-east-1"), "");
    assert_string_equal(model("", "us-east-1"), "");

    /* a region too short to have a geography */
    assert_string_equal(model("claude-opus-4-5", "us-"),
                        "global.anthropic.claude-opus-4-5-20251101-v1:0");
}


static const char *
body(const char *json, const char *betas)
{
    size_t          len, blen, size, n;
    unsigned char  *buf;

    len = strlen(json);
    blen = strlen(betas);
    size = ql_bedrock_body_size(len, blen);
    buf = malloc(size);
    assert_non_null(buf);

    n = ql_bedrock_body((const unsigned char *) json, len,
                        (const unsigned char *) betas, blen, buf);
    assert_true(n <= size);
    memcpy(out, buf, n);
    out[n] = '\0';
    free(buf);

    return out;
}


#define V  "\"anthropic_version\":\"bedrock-2023-05-31\""


static void
test_body(void **state)
{
    (void) state;

    assert_string_equal(body("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\""
                             ":5,\"messages\":[{\"role\":\"user\",\"content\""
                             ":\"hi\"}],\"stream\":true}", ""),
                        "{" V ",\"max_tokens\":5,\"messages\":[{\"role\":"
                        "\"user\",\"content\":\"hi\"}]}");

    /* members as written: spacing, order, nested names untouched */
    assert_string_equal(body(" {\"max_tokens\": 5, \"model\": \"m\", "
                             "\"metadata\": {\"model\": 1, \"stream\": 2}, "
                             "\"stream\": false }", ""),
                        "{" V ",\"max_tokens\": 5, \"metadata\": {\"model\": "
                        "1, \"stream\": 2} }");

    /* the client's own anthropic_version goes, Bedrock's comes */
    assert_string_equal(body("{\"anthropic_version\":\"2023-06-01\","
                             "\"x\":1}", ""), "{" V ",\"x\":1}");

    /* nothing left but ours */
    assert_string_equal(body("{\"model\":\"m\",\"stream\":true}", ""),
                        "{" V "}");
    assert_string_equal(body("{}", ""), "{" V "}");

    /* betas from the header; first-party-only ones dropped */
    assert_string_equal(body("{\"model\":\"m\",\"x\":1}",
                             "claude-code-20250219, interleaved-thinking-"
                             "2025-05-14,oauth-2025-04-20,,"
                             "fine-grained-tool-streaming-2025-05-14 "),
                        "{" V ",\"anthropic_beta\":[\"interleaved-thinking-"
                        "2025-05-14\",\"fine-grained-tool-streaming-"
                        "2025-05-14\"],\"x\":1}");
    assert_string_equal(body("{\"x\":1}", "oauth-2025-04-20"),
                        "{" V ",\"x\":1}");
    assert_string_equal(body("{\"x\":1}", "a\"b"),
                        "{" V ",\"anthropic_beta\":[\"a\\\"b\"],\"x\":1}");

    /* a body with its own anthropic_beta keeps it */
    assert_string_equal(body("{\"anthropic_beta\":[\"b\"]}", "a"),
                        "{" V ",\"anthropic_beta\":[\"b\"]}");

    /* not an object */
    assert_string_equal(body("[1]", ""), "");
    assert_string_equal(body("{\"model\":", ""), "");
}


/* the size bound holds for betas that are all quotes */
static void
test_body_size(void **state)
{
    char  betas[64];

    (void) state;

    memset(betas, '"', sizeof(betas) - 1);
    betas[sizeof(betas) - 1] = '\0';
    assert_true(strlen(body("{}", betas)) <= ql_bedrock_body_size(2, 63));

    strcpy(betas, "\",\",\",\",\",\",\",\",\",\",\",\",\",\"");
    assert_true(strlen(body("{}", betas))
                <= ql_bedrock_body_size(2, strlen(betas)));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_body_size),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
