/*
 * cmocka tests: credential envelope and API key format.
 */

#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ql_apikey.h"
#include "ql_crypto.h"


static const char  hex_key[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";


static void
test_master_key_forms(void **state)
{
    ql_master_key_t  a, b;
    unsigned char    raw[32];
    int              i;

    (void) state;

    for (i = 0; i < 32; i++) {
        raw[i] = (unsigned char) i;
    }

    assert_int_equal(ql_master_key_parse((const unsigned char *) hex_key,
                                         strlen(hex_key), &a), 0);
    assert_int_equal(ql_master_key_parse(raw, sizeof(raw), &b), 0);
    assert_memory_equal(a.key, b.key, 32);
    assert_memory_equal(a.id, b.id, 4);

    assert_int_equal(ql_master_key_parse((const unsigned char *) "abc", 3,
                                         &a), -1);
    assert_int_equal(ql_master_key_parse((const unsigned char *)
        "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        64, &a), -1);
}


static void
test_seal_open_roundtrip(void **state)
{
    ql_master_key_t  mk;
    unsigned char    env[128], out[128];
    size_t           env_len, out_len;
    const char      *secret = "sk-ant-api03-secret";

    (void) state;

    assert_int_equal(ql_master_key_parse((const unsigned char *) hex_key,
                                         strlen(hex_key), &mk), 0);
    assert_int_equal(ql_envelope_seal(&mk, (const unsigned char *) "7", 1,
                                      (const unsigned char *) secret,
                                      strlen(secret), env, &env_len), 0);
    assert_int_equal(env_len, strlen(secret) + QL_ENVELOPE_OVERHEAD);
    assert_null(memmem(env, env_len, secret, strlen(secret)));

    assert_int_equal(ql_envelope_open(&mk, (const unsigned char *) "7", 1,
                                      env, env_len, out, &out_len), 0);
    assert_int_equal(out_len, strlen(secret));
    assert_memory_equal(out, secret, out_len);
}


static void
test_open_rejects_tampering(void **state)
{
    ql_master_key_t  mk, other;
    unsigned char    env[128], out[128];
    size_t           env_len, out_len, i;

    (void) state;

    assert_int_equal(ql_master_key_parse((const unsigned char *) hex_key,
                                         strlen(hex_key), &mk), 0);
    memcpy(&other, &mk, sizeof(mk));
    other.key[0] ^= 1;

    assert_int_equal(ql_envelope_seal(&mk, (const unsigned char *) "7", 1,
                                      (const unsigned char *) "token", 5,
                                      env, &env_len), 0);

    /* another account's id as AAD */
    assert_int_equal(ql_envelope_open(&mk, (const unsigned char *) "8", 1,
                                      env, env_len, out, &out_len), -1);
    /* another key with the same id bytes */
    assert_int_equal(ql_envelope_open(&other, (const unsigned char *) "7", 1,
                                      env, env_len, out, &out_len), -1);
    /* every single flipped byte */
    for (i = 0; i < env_len; i++) {
        env[i] ^= 0x40;
        assert_int_equal(ql_envelope_open(&mk, (const unsigned char *) "7",
                                          1, env, env_len, out, &out_len),
                         -1);
        env[i] ^= 0x40;
    }
    /* truncated */
    assert_int_equal(ql_envelope_open(&mk, (const unsigned char *) "7", 1,
                                      env, QL_ENVELOPE_OVERHEAD - 1, out,
                                      &out_len), -1);
}


static void
test_apikey(void **state)
{
    char           key[QL_APIKEY_LEN + 1], key2[QL_APIKEY_LEN + 1];
    unsigned char  d1[64], d2[64];

    (void) state;

    assert_int_equal(ql_apikey_generate(key), 0);
    assert_int_equal(ql_apikey_generate(key2), 0);
    assert_string_not_equal(key, key2);
    assert_true(ql_apikey_valid((unsigned char *) key, strlen(key)));
    assert_int_equal(strncmp(key, "cr_", 3), 0);

    assert_false(ql_apikey_valid((unsigned char *) key, strlen(key) - 1));
    key[10] = 'G';
    assert_false(ql_apikey_valid((unsigned char *) key, strlen(key)));
    assert_false(ql_apikey_valid((unsigned char *) "sk-ant-x", 8));

    /* known answer: SHA-256("abc") */
    assert_int_equal(ql_apikey_digest((unsigned char *) "abc", 3, d1), 0);
    assert_memory_equal(d1,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        64);
    assert_int_equal(ql_apikey_digest((unsigned char *) "abd", 3, d2), 0);
    assert_memory_not_equal(d1, d2, 64);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_master_key_forms),
        cmocka_unit_test(test_seal_open_roundtrip),
        cmocka_unit_test(test_open_rejects_tampering),
        cmocka_unit_test(test_apikey),
    };

    return cmocka_run_group_tests_name("ql_crypto", tests, NULL, NULL);
}
