/*
 * admind outbound URL policy: every form of issue 11's finding 4 (cloud
 * metadata, private, loopback on another service's port, [::1], hex,
 * integer and octal hosts, 0.0.0.0, IPv4-mapped) refused with a message
 * naming the field, the address and why; the allowlist letting exactly
 * its entries through; the address handed back to connect to; names
 * resolved and checked; and the check of a stored address.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "admind_outbound.h"


#define HINT  "; allow it with outbound_allow in admind.conf"


static admind_outbound_allow_t  allow;


static void
allow_list(const char *s)
{
    char  err[256];

    if (admind_outbound_allow_parse(s, &allow, err, sizeof(err))
        != ADMIND_OK)
    {
        fail_msg("allowlist \"%s\": %s", s, err);
    }
}


static void
refused(const char *url, const char *expected)
{
    char              addr[ADMIND_BASEURL_ADDR], err[512];
    admind_baseurl_t  u;

    err[0] = '\0';

    if (admind_outbound_url(&allow, "baseUrl", url, NULL, &u, addr,
                            sizeof(addr), err, sizeof(err))
        != ADMIND_ERROR)
    {
        fail_msg("\"%s\" accepted as %s", url, addr);
    }

    if (strcmp(err, expected) != 0) {
        fail_msg("\"%s\": \"%s\", expected \"%s\"", url, err, expected);
    }
}


static void
accepted(const char *url, const char *expected)
{
    char              addr[ADMIND_BASEURL_ADDR], err[512];
    admind_baseurl_t  u;

    if (admind_outbound_url(&allow, "baseUrl", url, NULL, &u, addr,
                            sizeof(addr), err, sizeof(err))
        != ADMIND_OK)
    {
        fail_msg("\"%s\" refused: %s", url, err);
    }

    assert_string_equal(addr, expected);
}


static void
test_finding_forms(void **state)
{
    (void) state;

    allow_list("");

    refused("http://169.254.169.254/latest/meta-data",
            "field \"baseUrl\" resolves to 169.254.169.254:80, a link-local "
            "address" HINT);
    refused("http://10.0.0.1", "field \"baseUrl\" resolves to 10.0.0.1:80, "
            "a private address" HINT);
    refused("http://127.0.0.1:6379", "field \"baseUrl\" resolves to "
            "127.0.0.1:6379, a loopback address" HINT);
    refused("https://[::1]", "field \"baseUrl\" resolves to [::1]:443, a "
            "loopback address" HINT);
    refused("http://0.0.0.0:6379", "field \"baseUrl\" resolves to "
            "0.0.0.0:6379, an unspecified address" HINT);
    refused("http://[::ffff:127.0.0.1]:6379", "field \"baseUrl\" resolves "
            "to [::ffff:127.0.0.1]:6379, an IPv4-mapped loopback address"
            HINT);

    /* what resolvers read as 127.0.0.1 never gets to one */
    refused("http://0x7f000001", "field \"baseUrl\" has a numeric host that "
            "is not a plain dotted-decimal IPv4 address (no hex, octal, "
            "integer or short forms)");
    refused("http://2130706433:6379", "field \"baseUrl\" has a numeric host "
            "that is not a plain dotted-decimal IPv4 address (no hex, "
            "octal, integer or short forms)");
    refused("http://0177.0.0.1", "field \"baseUrl\" has a numeric host that "
            "is not a plain dotted-decimal IPv4 address (no hex, octal, "
            "integer or short forms)");
}


static void
test_other_ranges(void **state)
{
    (void) state;

    allow_list("");

    refused("http://100.64.1.1", "field \"baseUrl\" resolves to "
            "100.64.1.1:80, a carrier-grade NAT address" HINT);
    refused("http://224.0.0.251", "field \"baseUrl\" resolves to "
            "224.0.0.251:80, a multicast address" HINT);
    refused("http://255.255.255.255", "field \"baseUrl\" resolves to "
            "255.255.255.255:80, a broadcast address" HINT);
    refused("http://[::]", "field \"baseUrl\" resolves to [::]:80, an "
            "unspecified address" HINT);
    refused("http://[fd00::1]", "field \"baseUrl\" resolves to [fd00::1]:80, "
            "a private address" HINT);
    refused("http://[fe80::1]", "field \"baseUrl\" resolves to [fe80::1]:80, "
            "a link-local address" HINT);
    refused("http://[ff02::1]", "field \"baseUrl\" resolves to [ff02::1]:80, "
            "a multicast address" HINT);
    refused("http://[::127.0.0.1]", "field \"baseUrl\" resolves to "
            "[::127.0.0.1]:80, an IPv4-compatible loopback address" HINT);
    refused("http://[64:ff9b::a9fe:a9fe]", "field \"baseUrl\" resolves to "
            "[64:ff9b::a9fe:a9fe]:80, a NAT64 link-local address" HINT);
    refused("http://[2002:c0a8:101::]", "field \"baseUrl\" resolves to "
            "[2002:c0a8:101::]:80, a 6to4 private address" HINT);
    refused("http://192.0.2.1", "field \"baseUrl\" resolves to "
            "192.0.2.1:80, a reserved address" HINT);
}


