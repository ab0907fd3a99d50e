/*
 * admind account base URLs: the scheme, host, Host header, port and path
 * prefix the account record carries, what is refused and why (numeric
 * hosts in spellings only a resolver reads as IPv4), and other schemes.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "admind_baseurl.h"


static void
parse_ok(const char *s, const char *scheme, const char *host,
    const char *host_header, unsigned port, const char *path,
    const char *normalized)
{
    char              err[256];
    admind_baseurl_t  u;

    if (admind_baseurl_parse(s, &u, err, sizeof(err)) != ADMIND_OK) {
        fail_msg("\"%s\" refused: %s", s, err);
    }

    assert_string_equal(u.scheme, scheme);
    assert_string_equal(u.host, host);
    assert_string_equal(u.host_header, host_header);
    assert_int_equal(u.port, port);
    assert_string_equal(u.path, path);
    assert_string_equal(u.normalized, normalized);
}


static void
test_parse(void **state)
{
    (void) state;

    parse_ok("https://api.anthropic.com", "https", "api.anthropic.com",
             "api.anthropic.com", 443, "", "https://api.anthropic.com");
    parse_ok("https://api.anthropic.com/", "https", "api.anthropic.com",
             "api.anthropic.com", 443, "", "https://api.anthropic.com");
    parse_ok("HTTPS://API.Anthropic.COM:443/", "https", "api.anthropic.com",
             "api.anthropic.com", 443, "", "https://api.anthropic.com");
    parse_ok("http://127.0.0.1:8080/proxy/v1//", "http", "127.0.0.1",
             "127.0.0.1:8080", 8080, "/proxy/v1",
             "http://127.0.0.1:8080/proxy/v1");
    parse_ok("http://relay.example:80/a%2Fb", "http", "relay.example",
             "relay.example", 80, "/a%2Fb", "http://relay.example/a%2Fb");
    parse_ok("https://[::1]:8443/x", "https", "::1", "[::1]:8443", 8443,
             "/x", "https://[::1]:8443/x");
    parse_ok("https://[0:0:0:0:0:0:0:1]", "https", "::1", "[::1]", 443, "",
             "https://[::1]");
    parse_ok("https://a-b.c-d.example", "https", "a-b.c-d.example",
             "a-b.c-d.example", 443, "", "https://a-b.c-d.example");
}


static void
test_refused(void **state)
{
    size_t            i;
    char              err[256];
    admind_baseurl_t  u;

    static const struct {
        const char  *url;
        const char  *err;
    } bad[] = {
        { "", "must have 1 to 512 characters" },
        { "ftp://example.com", "must start with http:// or https://" },
        { "example.com", "must start with http:// or https://" },
        { "https://", "has no host" },
        { "https:///v1", "has no host" },
        { "https://user:pw@example.com", "must not carry user info "
          "(user@host); credentials go in the credential fields" },
        { "https://example.com/v1?key=1", "must not have a query or a "
          "fragment" },
        { "https://example.com#x", "must not have a query or a fragment" },
        { "https://exa mple.com", "has an invalid host name" },
        { "https://example..com", "has an invalid host name" },
        { "https://example.com.", "has an invalid host name" },
        { "https://-example.com", "has an invalid host name" },
        { "https://exa_mple.com", "has an invalid host name" },
        { "https://example.com:", "has an invalid port" },
        { "https://example.com:0", "has an invalid port" },
        { "https://example.com:65536", "has an invalid port" },
        { "https://example.com:123456", "has an invalid port" },
        { "https://example.com:8x", "has an invalid port" },
        { "https://[::1", "has an unterminated IPv6 address" },
        { "https://[]", "has an invalid IPv6 address" },
        { "https://[::g]", "has an invalid IPv6 address" },
        { "https://[::1]x", "has text after the IPv6 address" },
        { "https://example.com/a b", "has characters a URL path may not "
          "hold (escape them as %XX)" },
        { "https://example.com/a%zz", "has characters a URL path may not "
          "hold (escape them as %XX)" },
        { "https://example.com/a\\b", "has characters a URL path may not "
          "hold (escape them as %XX)" },
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';

        if (admind_baseurl_parse(bad[i].url, &u, err, sizeof(err))
            != ADMIND_ERROR)
        {
            fail_msg("\"%s\" accepted", bad[i].url);
        }

        if (strcmp(err, bad[i].err) != 0) {
            fail_msg("\"%s\": \"%s\", expected \"%s\"", bad[i].url, err,
                     bad[i].err);
        }
    }
}


/* resolvers take these for IPv4 addresses; filters do not */
static void
test_numeric_spellings(void **state)
{
    size_t            i;
    char              err[256];
    admind_baseurl_t  u;

    static const char *const  odd[] = {
        "http://0x7f000001", "http://2130706433", "http://0177.0.0.1",
        "http://127.1", "http://0x7f.0.0.1", "http://127.0.0.1.5",
        "http://01.02.03.04", "http://example.0x1f", "http://example.0x",
        "http://EXAMPLE.0X1", "http://a.b.017",
    };

    static const char *const  plain[] = {
        "http://127.0.0.1", "http://0.0.0.0", "http://8.8.8.8",
        "http://0x7f.example.com", "http://1.2.3.4.example", "http://1a",
        "http://example.0xg",
    };

    (void) state;

    for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        if (admind_baseurl_parse(odd[i], &u, err, sizeof(err))
            != ADMIND_ERROR)
        {
            fail_msg("\"%s\" accepted", odd[i]);
        }

        assert_string_equal(err, "has a numeric host that is not a plain "
                            "dotted-decimal IPv4 address (no hex, octal, "
                            "integer or short forms)");
    }

    for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        if (admind_baseurl_parse(plain[i], &u, err, sizeof(err))
            != ADMIND_OK)
        {
            fail_msg("\"%s\" refused: %s", plain[i], err);
        }
    }
}


static void
test_schemes(void **state)
{
    char              err[256];
    admind_baseurl_t  u;

    static const admind_baseurl_scheme_t  proxy[] = {
        { "http", 80 }, { "socks5", 1080 }, { "socks5h", 1080 },
        { NULL, 0 }
    };

    (void) state;

    assert_int_equal(admind_baseurl_parse_schemes("SOCKS5h://Proxy", proxy,
                                                  &u, err, sizeof(err)),
                     ADMIND_OK);
    assert_string_equal(u.scheme, "socks5h");
    assert_string_equal(u.host, "proxy");
    assert_int_equal(u.port, 1080);

    assert_int_equal(admind_baseurl_parse_schemes("socks5://p:1", proxy, &u,
                                                  err, sizeof(err)),
                     ADMIND_OK);
    assert_string_equal(u.scheme, "socks5");
    assert_int_equal(u.port, 1);

    assert_int_equal(admind_baseurl_parse_schemes("https://p", proxy, &u,
                                                  err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "must start with http://, socks5:// or "
                        "socks5h://");

    assert_int_equal(admind_baseurl_parse_schemes("socks5x://p", proxy, &u,
                                                  err, sizeof(err)),
                     ADMIND_ERROR);

    /* NULL: the base URL schemes */
    assert_int_equal(admind_baseurl_parse_schemes("socks5://p", NULL, &u,
                                                  err, sizeof(err)),
                     ADMIND_ERROR);
    assert_string_equal(err, "must start with http:// or https://");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_numeric_spellings),
        cmocka_unit_test(test_schemes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
