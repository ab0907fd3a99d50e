/*
 * QuotaLane admind: what kind of address an IP address is, for the
 * outbound URL policy (admind_outbound.h).
 *
 * IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d,
 * IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::)
 * are classified by the IPv4 address they carry, so that
 * [::ffff:127.0.0.1] is loopback like 127.0.0.1.
 */

#ifndef _ADMIND_ADDR_CLASS_H_INCLUDED_
#define _ADMIND_ADDR_CLASS_H_INCLUDED_


#include "admind.h"


typedef enum {
    ADMIND_ADDR_PUBLIC = 0,
    ADMIND_ADDR_LOOPBACK,
    ADMIND_ADDR_PRIVATE,            /* RFC 1918, fc00::/7, fec0::/10 */
    ADMIND_ADDR_LINK_LOCAL,         /* 169.254/16, fe80::/10 */
    ADMIND_ADDR_SHARED,             /* carrier-grade NAT, 100.64/10 */
    ADMIND_ADDR_MULTICAST,
    ADMIND_ADDR_UNSPECIFIED,        /* 0.0.0.0, :: */
    ADMIND_ADDR_BROADCAST,          /* 255.255.255.255 */
    ADMIND_ADDR_RESERVED            /* documentation, benchmarking, ... */
} admind_addr_class_e;


/*
 * family is AF_INET (addr: 4 bytes) or AF_INET6 (16 bytes), network
 * order.  form, when not NULL, gets "IPv4-mapped", "IPv4-compatible",
 * "NAT64" or "6to4" for an IPv6 address classified by the IPv4 address
 * it carries, else NULL.
 */
admind_addr_class_e admind_addr_classify(int family,
    const unsigned char *addr, const char **form);

/* "private address", ... (without an article: a form may precede it) */
const char *admind_addr_class_name(admind_addr_class_e c);

/* whether the first bits of addr equal those of prefix */
int admind_addr_in_prefix(const unsigned char *addr,
    const unsigned char *prefix, unsigned bits);


#endif /* _ADMIND_ADDR_CLASS_H_INCLUDED_ */