static void
test_public(void **state)
{
    (void) state;

    allow_list("");

    accepted("https://8.8.8.8/v1", "8.8.8.8:443");
    accepted("http://1.1.1.1:6379", "1.1.1.1:6379");
    accepted("https://[2606:4700::1111]", "[2606:4700::1111]:443");
    accepted("https://[::ffff:8.8.8.8]", "[::ffff:8.8.8.8]:443");
}


static void
test_allowlist(void **state)
{
    (void) state;

    allow_list("127.0.0.1:8090, 10.1.2.0/24, [::1]:8090");

    accepted("http://127.0.0.1:8090", "127.0.0.1:8090");
    accepted("http://10.1.2.3", "10.1.2.3:80");
    accepted("https://10.1.2.3:8443/v1", "10.1.2.3:8443");
    accepted("http://[::1]:8090", "[::1]:8090");

    refused("http://127.0.0.1:6379", "field \"baseUrl\" resolves to "
            "127.0.0.1:6379, a loopback address" HINT);
    refused("http://10.1.3.1", "field \"baseUrl\" resolves to 10.1.3.1:80, "
            "a private address" HINT);
    refused("http://[::ffff:127.0.0.1]:8090", "field \"baseUrl\" resolves "
            "to [::ffff:127.0.0.1]:8090, an IPv4-mapped loopback address"
            HINT);
}


/* names are resolved here, every address checked, IPv4 handed back */
static void
test_names(void **state)
{
    char              addr[ADMIND_BASEURL_ADDR], err[512];
    admind_baseurl_t  u;

    (void) state;

    allow_list("");

    assert_int_equal(admind_outbound_url(&allow, "baseUrl",
                                         "http://localhost:6379", NULL, &u,
                                         addr, sizeof(addr), err,
                                         sizeof(err)),
                     ADMIND_ERROR);
    assert_non_null(strstr(err, "field \"baseUrl\": host \"localhost\" "
                           "resolves to "));
    assert_non_null(strstr(err, ":6379, a loopback address" HINT));

    /* the resolver's own words follow */
    assert_int_equal(admind_outbound_url(&allow, "baseUrl",
                                         "http://no-such-host.invalid",
                                         NULL, &u, addr, sizeof(addr), err,
                                         sizeof(err)),
                     ADMIND_ERROR);
    assert_memory_equal(err, "field \"baseUrl\": host "
                        "\"no-such-host.invalid\" does not resolve: ",
                        strlen("field \"baseUrl\": host "
                               "\"no-such-host.invalid\" does not "
                               "resolve: "));

    allow_list("127.0.0.0/8:6379, [::1]:6379");
    accepted("http://localhost:6379", "127.0.0.1:6379");
}


static void
test_schemes_and_field(void **state)
{
    char              addr[ADMIND_BASEURL_ADDR], err[512];
    admind_baseurl_t  u;

    static const admind_baseurl_scheme_t  proxy[] = {
        { "socks5", 1080 }, { NULL, 0 }
    };

    (void) state;

    allow_list("");

    assert_int_equal(admind_outbound_url(&allow, "proxyUrl",
                                         "socks5://10.0.0.1", proxy, &u,
                                         addr, sizeof(addr), err,
                                         sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "field \"proxyUrl\" resolves to "
                        "10.0.0.1:1080, a private address" HINT);

    assert_int_equal(admind_outbound_url(&allow, "proxyUrl", "ftp://h",
                                         proxy, &u, addr, sizeof(addr), err,
                                         sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "field \"proxyUrl\" must start with "
                        "socks5://");
}


static void
test_stored_addr(void **state)
{
    size_t  i;
    char    err[512];

    static const char *const  bad[] = {
        "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:80x", "::1:80", "[::1:80", "[::1]80", "[127.0.0.1]:80",
        "localhost:80", ":80", "",
    };

    (void) state;

    allow_list("127.0.0.1:8090");

    assert_int_equal(admind_outbound_addr(&allow, "127.0.0.1:8090", err,
                                          sizeof(err)),
                     ADMIND_OK);
    assert_int_equal(admind_outbound_addr(&allow, "[2606:4700::1111]:443",
                                          err, sizeof(err)),
                     ADMIND_OK);

    assert_int_equal(admind_outbound_addr(&allow, "127.0.0.1:6379", err,
                                          sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "refused address 127.0.0.1:6379, a loopback "
                        "address" HINT);

    assert_int_equal(admind_outbound_addr(&allow, "[::ffff:a9fe:a9fe]:80",
                                          err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "refused address [::ffff:169.254.169.254]:80, "
                        "an IPv4-mapped link-local address" HINT);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (admind_outbound_addr(&allow, bad[i], err, sizeof(err))
            != ADMIND_ERROR)
        {
            fail_msg("\"%s\" accepted", bad[i]);
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_finding_forms),
        cmocka_unit_test(test_other_ranges),
        cmocka_unit_test(test_public),
        cmocka_unit_test(test_allowlist),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_schemes_and_field),
        cmocka_unit_test(test_stored_addr),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
