/*
 * QuotaLane admind: the outbound allowlist.
 */

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "admind_addr_class.h"
#include "admind_outbound_allow.h"


/* "/bits" and ":port" after the address; *p is past the address */
static int
admind_outbound_allow_suffix(const char *p, const char *end,
    admind_outbound_allow_entry_t *e, unsigned max_bits, int port_ok)
{
    unsigned long  n;

    e->bits = max_bits;
    e->port = 0;

    if (p < end && *p == '/') {
        for (p++, n = 0; p < end && *p >= '0' && *p <= '9' && n <= 128; p++)
        {
            n = n * 10 + (unsigned long) (*p - '0');
        }

        if (p[-1] == '/' || n > max_bits) {
            return ADMIND_ERROR;
        }

        e->bits = (unsigned) n;
    }

    if (p < end && *p == ':' && port_ok) {
        for (p++, n = 0; p < end && *p >= '0' && *p <= '9' && n <= 65535;
             p++)
        {
            n = n * 10 + (unsigned long) (*p - '0');
        }

        if (p[-1] == ':' || n == 0 || n > 65535) {
            return ADMIND_ERROR;
        }

        e->port = (unsigned) n;
    }

    return p == end ? ADMIND_OK : ADMIND_ERROR;
}


/* bits past the prefix must be zero: "10.1.2.3/24" is likely a typo */
static int
admind_outbound_allow_host_bits(const admind_outbound_allow_entry_t *e)
{
    unsigned  i, len;

    len = e->family == AF_INET ? 4 : 16;

    for (i = 0; i < len; i++) {
        if (i * 8 >= e->bits) {
            if (e->addr[i] != 0) {
                return ADMIND_ERROR;
            }

        } else if (i * 8 + 8 > e->bits
                   && (e->addr[i] & (0xff >> (e->bits - i * 8))) != 0)
        {
            return ADMIND_ERROR;
        }
    }

    return ADMIND_OK;
}


static int
admind_outbound_allow_entry(const char *item, size_t len,
    admind_outbound_allow_entry_t *e, char *err, size_t errlen)
{
    char         a[64];
    size_t       alen, i, colons;
    const char  *s, *end, *p;

    s = item;
    end = item + len;
    memset(e, 0, sizeof(admind_outbound_allow_entry_t));

    for (i = 0, colons = 0; i < len; i++) {
        colons += item[i] == ':';
    }

    if (*s == '[') {
        p = memchr(s, ']', len);
        if (p == NULL) {
            goto invalid;
        }

        s++;
        alen = (size_t) (p - s);
        p++;
        e->family = AF_INET6;

    } else {
        /* bare IPv6 takes no port: brackets for that */
        e->family = colons > 1 ? AF_INET6 : AF_INET;

        for (p = s; p < end && *p != '/'
                    && (e->family == AF_INET6 || *p != ':'); p++)
        {
            /* void */
        }

        alen = (size_t) (p - s);
    }

    if (alen == 0 || alen >= sizeof(a)) {
        goto invalid;
    }

    memcpy(a, s, alen);
    a[alen] = '\0';

    if (inet_pton(e->family, a, e->addr) != 1
        || admind_outbound_allow_suffix(p, end, e,
                                        e->family == AF_INET ? 32 : 128,
                                        e->family == AF_INET || *item == '[')
           != ADMIND_OK)
    {
        goto invalid;
    }

    if (admind_outbound_allow_host_bits(e) != ADMIND_OK) {
        snprintf(err, errlen, "\"%.*s\" has bits set past its prefix "
                 "length", (int) len, item);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;

invalid:

    snprintf(err, errlen, "\"%.*s\" is not ADDRESS[/BITS][:PORT] (IPv6 in "
             "brackets before a port; no host names)", (int) len, item);

    return ADMIND_ERROR;
}


int
admind_outbound_allow_parse(const char *s, admind_outbound_allow_t *allow,
    char *err, size_t errlen)
{
    size_t       len;
    const char  *p, *item;

    memset(allow, 0, sizeof(admind_outbound_allow_t));

    for (p = s; ; p++) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }

        item = p;
        p += strcspn(p, ", \t");
        len = (size_t) (p - item);

        while (*p == ' ' || *p == '\t') {
            p++;
        }

        if (len == 0) {
            if (*p == '\0' && allow->n == 0 && item == p) {
                return ADMIND_OK;
            }

            snprintf(err, errlen, "an empty entry in the list");
            return ADMIND_ERROR;
        }

        if (allow->n == ADMIND_OUTBOUND_ALLOW_MAX) {
            snprintf(err, errlen, "more than %d entries",
                     ADMIND_OUTBOUND_ALLOW_MAX);
            return ADMIND_ERROR;
        }

        if (admind_outbound_allow_entry(item, len, &allow->v[allow->n], err,
                                        errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        allow->n++;

        if (*p == '\0') {
            return ADMIND_OK;
        }

        if (*p != ',') {
            snprintf(err, errlen, "expected a comma after \"%.*s\"",
                     (int) len, item);
            return ADMIND_ERROR;
        }
    }
}


int
admind_outbound_allowed(const admind_outbound_allow_t *allow, int family,
    const unsigned char *addr, unsigned port)
{
    unsigned                              i;
    const admind_outbound_allow_entry_t  *e;

    for (i = 0; i < allow->n; i++) {
        e = &allow->v[i];

        if (e->family == family && (e->port == 0 || e->port == port)
            && admind_addr_in_prefix(addr, e->addr, e->bits))
        {
            return 1;
        }
    }

    return 0;
}
