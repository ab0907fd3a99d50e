/*
 * admind secret files: master key (raw or hex), JWT secret length,
 * one-line password files, size limits.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "admind_log.h"
#include "admind_secret.h"


static char  path[64];


static void
write_file(const void *data, size_t len)
{
    FILE  *f;

    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    chmod(path, 0600);
}


static int
setup(void **state)
{
    int  fd;

    (void) state;

    strcpy(path, "/tmp/test_admind_secret_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);

    return 0;
}


static int
teardown(void **state)
{
    (void) state;

    unlink(path);
    return 0;
}


static void
test_master_key_hex(void **state)
{
    char             err[ADMIND_ERRLEN];
    size_t           i;
    ql_master_key_t  mk;

    static const char  hex[] =
        "000102030405060708090a0b0c0d0e0f"
        "101112131415161718191A1B1C1D1E1F\n";

    (void) state;

    write_file(hex, strlen(hex));
    assert_int_equal(admind_secret_master_key(path, &mk, err, sizeof(err)),
                     ADMIND_OK);

    for (i = 0; i < 32; i++) {
        assert_int_equal(mk.key[i], i);
    }
}


static void
test_master_key_raw(void **state)
{
    char             err[ADMIND_ERRLEN];
    unsigned char    raw[32];
    ql_master_key_t  mk;

    (void) state;

    /* a raw key may end in '\n': it is not trimmed */
    memset(raw, 0xab, sizeof(raw));
    raw[31] = '\n';

    write_file(raw, sizeof(raw));
    assert_int_equal(admind_secret_master_key(path, &mk, err, sizeof(err)),
                     ADMIND_OK);
    assert_memory_equal(mk.key, raw, sizeof(raw));
}


static void
test_master_key_invalid(void **state)
{
    char             err[ADMIND_ERRLEN], buf[100];
    ql_master_key_t  mk;

    (void) state;

    write_file("short", 5);
    assert_int_equal(admind_secret_master_key(path, &mk, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "32 raw bytes or 64 hex digits"));

    memset(buf, 'g', 64);
    write_file(buf, 64);
    assert_int_equal(admind_secret_master_key(path, &mk, err, sizeof(err)),
                     ADMIND_ERROR);

    memset(buf, 'a', 66);
    write_file(buf, 66);
    assert_int_equal(admind_secret_master_key(path, &mk, err, sizeof(err)),
                     ADMIND_ERROR);

    write_file("", 0);
    assert_int_equal(admind_secret_master_key(path, &mk, err, sizeof(err)),
                     ADMIND_ERROR);

    assert_int_equal(admind_secret_master_key("/nonexistent/key", &mk, err,
                                              sizeof(err)), ADMIND_ERROR);
    assert_non_null(strstr(err, "/nonexistent/key"));

    assert_int_equal(admind_secret_master_key("/tmp", &mk, err,
                                              sizeof(err)), ADMIND_ERROR);
    assert_non_null(strstr(err, "not a regular file"));
}


static void
test_jwt_secret(void **state)
{
    char            err[ADMIND_ERRLEN], buf[64];
    size_t          len;
    unsigned char  *secret;

    (void) state;

    memset(buf, 'k', 32);
    buf[32] = '\n';
    write_file(buf, 33);

    assert_int_equal(admind_secret_jwt(path, &secret, &len, err,
                                       sizeof(err)), ADMIND_OK);
    assert_int_equal(len, 32);
    assert_memory_equal(secret, buf, 32);
    admind_secret_free(secret, len);

    /* 31 bytes plus newline: too short for HS256 */
    write_file(buf + 1, 32);
    assert_int_equal(admind_secret_jwt(path, &secret, &len, err,
                                       sizeof(err)), ADMIND_ERROR);
    assert_non_null(strstr(err, "at least 32 bytes"));
}


static void
test_read_line(void **state)
{
    char    err[ADMIND_ERRLEN], *line;
    size_t  len;

    (void) state;

    write_file("pass word\r\n", 11);
    assert_int_equal(admind_secret_read_line(path, &line, &len, err,
                                             sizeof(err)), ADMIND_OK);
    assert_int_equal(len, 9);
    assert_string_equal(line, "pass word");
    admind_secret_free(line, len);

    /* only one trailing newline is removed; spaces are kept */
    write_file(" x \n", 4);
    assert_int_equal(admind_secret_read_line(path, &line, &len, err,
                                             sizeof(err)), ADMIND_OK);
    assert_string_equal(line, " x ");
    admind_secret_free(line, len);

    write_file("\n", 1);
    assert_int_equal(admind_secret_read_line(path, &line, &len, err,
                                             sizeof(err)), ADMIND_ERROR);
    assert_non_null(strstr(err, "empty"));

    write_file("a\nb\n", 4);
    assert_int_equal(admind_secret_read_line(path, &line, &len, err,
                                             sizeof(err)), ADMIND_ERROR);

    write_file("a\0b", 3);
    assert_int_equal(admind_secret_read_line(path, &line, &len, err,
                                             sizeof(err)), ADMIND_ERROR);
}


static void
test_size_limit(void **state)
{
    char            err[ADMIND_ERRLEN], buf[ADMIND_SECRET_FILE_MAX + 1];
    size_t          len;
    unsigned char  *data;

    (void) state;

    memset(buf, 'x', sizeof(buf));
    write_file(buf, sizeof(buf));

    assert_int_equal(admind_secret_read(path, ADMIND_SECRET_FILE_MAX, &data,
                                        &len, err, sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "larger than"));

    assert_int_equal(admind_secret_read(path, sizeof(buf), &data, &len, err,
                                        sizeof(err)), ADMIND_OK);
    assert_int_equal(len, sizeof(buf));
    assert_int_equal(data[len], '\0');
    admind_secret_free(data, len);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_master_key_hex, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_master_key_raw, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_master_key_invalid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_jwt_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_limit, setup, teardown),
    };

    /* secrets must not be reported, but warnings would clutter output */
    admind_log_set_level(ADMIND_LOG_ERROR);

    return cmocka_run_group_tests(tests, NULL, NULL);
}
