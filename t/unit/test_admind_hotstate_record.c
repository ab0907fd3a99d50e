/*
 * admind hot-state records: the exact HSET a key row and an account row
 * become (proto/redis_layout.md), list joining, defaults for SQL NULL,
 * and rows that cannot be published (also for an address the outbound
 * URL policy refuses).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admind_log.h"
#include "admind_hotstate_record.h"


static json_t *
row(const char *text)
{
    json_t        *j;
    json_error_t   e;

    j = json_loads(text, 0, &e);
    assert_non_null(j);

    return j;
}


/* the value of field name in "HSET key f1 v1 f2 v2 ..." */
static const char *
field(admind_redis_args_t *a, const char *name, size_t *len)
{
    int  i;

    for (i = 2; i + 1 < a->argc; i += 2) {
        if (a->argvlen[i] == strlen(name)
            && memcmp(a->argv[i], name, a->argvlen[i]) == 0)
        {
            *len = a->argvlen[i + 1];
            return a->argv[i + 1];
        }
    }

    return NULL;
}


static void
assert_field(admind_redis_args_t *a, const char *name, const char *value)
{
    size_t       len;
    const char  *v;

    v = field(a, name, &len);
    if (v == NULL) {
        fail_msg("no field %s", name);
    }

    if (len != strlen(value) || memcmp(v, value, len) != 0) {
        fail_msg("%s: \"%.*s\", expected \"%s\"", name, (int) len, v, value);
    }
}


static void
test_key(void **state)
{
    json_t               *r;
    admind_redis_args_t   a;

    static const char  *digest =
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    (void) state;

    /* as admind_db_select() returns ADMIND_HOTSTATE_KEY_SQL */
    r = row("{\"id\":7,\"key_hash\":\"9f86d081884c7d659a2feaa0c55ad015a3bf"
            "4f1b2b0b822cd15d6c15b0f00a08\",\"user_id\":3,"
            "\"status\":\"disabled\",\"expires_at\":1896091200,"
            "\"permissions\":\"[\\\"claude\\\", \\\"openai\\\"]\","
            "\"allowed_clients\":\"[\\\"^claude-cli/\\\", \\\"curl\\\"]\","
            "\"blocked_models\":null,\"concurrency_limit\":2,"
            "\"account_id\":\"0\",\"group_id\":\"5\",\"rate_window\":30,"
            "\"rate_limit_requests\":10,\"rate_limit_tokens\":0,"
            "\"rate_limit_cost_micros\":0,"
            "\"daily_cost_limit_micros\":9007199254740993,"
            "\"weekly_cost_limit_micros\":0,\"weekly_reset_hours\":7,"
            "\"total_cost_limit_micros\":0}");

    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_key_args("ql:{t}:", r, &a), ADMIND_OK);

    /* HSET, the key name and 18 field/value pairs: nothing else */
    assert_int_equal(a.argc, 2 + 2 * 18);
    assert_memory_equal(a.argv[0], "HSET", 4);
    assert_int_equal(a.argvlen[1], strlen("ql:{t}:key:") + 64);
    assert_memory_equal(a.argv[1], "ql:{t}:key:", 11);
    assert_memory_equal(a.argv[1] + 11, digest, 64);

    assert_field(&a, "id", "7");
    assert_field(&a, "user_id", "3");
    assert_field(&a, "status", "disabled");
    assert_field(&a, "expires_at", "1896091200");
    assert_field(&a, "permissions", "claude,openai");
    assert_field(&a, "allowed_clients", "^claude-cli/\ncurl");
    assert_field(&a, "blocked_models", "");
    assert_field(&a, "concurrency_limit", "2");
    assert_field(&a, "account_id", "0");
    assert_field(&a, "group_id", "5");
    assert_field(&a, "rate_window", "30");
    assert_field(&a, "rate_requests", "10");
    assert_field(&a, "rate_tokens", "0");
    assert_field(&a, "rate_cost", "0");
    assert_field(&a, "daily_cost_limit", "9007199254740993");
    assert_field(&a, "weekly_cost_limit", "0");
    assert_field(&a, "weekly_reset", "7");
    assert_field(&a, "total_cost_limit", "0");

    admind_redis_args_free(&a);
    json_decref(r);

    /* NULL permissions: no restriction */
    r = row("{\"id\":1,\"key_hash\":\"9f86d081884c7d659a2feaa0c55ad015a3bf"
            "4f1b2b0b822cd15d6c15b0f00a08\",\"permissions\":null}");
    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_key_args("p:", r, &a), ADMIND_OK);
    assert_field(&a, "permissions", "all");
    assert_field(&a, "allowed_clients", "");
    admind_redis_args_free(&a);
    json_decref(r);

    /* no digest, or a list column that is not a list: not published */
    r = row("{\"id\":1,\"key_hash\":\"abc\"}");
    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_key_args("p:", r, &a), ADMIND_ERROR);
    admind_redis_args_free(&a);
    json_decref(r);

    r = row("{\"id\":1,\"key_hash\":\"9f86d081884c7d659a2feaa0c55ad015a3bf"
            "4f1b2b0b822cd15d6c15b0f00a08\",\"blocked_models\":\"{}\"}");
    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_key_args("p:", r, &a), ADMIND_ERROR);
    admind_redis_args_free(&a);
    json_decref(r);
}


