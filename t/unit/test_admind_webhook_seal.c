/*
 * admind webhook secrets at rest: an envelope opens only for its own
 * webhook and column, never as an account credential.
 */

#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admind_cred.h"
#include "admind_webhook_seal.h"


static void
test_seal(void **state)
{
    char             *hex, *plain;
    size_t            len, i;
    unsigned char    *env;
    ql_master_key_t   mk;

    static const char  url[] = "https://hooks.slack.com/services/T/B/XYZ";

    (void) state;

    memset(&mk, 0, sizeof(mk));
    memset(mk.key, 9, sizeof(mk.key));

    assert_int_equal(admind_webhook_seal(&mk, 5, ADMIND_WEBHOOK_SEAL_URL,
                                         url, &env, &len),
                     ADMIND_OK);
    assert_int_equal(len, strlen(url) + QL_ENVELOPE_OVERHEAD);
    assert_null(memmem(env, len, "XYZ", 3));

    /* as admind_db_select() gives a binary column: hex */
    hex = malloc(2 * len + 1);
    assert_non_null(hex);

    for (i = 0; i < len; i++) {
        snprintf(hex + 2 * i, 3, "%02x", env[i]);
    }

    plain = admind_webhook_open(&mk, 5, ADMIND_WEBHOOK_SEAL_URL, hex);
    assert_non_null(plain);
    assert_string_equal(plain, url);
    free(plain);

    /* another webhook, the other column, an account: it does not open */
    assert_null(admind_webhook_open(&mk, 6, ADMIND_WEBHOOK_SEAL_URL, hex));
    assert_null(admind_webhook_open(&mk, 5, ADMIND_WEBHOOK_SEAL_SECRET,
                                    hex));
    assert_null(admind_cred_open(&mk, 5, env, len));

    /* nor with another key, nor anything that is no envelope */
    mk.key[0] ^= 1;
    assert_null(admind_webhook_open(&mk, 5, ADMIND_WEBHOOK_SEAL_URL, hex));
    assert_null(admind_webhook_open(&mk, 5, ADMIND_WEBHOOK_SEAL_URL, "00"));
    assert_null(admind_webhook_open(&mk, 5, ADMIND_WEBHOOK_SEAL_URL, NULL));

    free(hex);
    free(env);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_seal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
