/*
 * cmocka tests: the sticky-session hash and where it comes from.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ql_session.h"


static int
hash_of(const char *json, const char *id, char out[QL_SESSION_HEX])
{
    int            rc;
    json_t        *root;
    json_error_t   err;

    root = json ? json_loads(json, 0, &err) : NULL;
    rc = ql_session_hash(root, (const unsigned char *) id,
                         id ? strlen(id) : 0, out);
    json_decref(root);

    return rc;
}


static void
test_sources(void **state)
{
    char  a[QL_SESSION_HEX], b[QL_SESSION_HEX];

    (void) state;

    /* Claude Code's session id, wherever it sits in user_id */
    assert_true(hash_of("{\"metadata\":{\"user_id\":\"user_x_account_y"
                        "_session_abc\"}}", NULL, a));
    assert_true(hash_of("{\"metadata\":{\"user_id\":\"user_z_account_w"
                        "_session_abc\"}}", NULL, b));
    assert_memory_equal(a, b, QL_SESSION_HEX);

    /* OpenAI's prompt_cache_key, and the same id from a header */
    assert_true(hash_of("{\"prompt_cache_key\":\"abc\",\"input\":\"x\"}",
                        NULL, b));
    assert_memory_equal(a, b, QL_SESSION_HEX);
    assert_true(hash_of(NULL, "abc", b));
    assert_memory_equal(a, b, QL_SESSION_HEX);

    /* a header id wins over the body */
    assert_true(hash_of("{\"prompt_cache_key\":\"other\"}", "abc", b));
    assert_memory_equal(a, b, QL_SESSION_HEX);

    assert_true(hash_of("{\"prompt_cache_key\":\"other\"}", NULL, b));
    assert_memory_not_equal(a, b, QL_SESSION_HEX);

    /* Gemini: system instruction, else the first content */
    assert_true(hash_of("{\"systemInstruction\":{\"parts\":[{\"text\":"
                        "\"abc\"}]},\"contents\":[]}", NULL, b));
    assert_memory_equal(a, b, QL_SESSION_HEX);
    assert_true(hash_of("{\"contents\":[{\"role\":\"user\",\"parts\":"
                        "[{\"text\":\"abc\"}]},{\"parts\":[{\"text\":"
                        "\"x\"}]}]}", NULL, b));
    assert_memory_equal(a, b, QL_SESSION_HEX);

    /* nothing to go by */
    assert_false(hash_of("{\"prompt_cache_key\":\"\"}", NULL, b));
    assert_false(hash_of("{\"input\":\"x\"}", NULL, b));
    assert_false(hash_of(NULL, NULL, b));
    assert_false(hash_of("[1]", NULL, b));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_sources),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
