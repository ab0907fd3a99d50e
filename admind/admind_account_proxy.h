/*
 * QuotaLane admind: an account's outbound proxy settings, stored for the
 * platforms work in accounts.proxy_config as
 * {"url": ..., "username": ..., "passwordEnc": "<hex>"}: the password is
 * sealed under the master key like the credential and never shown
 * (the API has hasProxyPassword instead).
 */

#ifndef _ADMIND_ACCOUNT_PROXY_H_INCLUDED_
#define _ADMIND_ACCOUNT_PROXY_H_INCLUDED_


#include <mysql.h>
#include <jansson.h>

#include "admind.h"


/* the SELECT columns of the API fields, for the account resource */
#define ADMIND_ACCOUNT_PROXY_SELECT                                          \
    "JSON_UNQUOTE(JSON_EXTRACT(a.proxy_config, '$.url')) AS proxyUrl, "     \
    "JSON_UNQUOTE(JSON_EXTRACT(a.proxy_config, '$.username')) "             \
    "AS proxyUsername, "                                                     \
    "JSON_EXTRACT(a.proxy_config, '$.passwordEnc') IS NOT NULL "             \
    "AS hasProxyPassword"


/*
 * The body's proxy fields are consistent with before (NULL on create):
 * the URL is http, https, socks5 or socks5h with a host and no user
 * information, a username or password needs a URL, a password needs the
 * master key.  Answers 400 (or 503) otherwise.
 */
int admind_account_proxy_check(admind_req_t *r, json_t *body,
    json_t *before);

/*
 * Stores the body's proxy fields into the row (inside the caller's
 * transaction); bump adds a version increment (when nothing else
 * changed the row).  Answers nothing: errors are in err.
 */
int admind_account_proxy_write(admind_req_t *r, MYSQL *mysql, uint64_t id,
    json_t *body, int bump, char *err, size_t errlen);


#endif /* _ADMIND_ACCOUNT_PROXY_H_INCLUDED_ */