static void
test_account(void **state)
{
    char                      err[256];
    size_t                    len;
    json_t                   *r;
    const char               *cred;
    admind_redis_args_t       a;
    admind_outbound_allow_t   allow;

    (void) state;

    assert_int_equal(admind_outbound_allow_parse("[::1]:8443", &allow, err,
                                                 sizeof(err)),
                     ADMIND_OK);

    /* credentials_enc comes back in hex; it goes to Redis as bytes */
    r = row("{\"id\":12,\"name\":\"acct\",\"type\":\"claude-official\","
            "\"platform\":\"claude\",\"status\":\"active\","
            "\"schedulable\":1,\"priority\":50,\"concurrency_limit\":0,"
            "\"rpm_limit\":60,\"tpm_limit\":0,"
            "\"base_url\":\"https://[::1]:8443/relay\","
            "\"upstream_addr\":\"[::1]:8443\","
            "\"credentials_enc\":\"00ff0a41\",\"group_id\":\"0\","
            "\"supported_models\":null,\"model_mapping\":null,"
            "\"chatgpt_account_id\":null,\"project_id\":null,"
            "\"azure_deployment\":null,\"azure_api_version\":null,"
            "\"aws_region\":null,\"aws_access_key_id\":null}");

    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_account_args("ql:{t}:", &allow, r, &a,
                                                  err, sizeof(err)),
                     ADMIND_OK);

    assert_int_equal(a.argc, 2 + 2 * 27);
    assert_int_equal(a.argvlen[1], strlen("ql:{t}:account:12"));
    assert_memory_equal(a.argv[1], "ql:{t}:account:12", a.argvlen[1]);

    assert_field(&a, "id", "12");
    assert_field(&a, "name", "acct");
    assert_field(&a, "type", "claude-official");
    assert_field(&a, "platform", "claude");
    assert_field(&a, "status", "active");
    assert_field(&a, "schedulable", "1");
    assert_field(&a, "priority", "50");
    assert_field(&a, "concurrency_limit", "0");
    assert_field(&a, "rpm_limit", "60");
    assert_field(&a, "tpm_limit", "0");
    assert_field(&a, "scheme", "https");
    assert_field(&a, "host", "[::1]:8443");
    assert_field(&a, "addr", "[::1]:8443");
    assert_field(&a, "path_prefix", "/relay");
    assert_field(&a, "auth", "bearer");

    cred = field(&a, "cred", &len);
    assert_non_null(cred);
    assert_int_equal(len, 4);
    assert_memory_equal(cred, "\x00\xff\x0a\x41", 4);

    cred = field(&a, "cred_version", &len);
    assert_non_null(cred);
    assert_int_equal(len, 16);

    assert_field(&a, "pools", ",claude,");
    assert_field(&a, "endpoints", "");
    assert_field(&a, "models", "");
    assert_field(&a, "model_map", "");
    assert_field(&a, "chatgpt_account_id", "");
    assert_field(&a, "project_id", "");
    assert_field(&a, "azure_deployment", "");
    assert_field(&a, "azure_api_version", "");

    admind_redis_args_free(&a);
    json_decref(r);

    /* the type's pools, endpoints and auth; the account's own fields */
    r = row("{\"id\":3,\"type\":\"azure-openai\","
            "\"base_url\":\"http://h\",\"credentials_enc\":null,"
            "\"supported_models\":\"[\\\"gpt-4o\\\",\\\"o3\\\"]\","
            "\"model_mapping\":\"{\\\"gpt-4o\\\":\\\"prod\\\"}\","
            "\"azure_deployment\":\"dep\","
            "\"azure_api_version\":\"2024-10-21\"}");
    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_account_args("p:", &allow, r, &a,
                                                  err, sizeof(err)),
                     ADMIND_OK);
    assert_field(&a, "auth", "api-key");
    assert_field(&a, "pools", ",openai,azure,");
    assert_field(&a, "endpoints", ",chat,responses,");
    assert_field(&a, "models", "\ngpt-4o\no3\n");
    assert_field(&a, "model_map", "\ngpt-4o\tprod\n");
    assert_field(&a, "azure_deployment", "dep");
    assert_field(&a, "azure_api_version", "2024-10-21");
    assert_field(&a, "chatgpt_account_id", "");
    assert_field(&a, "cred", "");
    assert_field(&a, "cred_version", "");
    assert_field(&a, "host", "h");
    admind_redis_args_free(&a);
    json_decref(r);

    /* Bedrock: signed with an IAM key, or a bearer API key without one */
    r = row("{\"id\":5,\"type\":\"bedrock\",\"base_url\":\"http://h\","
            "\"aws_region\":\"eu-west-1\",\"aws_access_key_id\":\"AKID\"}");
    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_account_args("p:", &allow, r, &a,
                                                  err, sizeof(err)),
                     ADMIND_OK);
    assert_field(&a, "auth", "sigv4");
    assert_field(&a, "pools", ",claude,bedrock,");
    assert_field(&a, "aws_region", "eu-west-1");
    assert_field(&a, "aws_access_key_id", "AKID");
    admind_redis_args_free(&a);
    json_decref(r);

    r = row("{\"id\":6,\"type\":\"bedrock\",\"base_url\":\"http://h\","
            "\"aws_region\":\"eu-west-1\",\"aws_access_key_id\":null}");
    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_account_args("p:", &allow, r, &a,
                                                  err, sizeof(err)),
                     ADMIND_OK);
    assert_field(&a, "auth", "bearer");
    assert_field(&a, "aws_access_key_id", "");
    admind_redis_args_free(&a);
    json_decref(r);

    /* a type the gateway does not know, a model list it cannot carry */
    r = row("{\"id\":1,\"type\":\"vertex\",\"base_url\":\"http://h\"}");
    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_account_args("p:", &allow, r, &a,
                                                  err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "account 1: unknown type");
    admind_redis_args_free(&a);
    json_decref(r);

    r = row("{\"id\":2,\"type\":\"droid\",\"base_url\":\"http://h\","
            "\"supported_models\":\"[\\\"a\\\\nb\\\"]\"}");
    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_account_args("p:", &allow, r, &a,
                                                  err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "account 2: bad model list or map");
    admind_redis_args_free(&a);
    json_decref(r);

    /* the type's default base URL when the row has none */
    r = row("{\"id\":4,\"type\":\"codex\",\"base_url\":null}");
    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_account_args("p:", &allow, r, &a,
                                                  err, sizeof(err)),
                     ADMIND_OK);
    assert_field(&a, "host", "chatgpt.com");
    assert_field(&a, "path_prefix", "/backend-api/codex");
    admind_redis_args_free(&a);
    json_decref(r);

    /* a base URL that does not parse: not published */
    r = row("{\"id\":1,\"type\":\"droid\",\"base_url\":\"ftp://h\"}");
    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_account_args("p:", &allow, r, &a,
                                                  err, sizeof(err)),
                     ADMIND_ERROR);
    admind_redis_args_free(&a);
    json_decref(r);

    /* an address stored before the policy, or outside today's allowlist */
    r = row("{\"id\":7,\"type\":\"claude-console\","
            "\"base_url\":\"http://127.0.0.1:6379\","
            "\"upstream_addr\":\"127.0.0.1:6379\"}");
    admind_redis_args_init(&a);
    assert_int_equal(admind_hotstate_account_args("p:", &allow, r, &a,
                                                  err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "account 7: refused address 127.0.0.1:6379, "
                        "a loopback address; allow it with outbound_allow "
                        "in admind.conf");
    admind_redis_args_free(&a);
    json_decref(r);
}


static void
test_row_id(void **state)
{
    json_t  *r;

    (void) state;

    r = row("{\"a\":12,\"b\":\"13\",\"c\":null,\"d\":\"x\",\"e\":-1}");
    assert_int_equal(admind_hotstate_row_id(r, "a"), 12);
    assert_int_equal(admind_hotstate_row_id(r, "b"), 13);
    assert_int_equal(admind_hotstate_row_id(r, "c"), 0);
    assert_int_equal(admind_hotstate_row_id(r, "d"), 0);
    assert_int_equal(admind_hotstate_row_id(r, "e"), 0);
    assert_int_equal(admind_hotstate_row_id(r, "missing"), 0);
    json_decref(r);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_account),
        cmocka_unit_test(test_row_id),
    };

    admind_log_set_level(ADMIND_LOG_ERROR);

    return cmocka_run_group_tests(tests, NULL, NULL);
}
