/*
 * QuotaLane admind: account base URLs.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "admind_baseurl.h"


static int
admind_baseurl_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
           || c == '.';
}


static int
admind_baseurl_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
           || (c >= 'A' && c <= 'F');
}


/* RFC 3986 pchar plus '/', with %XX escapes checked */
static int
admind_baseurl_path_valid(const char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] == '%') {
            if (i + 2 >= len || !admind_baseurl_hex(p[i + 1])
                || !admind_baseurl_hex(p[i + 2]))
            {
                return 0;
            }

            i += 2;
            continue;
        }

        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')
              || (p[i] >= '0' && p[i] <= '9')
              || (p[i] != '\0' && strchr("/-._~!$&'()*+,;=:@", p[i]))))
        {
            return 0;
        }
    }

    return 1;
}


static const admind_baseurl_scheme_t  admind_baseurl_http[] = {
    { "http", 80 },
    { "https", 443 },
    { NULL, 0 }
};


/*
 * Resolvers read a name whose last label is a number as IPv4 in any of
 * inet_aton()'s spellings (hex, octal, one integer, "127.1"), which is
 * how filters are dodged: only plain dotted decimal is taken as one.
 */
static int
admind_baseurl_numeric_ok(const char *host, size_t len)
{
    int              hex;
    const char      *last, *p, *end;
    struct in_addr   a4;

    end = host + len;

    for (last = end; last > host && last[-1] != '.'; last--) {
        /* void */
    }

    hex = end - last >= 2 && last[0] == '0' && last[1] == 'x';

    for (p = hex ? last + 2 : last; p < end; p++) {
        if (!(hex ? admind_baseurl_hex(*p) : (*p >= '0' && *p <= '9'))) {
            return 1;
        }
    }

    return inet_pton(AF_INET, host, &a4) == 1;
}


/* ADMIND_DECLINED: a number that is not plain dotted-decimal IPv4 */
static int
admind_baseurl_hostname(const char *h, size_t len, char *out, size_t size)
{
    size_t  i, label;

    if (len == 0 || len > 253 || len >= size) {
        return ADMIND_ERROR;
    }

    label = 0;

    for (i = 0; i < len; i++) {
        out[i] = (h[i] >= 'A' && h[i] <= 'Z') ? (char) (h[i] + 32) : h[i];

        if (!admind_baseurl_host_char(out[i])) {
            return ADMIND_ERROR;
        }

        if (out[i] == '.') {
            if (label == 0) {
                return ADMIND_ERROR;
            }
            label = 0;
            continue;
        }

        if (++label > 63) {
            return ADMIND_ERROR;
        }
    }

    /* no empty last label ("example.com.") and no leading '-' */
    if (label == 0 || out[0] == '-') {
        return ADMIND_ERROR;
    }

    out[len] = '\0';

    return admind_baseurl_numeric_ok(out, len) ? ADMIND_OK : ADMIND_DECLINED;
}


/* "must start with http://, https:// or socks5://" */
static void
admind_baseurl_scheme_error(const admind_baseurl_scheme_t *schemes,
    char *err, size_t errlen)
{
    size_t                          len;
    const admind_baseurl_scheme_t  *sc;

    len = (size_t) snprintf(err, errlen, "must start with");

    for (sc = schemes; sc->name != NULL && len < errlen; sc++) {
        len += (size_t) snprintf(err + len, errlen - len, "%s %s://",
                                 sc == schemes ? ""
                                 : sc[1].name == NULL ? " or" : ",",
                                 sc->name);
    }
}


int
admind_baseurl_parse(const char *s, admind_baseurl_t *u, char *err,
    size_t errlen)
{
    return admind_baseurl_parse_schemes(s, NULL, u, err, errlen);
}


