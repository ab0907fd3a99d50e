/*
 * admind outbound allowlist (outbound_allow): the syntax (addresses and
 * CIDR prefixes, IPv6 in brackets before a port), what is refused and
 * why, and which address and port an entry covers.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "admind_outbound_allow.h"


static admind_outbound_allow_t  allow;


static void
parse_ok(const char *s, unsigned n)
{
    char  err[256];

    if (admind_outbound_allow_parse(s, &allow, err, sizeof(err))
        != ADMIND_OK)
    {
        fail_msg("\"%s\" refused: %s", s, err);
    }

    assert_int_equal(allow.n, n);
}


static int
allowed(const char *addr, unsigned port)
{
    int             family;
    unsigned char   a[16];

    family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(family, addr, a), 1);

    return admind_outbound_allowed(&allow, family, a, port);
}


static void
test_syntax(void **state)
{
    (void) state;

    parse_ok("", 0);
    parse_ok("  ", 0);
    parse_ok("127.0.0.1:8090", 1);
    assert_int_equal(allow.v[0].family, AF_INET);
    assert_int_equal(allow.v[0].bits, 32);
    assert_int_equal(allow.v[0].port, 8090);

    parse_ok("127.0.0.1:8090, 10.1.2.0/24", 2);
    assert_int_equal(allow.v[1].bits, 24);
    assert_int_equal(allow.v[1].port, 0);

    parse_ok("192.168.0.0/16:8443,[::1]:8090 ,fd00::/8,  [fd00::]/8:443", 4);
    assert_int_equal(allow.v[0].port, 8443);
    assert_int_equal(allow.v[1].family, AF_INET6);
    assert_int_equal(allow.v[1].bits, 128);
    assert_int_equal(allow.v[1].port, 8090);
    assert_int_equal(allow.v[2].bits, 8);
    assert_int_equal(allow.v[2].port, 0);
    assert_int_equal(allow.v[3].bits, 8);
    assert_int_equal(allow.v[3].port, 443);

    parse_ok("::1", 1);
    assert_int_equal(allow.v[0].port, 0);
    parse_ok("0.0.0.0/0", 1);
    parse_ok("[::]/0", 1);
}


static void
test_refused(void **state)
{
    size_t  i;
    char    err[256];

    static const struct {
        const char  *list;
        const char  *err;
    } bad[] = {
        { "localhost:8090", "\"localhost:8090\" is not "
          "ADDRESS[/BITS][:PORT] (IPv6 in brackets before a port; no host "
          "names)" },
        { "127.1:80", "\"127.1:80\" is not ADDRESS[/BITS][:PORT] (IPv6 in "
          "brackets before a port; no host names)" },
        { "0x7f000001", NULL },
        { "127.0.0.1:0", NULL },
        { "127.0.0.1:65536", NULL },
        { "127.0.0.1:", NULL },
        { "127.0.0.1/", NULL },
        { "127.0.0.1/33", NULL },
        { "127.0.0.1/8x", NULL },
        { "::1:8090x", NULL },
        { "[::1", NULL },
        { "[::1]x", NULL },
        { "[::1]/129", NULL },
        { "[]:80", NULL },
        { "10.1.2.3/24", "\"10.1.2.3/24\" has bits set past its prefix "
          "length" },
        { "fd00::1/8", "\"fd00::1/8\" has bits set past its prefix "
          "length" },
        { "10.0.0.0/8,", "an empty entry in the list" },
        { ",10.0.0.0/8", "an empty entry in the list" },
        { "10.0.0.0/8,,127.0.0.1", "an empty entry in the list" },
        { "10.0.0.0/8 127.0.0.1", "expected a comma after \"10.0.0.0/8\"" },
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';

        if (admind_outbound_allow_parse(bad[i].list, &allow, err,
                                        sizeof(err))
            != ADMIND_ERROR)
        {
            fail_msg("\"%s\" accepted", bad[i].list);
        }

        if (bad[i].err != NULL && strcmp(err, bad[i].err) != 0) {
            fail_msg("\"%s\": \"%s\", expected \"%s\"", bad[i].list, err,
                     bad[i].err);
        }

        if (err[0] == '\0') {
            fail_msg("\"%s\": no reason", bad[i].list);
        }
    }
}


static void
test_too_many(void **state)
{
    char      list[ADMIND_OUTBOUND_ALLOW_MAX * 16 + 32], err[256];
    size_t    len;
    unsigned  i;

    (void) state;

    len = 0;

    for (i = 0; i <= ADMIND_OUTBOUND_ALLOW_MAX; i++) {
        len += (size_t) snprintf(list + len, sizeof(list) - len,
                                 "%s10.0.%u.1", i ? "," : "", i);
    }

    assert_int_equal(admind_outbound_allow_parse(list, &allow, err,
                                                 sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "more than 64 entries");
}


static void
test_match(void **state)
{
    (void) state;

    parse_ok("127.0.0.1:8090, 10.1.2.0/24, 192.168.0.0/16:8443, [::1]:8090, "
             "fd00::/8", 5);

    assert_true(allowed("127.0.0.1", 8090));
    assert_false(allowed("127.0.0.1", 6379));
    assert_false(allowed("127.0.0.2", 8090));
    assert_true(allowed("10.1.2.0", 80));
    assert_true(allowed("10.1.2.255", 6379));
    assert_false(allowed("10.1.3.1", 80));
    assert_true(allowed("192.168.77.1", 8443));
    assert_false(allowed("192.168.77.1", 443));
    assert_true(allowed("::1", 8090));
    assert_false(allowed("::1", 80));
    assert_true(allowed("fd12::1", 1));
    assert_false(allowed("fe80::1", 1));

    /* an IPv4 entry does not cover the IPv6 spellings of its address */
    assert_false(allowed("::ffff:127.0.0.1", 8090));
    assert_false(allowed("::127.0.0.1", 8090));

    parse_ok("", 0);
    assert_false(allowed("127.0.0.1", 8090));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_match),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
