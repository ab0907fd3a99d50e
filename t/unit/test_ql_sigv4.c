/*
 * cmocka tests: AWS SigV4.  The expected signatures are AWS's published
 * ones (aws-sig-v4-test-suite: get-vanilla, post-vanilla,
 * get-vanilla-query-order-key-case; the IAM ListUsers example of AWS's
 * documentation), and for a Bedrock request (double-encoded path, session
 * token) the one AWS's JavaScript SDK (@smithy/signature-v4) computes.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ql_sigv4.h"


#define AKID    "AKIDEXAMPLE"
#define SECRET  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define EMPTY_HASH                                                            \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* 2015-08-30T12:36:00Z */
#define T0  1440938160


#define H(n, v)  { n, sizeof(n) - 1, v, sizeof(v) - 1 }


static ql_sigv4_request_t
request(const char *method, const char *path, const char *query,
    const ql_sigv4_header_t *h, size_t nh, const char *service)
{
    ql_sigv4_request_t  r;

    memset(&r, 0, sizeof(r));
    r.method = method;
    r.path = path;
    r.path_len = strlen(path);
    r.query = query;
    r.query_len = strlen(query);
    r.headers = h;
    r.nheaders = nh;
    r.payload_hash = EMPTY_HASH;
    r.time = T0;
    r.region = "us-east-1";
    r.service = service;
    r.access_key_id = AKID;
    r.access_key_id_len = sizeof(AKID) - 1;
    r.secret = SECRET;
    r.secret_len = sizeof(SECRET) - 1;

    return r;
}


static char  out[512];


static const char *
sign(const ql_sigv4_request_t *r, ql_sigv4_key_t *key)
{
    int  n;

    n = ql_sigv4_sign(r, key, out, sizeof(out));
    assert_true(n > 0);
    assert_int_equal((size_t) n, strlen(out));

    return out;
}


#define AUTH(service, names, sig)                                             \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/" service     \
    "/aws4_request, SignedHeaders=" names ", Signature=" sig


static const ql_sigv4_header_t  vanilla[] = {
    H("Host", "example.amazonaws.com"),
    H("X-Amz-Date", "20150830T123600Z"),
};