int
admind_baseurl_parse_schemes(const char *s,
    const admind_baseurl_scheme_t *schemes, admind_baseurl_t *u, char *err,
    size_t errlen)
{
    int                              rc;
    char                             v6[64];
    size_t                           len, hlen, plen;
    unsigned                         dflt, explicit_port;
    const char                      *p, *auth, *auth_end, *h, *port, *path;
    unsigned long long               n;
    struct in6_addr                  a6;
    const admind_baseurl_scheme_t   *sc;

    memset(u, 0, sizeof(admind_baseurl_t));

    if (schemes == NULL) {
        schemes = admind_baseurl_http;
    }

    len = strlen(s);

    if (len == 0 || len > ADMIND_BASEURL_MAX) {
        snprintf(err, errlen, "must have 1 to %d characters",
                 ADMIND_BASEURL_MAX);
        return ADMIND_ERROR;
    }

    for (sc = schemes; sc->name != NULL; sc++) {
        len = strlen(sc->name);

        if (len < sizeof(u->scheme) && strncasecmp(s, sc->name, len) == 0
            && strncmp(s + len, "://", 3) == 0)
        {
            break;
        }
    }

    if (sc->name == NULL) {
        admind_baseurl_scheme_error(schemes, err, errlen);
        return ADMIND_ERROR;
    }

    memcpy(u->scheme, sc->name, len + 1);
    dflt = sc->port;
    auth = s + len + 3;

    auth_end = auth + strcspn(auth, "/?#");

    if (strpbrk(auth, "?#") != NULL) {
        snprintf(err, errlen, "must not have a query or a fragment");
        return ADMIND_ERROR;
    }

    if (memchr(auth, '@', (size_t) (auth_end - auth)) != NULL) {
        snprintf(err, errlen, "must not carry user info (user@host); "
                 "credentials go in the credential fields");
        return ADMIND_ERROR;
    }

    if (auth == auth_end) {
        snprintf(err, errlen, "has no host");
        return ADMIND_ERROR;
    }

    /* the host: an IPv6 literal in brackets, or a name / IPv4 */
    if (*auth == '[') {
        p = memchr(auth, ']', (size_t) (auth_end - auth));
        if (p == NULL) {
            snprintf(err, errlen, "has an unterminated IPv6 address");
            return ADMIND_ERROR;
        }

        h = auth + 1;
        hlen = (size_t) (p - h);

        if (hlen == 0 || hlen >= sizeof(v6)) {
            snprintf(err, errlen, "has an invalid IPv6 address");
            return ADMIND_ERROR;
        }

        memcpy(v6, h, hlen);
        v6[hlen] = '\0';

        if (inet_pton(AF_INET6, v6, &a6) != 1) {
            snprintf(err, errlen, "has an invalid IPv6 address");
            return ADMIND_ERROR;
        }

        /* one spelling of the address, lowercase */
        inet_ntop(AF_INET6, &a6, u->host, sizeof(u->host));
        port = p + 1;

        if (port != auth_end && *port != ':') {
            snprintf(err, errlen, "has text after the IPv6 address");
            return ADMIND_ERROR;
        }

    } else {
        port = memchr(auth, ':', (size_t) (auth_end - auth));
        h = auth;
        hlen = (size_t) ((port ? port : auth_end) - auth);

        rc = admind_baseurl_hostname(h, hlen, u->host, sizeof(u->host));

        if (rc == ADMIND_DECLINED) {
            snprintf(err, errlen, "has a numeric host that is not a plain "
                     "dotted-decimal IPv4 address (no hex, octal, integer "
                     "or short forms)");
            return ADMIND_ERROR;
        }

        if (rc != ADMIND_OK) {
            snprintf(err, errlen, "has an invalid host name");
            return ADMIND_ERROR;
        }

        if (port == NULL) {
            port = auth_end;
        }
    }

    explicit_port = 0;
    u->port = dflt;

    if (port != auth_end) {
        /* ":" then 1 to 5 digits */
        port++;
        n = 0;

        for (p = port; p < auth_end; p++) {
            if (*p < '0' || *p > '9' || p - port >= 5) {
                break;
            }
            n = n * 10 + (unsigned) (*p - '0');
        }

        if (p != auth_end || p == port || n == 0 || n > 65535) {
            snprintf(err, errlen, "has an invalid port");
            return ADMIND_ERROR;
        }

        u->port = (unsigned) n;
        explicit_port = u->port != dflt;
    }

    snprintf(u->host_header, sizeof(u->host_header),
             strchr(u->host, ':') ? "[%s]" : "%s", u->host);

    if (explicit_port) {
        len = strlen(u->host_header);
        snprintf(u->host_header + len, sizeof(u->host_header) - len, ":%u",
                 u->port);
    }

    /* the path, without trailing slashes: "/" is no prefix at all */
    path = auth_end;
    plen = strlen(path);

    while (plen > 0 && path[plen - 1] == '/') {
        plen--;
    }

    if (!admind_baseurl_path_valid(path, plen)) {
        snprintf(err, errlen, "has characters a URL path may not hold "
                 "(escape them as %%XX)");
        return ADMIND_ERROR;
    }

    memcpy(u->path, path, plen);
    u->path[plen] = '\0';

    snprintf(u->normalized, sizeof(u->normalized), "%s://%s%s", u->scheme,
             u->host_header, u->path);

    return ADMIND_OK;
}
