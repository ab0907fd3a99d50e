/*
 * QuotaLane admind: password checks against an LDAP directory.
 *
 * A simple bind as "uid=<name>,ou=people,..." (ldap_bind_dn_template)
 * with the password given at login: the directory decides, admind keeps
 * nothing of the password.  One short-lived connection per login, with
 * ldap_timeout_ms for the connect and the bind, on the request thread
 * (logins are rare).  ldaps:// URLs use TLS as libldap is configured
 * (ldap.conf: TLS_CACERT and friends).
 */

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#define LDAP_DEPRECATED  0
#include <ldap.h>

#include "admind_config.h"
#include "admind_ldap.h"


/* a DN: the template and a name of up to 64 characters */
#define ADMIND_LDAP_DN_MAX  1024


int
admind_ldap_enabled(const admind_conf_t *conf)
{
    return conf->ldap_url != NULL && conf->ldap_url[0] != '\0';
}


/*
 * The name goes into the DN unescaped: local usernames hold only
 * A-Z a-z 0-9 . _ @ -, none of which is special in a DN (RFC 4514), and
 * admind_auth refuses other names before asking the directory.
 */
static int
admind_ldap_dn(const admind_conf_t *conf, const char *username, char *dn,
    size_t size)
{
    size_t       len;
    const char  *tpl, *at;

    tpl = conf->ldap_bind_dn_template;
    at = strstr(tpl, "%s");

    if (at == NULL) {
        return ADMIND_ERROR;
    }

    len = (size_t) (at - tpl);

    if (len + strlen(username) + strlen(at + 2) + 1 > size) {
        return ADMIND_ERROR;
    }

    memcpy(dn, tpl, len);
    strcpy(dn + len, username);
    strcat(dn, at + 2);

    return ADMIND_OK;
}


int
admind_ldap_bind(const admind_conf_t *conf, const char *username,
    const char *password, char *err, size_t errlen)
{
    int              rc, version;
    char             dn[ADMIND_LDAP_DN_MAX];
    LDAP            *ld;
    struct berval    cred;
    struct timeval   tv;

    /* an empty password is an anonymous bind, which always "succeeds" */
    if (password[0] == '\0') {
        return ADMIND_DECLINED;
    }

    if (admind_ldap_dn(conf, username, dn, sizeof(dn)) != ADMIND_OK) {
        snprintf(err, errlen, "the bind DN is too long");
        return ADMIND_ERROR;
    }

    rc = ldap_initialize(&ld, conf->ldap_url);
    if (rc != LDAP_SUCCESS) {
        snprintf(err, errlen, "ldap_url \"%s\": %s", conf->ldap_url,
                 ldap_err2string(rc));
        return ADMIND_ERROR;
    }

    version = LDAP_VERSION3;
    tv.tv_sec = conf->ldap_timeout_ms / 1000;
    tv.tv_usec = (conf->ldap_timeout_ms % 1000) * 1000;

    if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version)
        != LDAP_OPT_SUCCESS
        || ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv)
           != LDAP_OPT_SUCCESS
        || ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS
        || ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)
           != LDAP_OPT_SUCCESS)
    {
        ldap_unbind_ext_s(ld, NULL, NULL);
        snprintf(err, errlen, "cannot set LDAP options");
        return ADMIND_ERROR;
    }

    cred.bv_val = (char *) password;
    cred.bv_len = strlen(password);

    rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);

    ldap_unbind_ext_s(ld, NULL, NULL);

    if (rc == LDAP_SUCCESS) {
        return ADMIND_OK;
    }

    if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INVALID_DN_SYNTAX
        || rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_UNWILLING_TO_PERFORM
        || rc == LDAP_INAPPROPRIATE_AUTH)
    {
        return ADMIND_DECLINED;
    }

    snprintf(err, errlen, "%s: %s", conf->ldap_url, ldap_err2string(rc));

    return ADMIND_ERROR;
}
