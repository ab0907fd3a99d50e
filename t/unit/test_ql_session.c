/*
 * cmocka tests: the sticky-session hash and where it comes from.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ql_json_valid.h"
#include "ql_session.h"


/* the members located as the gateway locates them (ql_json_valid) */
static int
hash_of(const char *json, const char *id, char out[QL_SESSION_HEX])
{
    const char            *dup;
    ql_json_span_t         m[6];
    ql_session_request_t   req;
    static const char     *names[] = {
        "metadata", "prompt_cache_key", "system", "messages",
        "systemInstruction", "contents", NULL
    };

    if (json == NULL) {
        return ql_session_hash(NULL, (const unsigned char *) id,
                               id ? strlen(id) : 0, out);
    }

    /* the gateway refuses what is not an object before any session */
    if (ql_json_valid_object((const unsigned char *) json, strlen(json),
                             names, m, &dup)
        != QL_JSON_OK)
    {
        return 0;
    }

    req.body = (const unsigned char *) json;
    req.metadata = m[0];
    req.prompt_cache_key = m[1];
    req.system = m[2];
    req.messages = m[3];
    req.system_instruction = m[4];
    req.contents = m[5];

    return ql_session_hash(&req, (const unsigned char *) id,
                           id ? strlen(id) : 0, out);
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
