/*
 * QuotaLane admind: an account's outbound proxy settings, stored for the
 * platforms work in accounts.proxy_config as
 * {"url": ..., "addr": ..., "username": ..., "passwordEnc": "<hex>"}: the
 * URL passed the outbound URL policy (admind_outbound.h) and addr is the
 * "ip:port" it resolved to, the one to connect to; the password is sealed
 * under the master key like the credential and never shown (the API has
 * hasProxyPassword instead).
 */

#ifndef _ADMIND_ACCOUNT_PROXY_H_INCLUDED_
#define _ADMIND_ACCOUNT_PROXY_H_INCLUDED_


#include <mysql.h>
#include <jansson.h>

#include "admind.h"


/* how the account resource reads its proxy fields (admind_fields.h) */
#define ADMIND_ACCOUNT_PROXY_URL_READ                                        \
    "JSON_UNQUOTE(JSON_EXTRACT(a.proxy_config, '$.url'))"
#define ADMIND_ACCOUNT_PROXY_USERNAME_READ                                   \
    "JSON_UNQUOTE(JSON_EXTRACT(a.proxy_config, '$.username'))"
#define ADMIND_ACCOUNT_PROXY_PASSWORD_READ                                   \
    "JSON_EXTRACT(a.proxy_config, '$.passwordEnc') IS NOT NULL"


/*
 * The body's proxyUrl, when it sets one, is http, https, socks5 or
 * socks5h with a host[:port] and nothing else, and resolves to an
 * address the outbound URL policy lets through, put in addr
 * (ADMIND_BASEURL_ADDR bytes; "" when the body sets no URL).  It
 * resolves names: call it outside a transaction.  Answers 400 otherwise.
 */
int admind_account_proxy_resolve(admind_req_t *r, json_t *body, char *addr,
    size_t size);

/*
 * The body's proxy fields are consistent with before (NULL on create):
 * a username or password needs a URL, a password needs the master key.
 * Answers 400 (or 503) otherwise.
 */
int admind_account_proxy_check(admind_req_t *r, json_t *body,
    json_t *before);

/*
 * Stores the body's proxy fields, with addr from
 * admind_account_proxy_resolve(), into the row (inside the caller's
 * transaction); bump adds a version increment (when nothing else changed
 * the row).  Answers nothing: errors are in err.
 */
int admind_account_proxy_write(admind_req_t *r, MYSQL *mysql, uint64_t id,
    json_t *body, const char *addr, int bump, char *err, size_t errlen);


#endif /* _ADMIND_ACCOUNT_PROXY_H_INCLUDED_ */
