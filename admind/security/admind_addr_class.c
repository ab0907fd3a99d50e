/*
 * QuotaLane admind: what kind of address an IP address is.
 *
 * Two tables of prefixes (IANA's special-purpose registries, the parts a
 * relay must never be pointed at); the first matching row wins, so more
 * specific rows come first.
 */

#include <string.h>
#include <sys/socket.h>

#include "admind_addr_class.h"


typedef struct {
    unsigned char         prefix[16];
    unsigned              bits;
    admind_addr_class_e   cls;
} admind_addr_range_t;


static const admind_addr_range_t  admind_addr_v4[] = {
    { { 0, 0, 0, 0 }, 32, ADMIND_ADDR_UNSPECIFIED },
    { { 0 }, 8, ADMIND_ADDR_RESERVED },                 /* "this network" */
    { { 10 }, 8, ADMIND_ADDR_PRIVATE },
    { { 100, 64 }, 10, ADMIND_ADDR_SHARED },
    { { 127 }, 8, ADMIND_ADDR_LOOPBACK },
    { { 169, 254 }, 16, ADMIND_ADDR_LINK_LOCAL },
    { { 172, 16 }, 12, ADMIND_ADDR_PRIVATE },
    { { 192, 0, 0 }, 24, ADMIND_ADDR_RESERVED },        /* IETF protocols */
    { { 192, 0, 2 }, 24, ADMIND_ADDR_RESERVED },        /* documentation */
    { { 192, 88, 99 }, 24, ADMIND_ADDR_RESERVED },      /* 6to4 relays */
    { { 192, 168 }, 16, ADMIND_ADDR_PRIVATE },
    { { 198, 18 }, 15, ADMIND_ADDR_RESERVED },          /* benchmarking */
    { { 198, 51, 100 }, 24, ADMIND_ADDR_RESERVED },     /* documentation */
    { { 203, 0, 113 }, 24, ADMIND_ADDR_RESERVED },      /* documentation */
    { { 224 }, 4, ADMIND_ADDR_MULTICAST },
    { { 255, 255, 255, 255 }, 32, ADMIND_ADDR_BROADCAST },
    { { 240 }, 4, ADMIND_ADDR_RESERVED },
};


static const admind_addr_range_t  admind_addr_v6[] = {
    { { 0 }, 128, ADMIND_ADDR_UNSPECIFIED },
    { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128,
      ADMIND_ADDR_LOOPBACK },
    { { 0, 0x64, 0xff, 0x9b, 0, 1 }, 48, ADMIND_ADDR_PRIVATE }, /* NAT64 */
    { { 0x01 }, 64, ADMIND_ADDR_RESERVED },             /* discard 100::/64 */
    { { 0x20, 0x01, 0, 0 }, 32, ADMIND_ADDR_RESERVED },         /* Teredo */
    { { 0x20, 0x01, 0x0d, 0xb8 }, 32, ADMIND_ADDR_RESERVED },   /* docs */
    { { 0xfc }, 7, ADMIND_ADDR_PRIVATE },
    { { 0xfe, 0x80 }, 10, ADMIND_ADDR_LINK_LOCAL },
    { { 0xfe, 0xc0 }, 10, ADMIND_ADDR_PRIVATE },        /* site-local */
    { { 0xff }, 8, ADMIND_ADDR_MULTICAST },
};


/* IPv6 prefixes whose last 4 bytes (6to4: bytes 2..5) are an IPv4 one */
static const struct {
    unsigned char   prefix[12];
    unsigned        bits;
    const char     *form;
} admind_addr_embedding[] = {
    { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, 96, "IPv4-mapped" },
    /* RFC 2765's IPv4-translated ::ffff:0:a.b.c.d */
    { { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0 }, 96, "IPv4-mapped" },
    { { 0, 0x64, 0xff, 0x9b }, 96, "NAT64" },
    { { 0 }, 96, "IPv4-compatible" },
};


int
admind_addr_in_prefix(const unsigned char *addr,
    const unsigned char *prefix, unsigned bits)
{
    unsigned  bytes, rest;

    bytes = bits / 8;
    rest = bits % 8;

    if (memcmp(addr, prefix, bytes) != 0) {
        return 0;
    }

    return rest == 0
           || ((addr[bytes] ^ prefix[bytes]) & (0xff << (8 - rest))) == 0;
}


static admind_addr_class_e
admind_addr_lookup(const admind_addr_range_t *t, size_t n,
    const unsigned char *addr)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (admind_addr_in_prefix(addr, t[i].prefix, t[i].bits)) {
            return t[i].cls;
        }
    }

    return ADMIND_ADDR_PUBLIC;
}


admind_addr_class_e
admind_addr_classify(int family, const unsigned char *addr,
    const char **form)
{
    size_t               i;
    admind_addr_class_e  c;

    if (form != NULL) {
        *form = NULL;
    }

    if (family == AF_INET) {
        return admind_addr_lookup(admind_addr_v4,
                                  sizeof(admind_addr_v4)
                                  / sizeof(admind_addr_v4[0]),
                                  addr);
    }

    if (family != AF_INET6) {
        return ADMIND_ADDR_RESERVED;
    }

    /* :: and ::1 before the IPv4-compatible ::/96 they are part of */
    c = admind_addr_lookup(admind_addr_v6, 2, addr);
    if (c != ADMIND_ADDR_PUBLIC) {
        return c;
    }

    for (i = 0; i < sizeof(admind_addr_embedding)
                    / sizeof(admind_addr_embedding[0]); i++)
    {
        if (!admind_addr_in_prefix(addr, admind_addr_embedding[i].prefix,
                            admind_addr_embedding[i].bits))
        {
            continue;
        }

        if (form != NULL) {
            *form = admind_addr_embedding[i].form;
        }

        c = admind_addr_classify(AF_INET, addr + 12, NULL);

        /* deprecated (RFC 4291): nothing real lives there */
        if (c == ADMIND_ADDR_PUBLIC
            && strcmp(admind_addr_embedding[i].form, "IPv4-compatible") == 0)
        {
            return ADMIND_ADDR_RESERVED;
        }

        return c;
    }

    if (addr[0] == 0x20 && addr[1] == 0x02) {
        if (form != NULL) {
            *form = "6to4";
        }

        return admind_addr_classify(AF_INET, addr + 2, NULL);
    }

    return admind_addr_lookup(admind_addr_v6,
                              sizeof(admind_addr_v6)
                              / sizeof(admind_addr_v6[0]),
                              addr);
}


const char *
admind_addr_class_name(admind_addr_class_e c)
{
    switch (c) {
    case ADMIND_ADDR_PUBLIC:
        return "public address";
    case ADMIND_ADDR_LOOPBACK:
        return "loopback address";
    case ADMIND_ADDR_PRIVATE:
        return "private address";
    case ADMIND_ADDR_LINK_LOCAL:
        return "link-local address";
    case ADMIND_ADDR_SHARED:
        return "carrier-grade NAT address";
    case ADMIND_ADDR_MULTICAST:
        return "multicast address";
    case ADMIND_ADDR_UNSPECIFIED:
        return "unspecified address";
    case ADMIND_ADDR_BROADCAST:
        return "broadcast address";
    default:
        return "reserved address";
    }
}
