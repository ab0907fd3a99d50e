/*
 * QuotaLane admind: the outbound allowlist (outbound_allow in
 * admind.conf), the exceptions to the outbound URL policy.
 *
 * A comma-separated list of addresses or CIDR prefixes, each with an
 * optional port:
 *
 *     127.0.0.1:8090, 10.1.2.0/24, 192.168.0.0/16:8443,
 *     [::1]:8090, fd00::/8, [fd00::]/8:443
 *
 * IPv6 takes brackets when a port follows.  No host names: a name may
 * resolve elsewhere tomorrow, an address may not.
 */

#ifndef _ADMIND_OUTBOUND_ALLOW_H_INCLUDED_
#define _ADMIND_OUTBOUND_ALLOW_H_INCLUDED_


#include "admind.h"


#define ADMIND_OUTBOUND_ALLOW_MAX  64


typedef struct {
    int             family;         /* AF_INET, AF_INET6 */
    unsigned char   addr[16];       /* network order, host bits zero */
    unsigned        bits;
    unsigned        port;           /* 0: any */
} admind_outbound_allow_entry_t;


typedef struct {
    admind_outbound_allow_entry_t   v[ADMIND_OUTBOUND_ALLOW_MAX];
    unsigned                        n;
} admind_outbound_allow_t;


/* the whole list ("" is an empty one); err names the bad entry */
int admind_outbound_allow_parse(const char *s,
    admind_outbound_allow_t *allow, char *err, size_t errlen);

/* whether an entry covers the address (as in admind_addr_class.h) */
int admind_outbound_allowed(const admind_outbound_allow_t *allow,
    int family, const unsigned char *addr, unsigned port);


#endif /* _ADMIND_OUTBOUND_ALLOW_H_INCLUDED_ */
