/*
 * QuotaLane admind: an account's outbound proxy settings.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_request.h"
#include "admind_response.h"
#include "admind_fields.h"
#include "admind_db_stmt.h"
#include "admind_cred.h"
#include "admind_config.h"
#include "admind_outbound.h"
#include "admind_account_proxy.h"


static const admind_baseurl_scheme_t  admind_account_proxy_schemes[] = {
    { "http", 80 },
    { "https", 443 },
    { "socks5", 1080 },
    { "socks5h", 1080 },
    { NULL, 0 }
};


int
admind_account_proxy_resolve(admind_req_t *r, json_t *body, char *addr,
    size_t size)
{
    char               err[ADMIND_ERRLEN];
    const char        *url;
    admind_baseurl_t   u;

    addr[0] = '\0';
    url = admind_fields_str(body, "proxyUrl", NULL);

    if (url == NULL) {
        return ADMIND_OK;
    }

    if (admind_outbound_url(&r->ctx->conf->outbound, "proxyUrl", url,
                            admind_account_proxy_schemes, &u, addr, size,
                            err, sizeof(err))
        != ADMIND_OK)
    {
        admind_resp_error(r, 400, "invalid_argument", "%s", err);
        return ADMIND_ERROR;
    }

    /* a proxy is a host[:port]: a path would be silently dropped */
    if (u.path[0] != '\0') {
        admind_resp_error(r, 400, "invalid_argument", "field \"proxyUrl\" "
                          "must be a scheme and a host[:port], without a "
                          "path");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


int
admind_account_proxy_check(admind_req_t *r, json_t *body, json_t *before)
{
    const char  *url;

    url = admind_fields_has(body, "proxyUrl")
          ? admind_fields_str(body, "proxyUrl", NULL)
          : (before ? admind_fields_str(before, "proxyUrl", NULL) : NULL);

    if (url == NULL
        && (admind_fields_str(body, "proxyUsername", NULL) != NULL
            || admind_fields_str(body, "proxyPassword", NULL) != NULL))
    {
        admind_resp_error(r, 400, "invalid_argument", "fields "
                          "\"proxyUsername\" and \"proxyPassword\" need a "
                          "\"proxyUrl\"");
        return ADMIND_ERROR;
    }

    if (admind_fields_str(body, "proxyPassword", NULL) != NULL
        && !r->ctx->has_master_key)
    {
        admind_resp_error(r, 503, "unavailable", "master_key_file is not "
                          "configured: a proxy password cannot be stored");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* one JSON_SET or JSON_REMOVE of a member; value NULL removes it */
static int
admind_account_proxy_set(MYSQL *mysql, uint64_t id, const char *member,
    const char *value, int bump, char *err, size_t errlen)
{
    char               sql[512];
    unsigned           n;
    admind_db_param_t  params[2];

    n = 0;

    if (value != NULL) {
        snprintf(sql, sizeof(sql), "UPDATE accounts SET proxy_config = "
                 "JSON_SET(COALESCE(proxy_config, '{}'), '$.%s', ?)%s "
                 "WHERE id = ?", member,
                 bump ? ", version = version + 1" : "");
        params[n++] = admind_db_str(value);

    } else {
        snprintf(sql, sizeof(sql), "UPDATE accounts SET proxy_config = "
                 "JSON_REMOVE(proxy_config, '$.%s')%s WHERE id = ? "
                 "AND JSON_EXTRACT(proxy_config, '$.%s') IS NOT NULL",
                 member, bump ? ", version = version + 1" : "", member);
    }

    params[n++] = admind_db_int((long long) id);

    return admind_db_exec(mysql, sql, params, n, NULL, err, errlen);
}


int
admind_account_proxy_write(admind_req_t *r, MYSQL *mysql, uint64_t id,
    json_t *body, const char *addr, int bump, char *err, size_t errlen)
{
    int                rc;
    char              *hex;
    size_t             i, len;
    const char        *s;
    unsigned char     *env;
    admind_db_param_t  params[1];

    /* no URL, no proxy: the rest goes with it */
    if (admind_fields_is_null(body, "proxyUrl")) {
        params[0] = admind_db_int((long long) id);

        return admind_db_exec(mysql, bump
                              ? "UPDATE accounts SET proxy_config = NULL, "
                                "version = version + 1 WHERE id = ? "
                                "AND proxy_config IS NOT NULL"
                              : "UPDATE accounts SET proxy_config = NULL "
                                "WHERE id = ?",
                              params, 1, NULL, err, errlen);
    }

    if (admind_fields_has(body, "proxyUrl")) {
        if (admind_account_proxy_set(mysql, id, "url",
                                     admind_fields_str(body, "proxyUrl", ""),
                                     bump, err, errlen)
            != ADMIND_OK
            || admind_account_proxy_set(mysql, id, "addr", addr, 0, err,
                                        errlen)
               != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        bump = 0;
    }

    if (admind_fields_has(body, "proxyUsername")) {
        if (admind_account_proxy_set(mysql, id, "username",
                                     admind_fields_str(body, "proxyUsername",
                                                       NULL),
                                     bump, err, errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        bump = 0;
    }

    if (!admind_fields_has(body, "proxyPassword")) {
        return ADMIND_OK;
    }

    s = admind_fields_str(body, "proxyPassword", NULL);

    if (s == NULL) {
        return admind_account_proxy_set(mysql, id, "passwordEnc", NULL, bump,
                                        err, errlen);
    }

    if (admind_cred_seal(&r->ctx->master_key, id, s, strlen(s), &env, &len)
        != ADMIND_OK)
    {
        snprintf(err, errlen, "cannot seal the proxy password");
        return ADMIND_ERROR;
    }

    hex = malloc(len * 2 + 1);
    if (hex == NULL) {
        free(env);
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    for (i = 0; i < len; i++) {
        snprintf(hex + i * 2, 3, "%02x", env[i]);
    }

    free(env);

    rc = admind_account_proxy_set(mysql, id, "passwordEnc", hex, bump, err,
                                  errlen);
    free(hex);

    return rc;
}
