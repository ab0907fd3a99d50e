/*
 * admind account types: every shared type (ql_account_type.c) has its
 * admind row and only those, joined by name; credentials and the
 * type-specific fields each type takes and requires.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "admind_account_types.h"


static void
test_join(void **state)
{
    size_t                    i;
    admind_account_type_t     t;
    const ql_account_type_t  *q;

    (void) state;

    for (i = 0; (q = ql_account_type_at(i)) != NULL; i++) {
        assert_int_equal(admind_account_type(q->name, &t), ADMIND_OK);
        assert_ptr_equal(t.ql, q);
        assert_true(strcmp(t.credential, "apiKey") == 0
                    || strcmp(t.credential, "accessToken") == 0
                    || strcmp(t.credential, "awsSecretAccessKey") == 0);

        /*
         * OAuth types take a token and its refresh token, others a key;
         * droid's key may be a WorkOS token with its refresh token too
         */
        assert_int_equal(strcmp(t.credential, "accessToken") == 0,
                         q->oauth);
        assert_int_equal((t.takes & ADMIND_ACCOUNT_REFRESH_TOKEN) != 0,
                         q->oauth || strcmp(q->name, "droid") == 0);
        assert_int_equal(t.requires & ~t.takes, 0);
    }

    assert_int_equal(i, 10);

    assert_int_equal(admind_account_type("vertex", &t), ADMIND_DECLINED);
    assert_int_equal(admind_account_type("", &t), ADMIND_DECLINED);
    assert_int_equal(admind_account_type("Codex", &t), ADMIND_DECLINED);
}


static void
test_fields(void **state)
{
    admind_account_type_t  t;

    (void) state;

    assert_int_equal(admind_account_type("codex", &t), ADMIND_OK);
    assert_string_equal(t.ql->platform, "openai");
    assert_string_equal(t.credential, "accessToken");
    assert_int_equal(t.requires, ADMIND_ACCOUNT_CHATGPT_ACCOUNT);

    assert_int_equal(admind_account_type("gemini-oauth", &t), ADMIND_OK);
    assert_int_equal(t.requires, ADMIND_ACCOUNT_PROJECT);

    assert_int_equal(admind_account_type("azure-openai", &t), ADMIND_OK);
    assert_string_equal(t.credential, "apiKey");
    assert_int_equal(t.takes, ADMIND_ACCOUNT_AZURE_DEPLOYMENT
                              | ADMIND_ACCOUNT_AZURE_API_VERSION);
    assert_int_equal(t.requires, 0);
    assert_null(t.ql->base_url);

    assert_int_equal(admind_account_type("claude-console", &t), ADMIND_OK);
    assert_int_equal(t.takes, 0);
    assert_string_equal(t.ql->auth_name, "x-api-key");
    assert_null(t.alt_credential);

    /* an IAM key, or a Bedrock API key instead */
    assert_int_equal(admind_account_type("bedrock", &t), ADMIND_OK);
    assert_string_equal(t.credential, "awsSecretAccessKey");
    assert_string_equal(t.alt_credential, "apiKey");
    assert_int_equal(t.requires, ADMIND_ACCOUNT_AWS_REGION);
    assert_int_equal(t.ql->auth, QL_AUTH_SIGV4);
    assert_null(t.ql->base_url);
}


static void
test_names(void **state)
{
    char  names[256], small[20];

    (void) state;

    assert_true(admind_account_type_is_credential("apiKey"));
    assert_true(admind_account_type_is_credential("accessToken"));
    assert_true(admind_account_type_is_credential("awsSecretAccessKey"));
    assert_false(admind_account_type_is_credential("refreshToken"));
    assert_false(admind_account_type_is_credential("projectId"));

    admind_account_type_names(names, sizeof(names));
    assert_string_equal(names, "claude-console, claude-official, ccr, "
                        "openai, codex, azure-openai, gemini, "
                        "gemini-oauth, droid, bedrock");

    /* cut, never overrun */
    admind_account_type_names(small, sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