static void
test_aws_suite(void **state)
{
    ql_sigv4_request_t  r;
    ql_sigv4_header_t   iam[] = {
        H("X-Amz-Date", "20150830T123600Z"),
        H("Host", "iam.amazonaws.com"),
        H("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
    };

    (void) state;

    r = request("GET", "/", "", vanilla, 2, "service");
    assert_string_equal(sign(&r, NULL), AUTH("service", "host;x-amz-date",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));

    r = request("POST", "/", "", vanilla, 2, "service");
    assert_string_equal(sign(&r, NULL), AUTH("service", "host;x-amz-date",
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));

    r = request("GET", "/", "Param2=value2&Param1=value1", vanilla, 2,
                "service");
    assert_string_equal(sign(&r, NULL), AUTH("service", "host;x-amz-date",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));

    /* headers in any order and case; the path "" is "/" */
    r = request("GET", "", "Action=ListUsers&Version=2010-05-08", iam, 3,
                "iam");
    assert_string_equal(sign(&r, NULL),
        AUTH("iam", "content-type;host;x-amz-date",
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"));
}


/* a Bedrock model id's %3A signs as %253A; the session token is signed */
static void
test_bedrock(void **state)
{
    char                hash[QL_SIGV4_HASH_HEX + 1];
    ql_sigv4_request_t  r;
    ql_sigv4_header_t   h[] = {
        H("host", "127.0.0.1:8090"),
        H("x-amz-date", "20150830T123600Z"),
        H("x-amz-security-token", "TOKEN"),
    };

    (void) state;

    assert_int_equal(ql_sigv4_sha256_hex("{\"a\":1}", 7, hash), 0);

    r = request("POST",
                "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke",
                "", h, 3, "bedrock");
    r.payload_hash = hash;
    assert_string_equal(sign(&r, NULL),
        AUTH("bedrock", "host;x-amz-date;x-amz-security-token",
        "d74f1ccdeb9e48f0e85fc42e7654a6b32c00bf5be4d00a74c3366f7dae33efb5"));
}


/* values trimmed, inner blanks one space, repeated names joined */
static void
test_canonical_headers(void **state)
{
    char                a[512];
    ql_sigv4_request_t  r;
    ql_sigv4_header_t   h1[] = {
        H("host", "example.amazonaws.com"),
        H("x-amz-date", "20150830T123600Z"),
        H("my-header1", "value1"),
        H("My-Header1", "a   b"),
    };
    ql_sigv4_header_t   h2[] = {
        H("My-Header1", " value1 "),
        H("host", "example.amazonaws.com"),
        H("my-header1", "a \t b  "),
        H("x-amz-date", "20150830T123600Z"),
    };

    (void) state;

    r = request("GET", "/", "", h1, 4, "service");
    strcpy(a, sign(&r, NULL));
    r = request("GET", "/", "", h2, 4, "service");
    assert_string_equal(sign(&r, NULL), a);
    assert_non_null(strstr(a, "SignedHeaders=host;my-header1;x-amz-date,"));

    /* a changed value changes the signature */
    h2[2].value = "a c";
    h2[2].value_len = 3;
    assert_string_not_equal(sign(&r, NULL), a);
}


static void
test_key_cache(void **state)
{
    char                a[512];
    ql_sigv4_key_t      key;
    ql_sigv4_request_t  r;
    unsigned char       derived[32];

    (void) state;

    memset(&key, 0, sizeof(key));
    r = request("GET", "/", "", vanilla, 2, "service");

    strcpy(a, sign(&r, &key));
    assert_true(key.valid);
    assert_string_equal(key.date, "20150830");
    memcpy(derived, key.key, 32);

    /* later the same day: the same key, the same signature */
    r.time = T0 + 3600;
    sign(&r, &key);
    assert_memory_equal(key.key, derived, 32);

    /* the cached key is used: a wrong one in the cache shows */
    r.time = T0;
    key.key[0] ^= 1;
    assert_string_not_equal(sign(&r, &key), a);
    key.key[0] ^= 1;

    /* the next day, another region, a new secret: derived again */
    r.time = T0 + 86400;
    sign(&r, &key);
    assert_string_equal(key.date, "20150831");
    assert_memory_not_equal(key.key, derived, 32);

    r.time = T0;
    sign(&r, &key);
    assert_memory_equal(key.key, derived, 32);

    r.region = "eu-west-1";
    sign(&r, &key);
    assert_string_equal(key.scope, "eu-west-1/service");
    assert_memory_not_equal(key.key, derived, 32);

    r.region = "us-east-1";
    r.secret = "another-secret";
    r.secret_len = strlen(r.secret);
    sign(&r, &key);
    assert_memory_not_equal(key.key, derived, 32);
}


static void
test_bounds(void **state)
{
    size_t              i;
    char                small[64];
    ql_sigv4_request_t  r;
    ql_sigv4_header_t   many[QL_SIGV4_HEADERS_MAX + 1];

    (void) state;

    r = request("GET", "/", "", vanilla, 2, "service");
    assert_int_equal(ql_sigv4_sign(&r, NULL, small, sizeof(small)), -1);

    for (i = 0; i < QL_SIGV4_HEADERS_MAX + 1; i++) {
        many[i] = vanilla[0];
    }

    r.headers = many;
    r.nheaders = QL_SIGV4_HEADERS_MAX + 1;
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);

    r.nheaders = QL_SIGV4_HEADERS_MAX;
    assert_true(ql_sigv4_sign(&r, NULL, out, sizeof(out)) > 0);

    r = request("GET", "/", "", vanilla, 2, "service");
    r.region = "a-region-name-far-too-long-for-any-scope-that-aws-has-ever-"
               "used";
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);
}


static void
test_amz_date(void **state)
{
    char  d[QL_SIGV4_AMZ_DATE_LEN + 1];

    (void) state;

    ql_sigv4_amz_date(T0, d);
    assert_string_equal(d, "20150830T123600Z");
    ql_sigv4_amz_date(0, d);
    assert_string_equal(d, "19700101T000000Z");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_aws_suite),
        cmocka_unit_test(test_bedrock),
        cmocka_unit_test(test_canonical_headers),
        cmocka_unit_test(test_key_cache),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_amz_date),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
