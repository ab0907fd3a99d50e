/*
 * admind account credentials: sealed envelopes open only with the
 * account's own id as AAD, masked hints, versions that change with every
 * seal.
 */

#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admind_cred.h"


static void
test_seal(void **state)
{
    char             v1[ADMIND_CRED_VERSION_LEN + 1];
    char             v2[ADMIND_CRED_VERSION_LEN + 1];
    size_t           len, len2, plen;
    unsigned char   *env, *env2, plain[64];
    ql_master_key_t  mk;

    static const char  secret[] = "sk-ant-api03-secret-value-0123";

    (void) state;

    memset(&mk, 0, sizeof(mk));
    memset(mk.key, 7, sizeof(mk.key));

    assert_int_equal(admind_cred_seal(&mk, 12, secret, strlen(secret), &env,
                                      &len),
                     ADMIND_OK);
    assert_int_equal(len, strlen(secret) + QL_ENVELOPE_OVERHEAD);
    assert_null(memmem(env, len, secret, strlen(secret)));

    assert_int_equal(ql_envelope_open(&mk, (unsigned char *) "12", 2, env,
                                      len, plain, &plen),
                     0);
    assert_int_equal(plen, strlen(secret));
    assert_memory_equal(plain, secret, plen);

    /* moved to another account, it does not open */
    assert_int_equal(ql_envelope_open(&mk, (unsigned char *) "13", 2, env,
                                      len, plain, &plen),
                     -1);
    assert_int_equal(ql_envelope_open(&mk, (unsigned char *) "012", 3, env,
                                      len, plain, &plen),
                     -1);

    /* every seal is a new envelope, hence a new version */
    assert_int_equal(admind_cred_seal(&mk, 12, secret, strlen(secret), &env2,
                                      &len2),
                     ADMIND_OK);
    admind_cred_version(env, len, v1);
    admind_cred_version(env2, len2, v2);
    assert_int_equal(strlen(v1), ADMIND_CRED_VERSION_LEN);
    assert_string_not_equal(v1, v2);

    /* and a stable one for the same envelope */
    admind_cred_version(env, len, v2);
    assert_string_equal(v1, v2);

    free(env);
    free(env2);
}


static void
test_aad(void **state)
{
    char  buf[24];

    (void) state;

    assert_int_equal(admind_cred_aad(1, buf), 1);
    assert_string_equal(buf, "1");
    assert_int_equal(admind_cred_aad(9223372036854775807ULL, buf), 19);
    assert_string_equal(buf, "9223372036854775807");
}


static void
test_hint(void **state)
{
    char  hint[ADMIND_CRED_HINT_LEN];

    (void) state;

    admind_cred_hint("sk-ant-api03-abcdefghijklmnop-wxyz", 34, hint);
    assert_string_equal(hint, "sk-ant-...wxyz");

    admind_cred_hint("AbCdEfGhIjKlMnOpQrStUvWxYz", 26, hint);
    assert_string_equal(hint, "...WxYz");

    /* short secrets show nothing at all */
    admind_cred_hint("sk-ant-short", 12, hint);
    assert_string_equal(hint, "...");

    /* the prefix stops at 8 characters: no secret part leaks through it */
    admind_cred_hint("abcdefghijklmnopqrstuvwxyz-0123", 31, hint);
    assert_string_equal(hint, "...0123");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_seal),
        cmocka_unit_test(test_aad),
        cmocka_unit_test(test_hint),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
