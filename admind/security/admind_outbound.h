/*
 * QuotaLane admind: the outbound URL policy (SSRF).
 *
 * Every URL an admin can set that the gateway or admind will connect to
 * (account base URLs and proxies; webhooks and OAuth endpoints too) goes
 * through admind_outbound_url(): parsed strictly, its host resolved here
 * (never in an nginx worker), and refused when any address it resolves
 * to is loopback, private, link-local, carrier-grade NAT, multicast,
 * unspecified, broadcast or reserved, in any IPv4-embedding IPv6 form,
 * unless outbound_allow in admind.conf covers it.  The caller connects
 * only to the address handed back, never to the name again, so a DNS
 * answer that changes later cannot move the connection.
 */

#ifndef _ADMIND_OUTBOUND_H_INCLUDED_
#define _ADMIND_OUTBOUND_H_INCLUDED_


#include "admind.h"
#include "admind_baseurl.h"
#include "admind_outbound_allow.h"


/*
 * Parses url with the schemes (NULL: http and https) into u, resolves
 * its host (getaddrinfo(): this blocks, keep it out of transactions)
 * and checks every address.  addr gets "ip:port" or "[ip]:port" of the
 * one to connect to, IPv4 preferred (workers do not fall back).  err
 * gets a message naming field, fit for a 400.
 */
int admind_outbound_url(const admind_outbound_allow_t *allow,
    const char *field, const char *url,
    const admind_baseurl_scheme_t *schemes, admind_baseurl_t *u,
    char *addr, size_t size, char *err, size_t errlen);

/*
 * The same check of an "ip:port" or "[ip]:port" resolved before (a
 * stored one, against today's allowlist).  Without DNS.
 */
int admind_outbound_addr(const admind_outbound_allow_t *allow,
    const char *addr, char *err, size_t errlen);


#endif /* _ADMIND_OUTBOUND_H_INCLUDED_ */
