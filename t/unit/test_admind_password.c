/*
 * admind password hashing: bcrypt $2b$ format and cost, verification,
 * refusal of passwords bcrypt would silently change, malformed hashes.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "admind_password.h"


/* the lowest cost keeps the tests fast; the format is the same */
#define COST  ADMIND_PASSWORD_MIN_COST


static void
test_hash_format(void **state)
{
    char  h[ADMIND_PASSWORD_HASH_LEN];

    (void) state;

    assert_int_equal(admind_password_hash("correct horse", 13, COST, h,
                                          sizeof(h)), ADMIND_OK);
    assert_int_equal(strncmp(h, "$2b$04$", 7), 0);
    assert_int_equal(strlen(h), 60);
}


static void
test_default_cost(void **state)
{
    char  h[ADMIND_PASSWORD_HASH_LEN];

    (void) state;

    /* cost 0 means the production cost, 12 */
    assert_int_equal(admind_password_hash("pw-default-cost", 15, 0, h,
                                          sizeof(h)), ADMIND_OK);
    assert_int_equal(strncmp(h, "$2b$12$", 7), 0);
    assert_int_equal(admind_password_verify("pw-default-cost", 15, h), 1);
}


static void
test_verify(void **state)
{
    char  h[ADMIND_PASSWORD_HASH_LEN];

    (void) state;

    assert_int_equal(admind_password_hash("s3cret!", 7, COST, h, sizeof(h)),
                     ADMIND_OK);

    assert_int_equal(admind_password_verify("s3cret!", 7, h), 1);
    assert_int_equal(admind_password_verify("s3cret", 6, h), 0);
    assert_int_equal(admind_password_verify("s3cret!!", 8, h), 0);
    assert_int_equal(admind_password_verify("S3cret!", 7, h), 0);
}


static void
test_salted(void **state)
{
    char  a[ADMIND_PASSWORD_HASH_LEN], b[ADMIND_PASSWORD_HASH_LEN];

    (void) state;

    assert_int_equal(admind_password_hash("same", 4, COST, a, sizeof(a)),
                     ADMIND_OK);
    assert_int_equal(admind_password_hash("same", 4, COST, b, sizeof(b)),
                     ADMIND_OK);
    assert_string_not_equal(a, b);
    assert_int_equal(admind_password_verify("same", 4, a), 1);
    assert_int_equal(admind_password_verify("same", 4, b), 1);
}


static void
test_refused_passwords(void **state)
{
    char  h[ADMIND_PASSWORD_HASH_LEN], long_pw[100];

    (void) state;

    memset(long_pw, 'a', sizeof(long_pw));

    assert_int_equal(admind_password_hash("", 0, COST, h, sizeof(h)),
                     ADMIND_ERROR);
    assert_int_equal(admind_password_hash("a\0b", 3, COST, h, sizeof(h)),
                     ADMIND_ERROR);
    assert_int_equal(admind_password_hash(long_pw, 73, COST, h, sizeof(h)),
                     ADMIND_ERROR);
    assert_int_equal(admind_password_hash(long_pw, 72, COST, h, sizeof(h)),
                     ADMIND_OK);

    /* bcrypt would ignore byte 73: the longer password must not verify */
    assert_int_equal(admind_password_verify(long_pw, 73, h), 0);
    assert_int_equal(admind_password_verify(long_pw, 72, h), 1);

    assert_int_equal(admind_password_hash("x", 1, 3, h, sizeof(h)),
                     ADMIND_ERROR);
    assert_int_equal(admind_password_hash("x", 1, 32, h, sizeof(h)),
                     ADMIND_ERROR);
    assert_int_equal(admind_password_hash("x", 1, COST, h, 20),
                     ADMIND_ERROR);
}


static void
test_malformed_hashes(void **state)
{
    char  h[ADMIND_PASSWORD_HASH_LEN];

    (void) state;

    assert_int_equal(admind_password_verify("pw", 2, NULL), 0);
    assert_int_equal(admind_password_verify("pw", 2, ""), 0);
    assert_int_equal(admind_password_verify("pw", 2, "*0"), 0);
    assert_int_equal(admind_password_verify("pw", 2, "$2b$04$short"), 0);

    /* a DES or MD5 crypt hash must never verify, even if it matches */
    assert_int_equal(admind_password_verify("pw", 2, "abJnggxhB/yWI"), 0);
    assert_int_equal(admind_password_verify("pw", 2,
                         "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"), 0);

    assert_int_equal(admind_password_hash("pw", 2, COST, h, sizeof(h)),
                     ADMIND_OK);

    /* a damaged hash fails closed */
    h[40] = h[40] == 'a' ? 'b' : 'a';
    assert_int_equal(admind_password_verify("pw", 2, h), 0);
    h[59] = '\0';
    assert_int_equal(admind_password_verify("pw", 2, h), 0);
}


static void
test_known_vector(void **state)
{
    (void) state;

    /* from the OpenBSD bcrypt test vectors */
    assert_int_equal(admind_password_verify("U*U", 3,
        "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"), 1);
    assert_int_equal(admind_password_verify("U*U*", 4,
        "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_hash_format),
        cmocka_unit_test(test_default_cost),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_salted),
        cmocka_unit_test(test_refused_passwords),
        cmocka_unit_test(test_malformed_hashes),
        cmocka_unit_test(test_known_vector),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
