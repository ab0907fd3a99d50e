/*
 * QuotaLane admind: password checks against an LDAP directory (simple
 * bind as the user).
 */

#ifndef _ADMIND_LDAP_H_INCLUDED_
#define _ADMIND_LDAP_H_INCLUDED_


#include "admind.h"


/* whether ldap_url is configured */
int admind_ldap_enabled(const admind_conf_t *conf);

/*
 * Binds as the DN of ldap_bind_dn_template for username (which the
 * caller checked to be a valid local username).  ADMIND_OK for a
 * successful bind, ADMIND_DECLINED for wrong credentials, ADMIND_ERROR
 * with err when the directory could not be asked.
 */
int admind_ldap_bind(const admind_conf_t *conf, const char *username,
    const char *password, char *err, size_t errlen);


#endif /* _ADMIND_LDAP_H_INCLUDED_ */
