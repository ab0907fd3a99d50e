/*
 * admind webhook signatures: the generic HMAC header, Feishu's and
 * DingTalk's signs, against values computed apart (Python's hmac).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "admind_webhook_sign.h"


static void
test_generic(void **state)
{
    char  sig[ADMIND_WEBHOOK_SIG_LEN];

    (void) state;

    assert_int_equal(admind_webhook_sign_generic("key", "1700000000",
                                                 "{\"a\":1}", sig),
                     ADMIND_OK);
    assert_string_equal(sig, "sha256=a438e398bfafc57e4396bb7fc2304422f0f768"
                        "e965d073ca313cb52e22e6ad03");

    /* the timestamp is signed too: another one, another signature */
    assert_int_equal(admind_webhook_sign_generic("key", "1700000001",
                                                 "{\"a\":1}", sig),
                     ADMIND_OK);
    assert_string_not_equal(sig, "sha256=a438e398bfafc57e4396bb7fc2304422f0"
                            "f768e965d073ca313cb52e22e6ad03");
}


static void
test_feishu(void **state)
{
    char  sig[ADMIND_WEBHOOK_SIG64_LEN];

    (void) state;

    assert_int_equal(admind_webhook_sign_feishu("sec", "1700000000", sig),
                     ADMIND_OK);
    assert_string_equal(sig, "ttGYnPblC3CcNExnS7y5igm57JhpqZJtHpJ+TURiUeg=");
}


static void
test_dingtalk(void **state)
{
    char  sig[ADMIND_WEBHOOK_SIG64_LEN];

    (void) state;

    assert_int_equal(admind_webhook_sign_dingtalk("SEC1", "1700000000000",
                                                  sig),
                     ADMIND_OK);
    assert_string_equal(sig, "ukR4+WoOOBTGaOauYqugxVrMSFyr92q4hPxJxuOkiio=");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_generic),
        cmocka_unit_test(test_feishu),
        cmocka_unit_test(test_dingtalk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
