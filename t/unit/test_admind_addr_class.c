/*
 * admind address classes for the outbound URL policy: every IPv4 and
 * IPv6 range it refuses, the IPv6 forms that carry an IPv4 address
 * (mapped, compatible, NAT64, 6to4) classified by what they carry, and
 * public addresses on either side of each range's edge.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "admind_addr_class.h"


typedef struct {
    const char           *addr;
    admind_addr_class_e   cls;
    const char           *form;
} addr_case_t;


static void
check(const addr_case_t *c, size_t n)
{
    int             family;
    size_t          i;
    const char     *form;
    unsigned char   a[16];
    admind_addr_class_e  got;

    for (i = 0; i < n; i++) {
        family = strchr(c[i].addr, ':') ? AF_INET6 : AF_INET;

        if (inet_pton(family, c[i].addr, a) != 1) {
            fail_msg("bad test address %s", c[i].addr);
        }

        got = admind_addr_classify(family, a, &form);

        if (got != c[i].cls) {
            fail_msg("%s: %s, expected %s", c[i].addr,
                     admind_addr_class_name(got),
                     admind_addr_class_name(c[i].cls));
        }

        if ((form == NULL) != (c[i].form == NULL)
            || (form != NULL && strcmp(form, c[i].form) != 0))
        {
            fail_msg("%s: form %s, expected %s", c[i].addr,
                     form ? form : "none", c[i].form ? c[i].form : "none");
        }
    }
}


static void
test_ipv4(void **state)
{
    static const addr_case_t  cases[] = {
        { "0.0.0.0", ADMIND_ADDR_UNSPECIFIED, NULL },
        { "0.1.2.3", ADMIND_ADDR_RESERVED, NULL },
        { "127.0.0.1", ADMIND_ADDR_LOOPBACK, NULL },
        { "127.255.255.254", ADMIND_ADDR_LOOPBACK, NULL },
        { "10.0.0.1", ADMIND_ADDR_PRIVATE, NULL },
        { "10.255.255.255", ADMIND_ADDR_PRIVATE, NULL },
        { "172.16.0.1", ADMIND_ADDR_PRIVATE, NULL },
        { "172.31.255.255", ADMIND_ADDR_PRIVATE, NULL },
        { "172.15.255.255", ADMIND_ADDR_PUBLIC, NULL },
        { "172.32.0.0", ADMIND_ADDR_PUBLIC, NULL },
        { "192.168.1.1", ADMIND_ADDR_PRIVATE, NULL },
        { "192.169.0.1", ADMIND_ADDR_PUBLIC, NULL },
        { "169.254.169.254", ADMIND_ADDR_LINK_LOCAL, NULL },
        { "169.253.255.255", ADMIND_ADDR_PUBLIC, NULL },
        { "100.64.0.1", ADMIND_ADDR_SHARED, NULL },
        { "100.127.255.255", ADMIND_ADDR_SHARED, NULL },
        { "100.63.255.255", ADMIND_ADDR_PUBLIC, NULL },
        { "100.128.0.0", ADMIND_ADDR_PUBLIC, NULL },
        { "224.0.0.1", ADMIND_ADDR_MULTICAST, NULL },
        { "239.255.255.255", ADMIND_ADDR_MULTICAST, NULL },
        { "255.255.255.255", ADMIND_ADDR_BROADCAST, NULL },
        { "240.0.0.1", ADMIND_ADDR_RESERVED, NULL },
        { "192.0.0.170", ADMIND_ADDR_RESERVED, NULL },
        { "192.0.2.1", ADMIND_ADDR_RESERVED, NULL },
        { "198.18.0.1", ADMIND_ADDR_RESERVED, NULL },
        { "198.51.100.1", ADMIND_ADDR_RESERVED, NULL },
        { "203.0.113.1", ADMIND_ADDR_RESERVED, NULL },
        { "8.8.8.8", ADMIND_ADDR_PUBLIC, NULL },
        { "160.79.104.10", ADMIND_ADDR_PUBLIC, NULL },
        { "1.1.1.1", ADMIND_ADDR_PUBLIC, NULL },
        { "223.255.255.255", ADMIND_ADDR_PUBLIC, NULL },
    };

    (void) state;

    check(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_ipv6(void **state)
{
    static const addr_case_t  cases[] = {
        { "::", ADMIND_ADDR_UNSPECIFIED, NULL },
        { "::1", ADMIND_ADDR_LOOPBACK, NULL },
        { "fc00::1", ADMIND_ADDR_PRIVATE, NULL },
        { "fd12:3456::1", ADMIND_ADDR_PRIVATE, NULL },
        { "fe80::1", ADMIND_ADDR_LINK_LOCAL, NULL },
        { "febf::1", ADMIND_ADDR_LINK_LOCAL, NULL },
        { "fec0::1", ADMIND_ADDR_PRIVATE, NULL },
        { "ff02::1", ADMIND_ADDR_MULTICAST, NULL },
        { "2001:db8::1", ADMIND_ADDR_RESERVED, NULL },
        { "2001::1", ADMIND_ADDR_RESERVED, NULL },
        { "100::1", ADMIND_ADDR_RESERVED, NULL },
        { "64:ff9b:1::a00:1", ADMIND_ADDR_PRIVATE, NULL },
        { "2606:4700::1111", ADMIND_ADDR_PUBLIC, NULL },
        { "2a00:1450:4001::200e", ADMIND_ADDR_PUBLIC, NULL },
        { "fbff::1", ADMIND_ADDR_PUBLIC, NULL },
    };

    (void) state;

    check(cases, sizeof(cases) / sizeof(cases[0]));
}


/* the IPv6 spellings of an IPv4 address are what they carry */
static void
test_embedded_ipv4(void **state)
{
    static const addr_case_t  cases[] = {
        { "::ffff:127.0.0.1", ADMIND_ADDR_LOOPBACK, "IPv4-mapped" },
        { "::ffff:7f00:1", ADMIND_ADDR_LOOPBACK, "IPv4-mapped" },
        { "::ffff:10.0.0.1", ADMIND_ADDR_PRIVATE, "IPv4-mapped" },
        { "::ffff:169.254.169.254", ADMIND_ADDR_LINK_LOCAL, "IPv4-mapped" },
        { "::ffff:0.0.0.0", ADMIND_ADDR_UNSPECIFIED, "IPv4-mapped" },
        { "::ffff:100.64.0.1", ADMIND_ADDR_SHARED, "IPv4-mapped" },
        { "::ffff:8.8.8.8", ADMIND_ADDR_PUBLIC, "IPv4-mapped" },
        { "::ffff:0:127.0.0.1", ADMIND_ADDR_LOOPBACK, "IPv4-mapped" },
        { "::127.0.0.1", ADMIND_ADDR_LOOPBACK, "IPv4-compatible" },
        { "::10.0.0.1", ADMIND_ADDR_PRIVATE, "IPv4-compatible" },
        { "::8.8.8.8", ADMIND_ADDR_RESERVED, "IPv4-compatible" },
        { "64:ff9b::127.0.0.1", ADMIND_ADDR_LOOPBACK, "NAT64" },
        { "64:ff9b::a9fe:a9fe", ADMIND_ADDR_LINK_LOCAL, "NAT64" },
        { "64:ff9b::c0a8:101", ADMIND_ADDR_PRIVATE, "NAT64" },
        { "64:ff9b::808:808", ADMIND_ADDR_PUBLIC, "NAT64" },
        { "2002:7f00:1::", ADMIND_ADDR_LOOPBACK, "6to4" },
        { "2002:a00:1::1", ADMIND_ADDR_PRIVATE, "6to4" },
        { "2002:808:808::1", ADMIND_ADDR_PUBLIC, "6to4" },
    };

    (void) state;

    check(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_names(void **state)
{
    (void) state;

    assert_string_equal(admind_addr_class_name(ADMIND_ADDR_PRIVATE),
                        "private address");
    assert_string_equal(admind_addr_class_name(ADMIND_ADDR_SHARED),
                        "carrier-grade NAT address");
    assert_string_equal(admind_addr_class_name(ADMIND_ADDR_UNSPECIFIED),
                        "unspecified address");
    assert_string_equal(admind_addr_class_name(ADMIND_ADDR_BROADCAST),
                        "broadcast address");
}


static void
test_prefix(void **state)
{
    static const unsigned char  net[4] = { 10, 1, 2, 0 };
    static const unsigned char  in[4] = { 10, 1, 2, 200 };
    static const unsigned char  out[4] = { 10, 1, 3, 1 };

    (void) state;

    assert_true(admind_addr_in_prefix(in, net, 24));
    assert_false(admind_addr_in_prefix(out, net, 24));
    assert_true(admind_addr_in_prefix(out, net, 23));
    assert_true(admind_addr_in_prefix(out, net, 0));
    assert_false(admind_addr_in_prefix(in, net, 32));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_embedded_ipv4),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_prefix),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
