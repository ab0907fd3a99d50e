/*
 * QuotaLane admind: the outbound URL policy (SSRF).
 */

#include <stdio.h>
#include <string.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "admind_addr_class.h"
#include "admind_outbound.h"


#define ADMIND_OUTBOUND_HINT  "; allow it with outbound_allow in admind.conf"


/* "1.2.3.4:80" or "[::1]:80" */
static void
admind_outbound_format(int family, const unsigned char *a, unsigned port,
    char *buf, size_t size)
{
    char  ip[INET6_ADDRSTRLEN];

    if (inet_ntop(family, a, ip, sizeof(ip)) == NULL) {
        snprintf(ip, sizeof(ip), "?");
    }

    snprintf(buf, size, family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
}


/*
 * ADMIND_OK when the policy lets the address through; else why not in
 * why: "127.0.0.1:6379, a loopback address; allow it ...".
 */
static int
admind_outbound_check(const admind_outbound_allow_t *allow, int family,
    const unsigned char *a, unsigned port, char *why, size_t size)
{
    char                  buf[ADMIND_BASEURL_ADDR];
    const char           *form, *name, *first;
    admind_addr_class_e   c;

    c = admind_addr_classify(family, a, &form);

    if (c == ADMIND_ADDR_PUBLIC
        || admind_outbound_allowed(allow, family, a, port))
    {
        return ADMIND_OK;
    }

    admind_outbound_format(family, a, port, buf, sizeof(buf));
    name = admind_addr_class_name(c);
    first = form ? form : name;

    snprintf(why, size, "%s, %s %s%s%s" ADMIND_OUTBOUND_HINT, buf,
             strchr("aeiouAEIOU", first[0]) ? "an" : "a",
             form ? form : "", form ? " " : "", name);

    return ADMIND_ERROR;
}


static const unsigned char *
admind_outbound_sockaddr(const struct addrinfo *ai)
{
    if (ai->ai_family == AF_INET) {
        return (const unsigned char *)
               &((const struct sockaddr_in *) ai->ai_addr)->sin_addr;
    }

    return (const unsigned char *)
           &((const struct sockaddr_in6 *) ai->ai_addr)->sin6_addr;
}


/* every address of a name must pass; the pick is the first IPv4 one */
static int
admind_outbound_resolve(const admind_outbound_allow_t *allow,
    const char *field, const admind_baseurl_t *u, char *addr, size_t size,
    char *err, size_t errlen)
{
    int                     rc;
    char                    why[ADMIND_ERRLEN];
    struct addrinfo         hints, *res, *ai, *pick;
    const unsigned char    *a;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;

    rc = getaddrinfo(u->host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "field \"%s\": host \"%s\" does not resolve: "
                 "%s", field, u->host, gai_strerror(rc));
        return ADMIND_ERROR;
    }

    pick = NULL;

    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) {
            continue;
        }

        a = admind_outbound_sockaddr(ai);

        if (admind_outbound_check(allow, ai->ai_family, a, u->port, why,
                                  sizeof(why))
            != ADMIND_OK)
        {
            freeaddrinfo(res);
            snprintf(err, errlen, "field \"%s\": host \"%s\" resolves to %s",
                     field, u->host, why);
            return ADMIND_ERROR;
        }

        if (pick == NULL
            || (pick->ai_family != AF_INET && ai->ai_family == AF_INET))
        {
            pick = ai;
        }
    }

    if (pick == NULL) {
        freeaddrinfo(res);
        snprintf(err, errlen, "field \"%s\": host \"%s\" has no IPv4 or "
                 "IPv6 address", field, u->host);
        return ADMIND_ERROR;
    }

    admind_outbound_format(pick->ai_family, admind_outbound_sockaddr(pick),
                           u->port, addr, size);
    freeaddrinfo(res);

    return ADMIND_OK;
}


int
admind_outbound_url(const admind_outbound_allow_t *allow, const char *field,
    const char *url, const admind_baseurl_scheme_t *schemes,
    admind_baseurl_t *u, char *addr, size_t size, char *err, size_t errlen)
{
    int              family;
    char             why[ADMIND_ERRLEN];
    unsigned char    a[16];

    if (admind_baseurl_parse_schemes(url, schemes, u, why, sizeof(why))
        != ADMIND_OK)
    {
        snprintf(err, errlen, "field \"%s\" %s", field, why);
        return ADMIND_ERROR;
    }

    /* a literal needs no resolver (and the parse made it a plain one) */
    family = inet_pton(AF_INET, u->host, a) == 1 ? AF_INET
             : inet_pton(AF_INET6, u->host, a) == 1 ? AF_INET6 : 0;

    if (family == 0) {
        return admind_outbound_resolve(allow, field, u, addr, size, err,
                                       errlen);
    }

    if (admind_outbound_check(allow, family, a, u->port, why, sizeof(why))
        != ADMIND_OK)
    {
        snprintf(err, errlen, "field \"%s\" resolves to %s", field, why);
        return ADMIND_ERROR;
    }

    admind_outbound_format(family, a, u->port, addr, size);

    return ADMIND_OK;
}


int
admind_outbound_addr(const admind_outbound_allow_t *allow, const char *addr,
    char *err, size_t errlen)
{
    int             family;
    char            ip[INET6_ADDRSTRLEN], why[ADMIND_ERRLEN];
    size_t          len;
    unsigned        port;
    const char     *colon, *p;
    unsigned char   a[16];

    colon = strrchr(addr, ':');
    if (colon == NULL) {
        goto invalid;
    }

    p = addr;
    len = (size_t) (colon - addr);

    if (addr[0] == '[') {
        if (len < 2 || addr[len - 1] != ']') {
            goto invalid;
        }

        p++;
        len -= 2;
    }

    if (len == 0 || len >= sizeof(ip)) {
        goto invalid;
    }

    memcpy(ip, p, len);
    ip[len] = '\0';

    family = addr[0] == '[' ? AF_INET6 : AF_INET;

    for (port = 0, p = colon + 1; *p >= '0' && *p <= '9' && port <= 65535;
         p++)
    {
        port = port * 10 + (unsigned) (*p - '0');
    }

    if (*p != '\0' || p == colon + 1 || port == 0 || port > 65535
        || inet_pton(family, ip, a) != 1)
    {
        goto invalid;
    }

    if (admind_outbound_check(allow, family, a, port, why, sizeof(why))
        != ADMIND_OK)
    {
        snprintf(err, errlen, "refused address %s", why);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;

invalid:

    snprintf(err, errlen, "\"%s\" is not an ip:port address", addr);

    return ADMIND_ERROR;
}
