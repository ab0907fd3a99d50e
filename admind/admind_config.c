/*
 * QuotaLane admind: configuration.
 *
 * One table lists every key with its setter, range and default, so that
 * the file, the environment and the command line go through the same
 * validation and a new key is one table row.  Precedence, lowest first:
 * defaults, file, QL_ADMIND_<KEY> environment, command line.
 */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_file.h"
#include "admind_config.h"


/* configuration files are tiny; anything larger is a mistake */
#define ADMIND_CONF_FILE_MAX  (1024 * 1024)


typedef struct admind_conf_key_s  admind_conf_key_t;

typedef int (*admind_conf_set_pt)(admind_conf_t *conf,
    const admind_conf_key_t *key, const char *value, char *err,
    size_t errlen);

struct admind_conf_key_s {
    const char           *name;
    admind_conf_set_pt    set;
    size_t                offset;
    unsigned long long    min;
    unsigned long long    max;
    const char           *dflt;
    unsigned              is_str;
};


static int admind_conf_set_str(admind_conf_t *conf,
    const admind_conf_key_t *key, const char *value, char *err,
    size_t errlen);
static int admind_conf_set_nonempty(admind_conf_t *conf,
    const admind_conf_key_t *key, const char *value, char *err,
    size_t errlen);
static int admind_conf_set_uint(admind_conf_t *conf,
    const admind_conf_key_t *key, const char *value, char *err,
    size_t errlen);
static int admind_conf_set_size(admind_conf_t *conf,
    const admind_conf_key_t *key, const char *value, char *err,
    size_t errlen);
static int admind_conf_set_level(admind_conf_t *conf,
    const admind_conf_key_t *key, const char *value, char *err,
    size_t errlen);
static int admind_conf_set_listen(admind_conf_t *conf,
    const admind_conf_key_t *key, const char *value, char *err,
    size_t errlen);
static int admind_conf_set_redis(admind_conf_t *conf,
    const admind_conf_key_t *key, const char *value, char *err,
    size_t errlen);
static int admind_conf_set_outbound(admind_conf_t *conf,
    const admind_conf_key_t *key, const char *value, char *err,
    size_t errlen);


#define admind_conf_off(field)  offsetof(admind_conf_t, field)

static const admind_conf_key_t  admind_conf_keys[] = {

    { "listen", admind_conf_set_listen, admind_conf_off(listen),
      0, 0, "127.0.0.1:8081", 1 },

    { "db_host", admind_conf_set_str, admind_conf_off(db_host),
      0, 0, "", 1 },

    { "db_port", admind_conf_set_uint, admind_conf_off(db_port),
      1, 65535, "3306", 0 },

    { "db_socket", admind_conf_set_str, admind_conf_off(db_socket),
      0, 0, "", 1 },

    { "db_user", admind_conf_set_str, admind_conf_off(db_user),
      0, 0, "", 1 },

    { "db_password", admind_conf_set_str, admind_conf_off(db_password),
      0, 0, "", 1 },

    { "db_password_file", admind_conf_set_str,
      admind_conf_off(db_password_file), 0, 0, "", 1 },

    { "db_name", admind_conf_set_nonempty, admind_conf_off(db_name),
      0, 0, "quotalane", 1 },

    { "db_connect_timeout", admind_conf_set_uint,
      admind_conf_off(db_connect_timeout), 1, 3600, "5", 0 },

    { "db_read_timeout", admind_conf_set_uint,
      admind_conf_off(db_read_timeout), 1, 3600, "10", 0 },

    { "db_write_timeout", admind_conf_set_uint,
      admind_conf_off(db_write_timeout), 1, 3600, "10", 0 },

    { "redis", admind_conf_set_redis, admind_conf_off(redis),
      0, 0, "127.0.0.1:6379", 1 },

    { "redis_user", admind_conf_set_str, admind_conf_off(redis_user),
      0, 0, "", 1 },

    { "redis_password", admind_conf_set_str,
      admind_conf_off(redis_password), 0, 0, "", 1 },

    { "redis_password_file", admind_conf_set_str,
      admind_conf_off(redis_password_file), 0, 0, "", 1 },

    { "redis_db", admind_conf_set_uint, admind_conf_off(redis_db),
      0, 1000000, "0", 0 },

    { "redis_timeout_ms", admind_conf_set_uint,
      admind_conf_off(redis_timeout_ms), 10, 60000, "500", 0 },

    { "redis_prefix", admind_conf_set_str, admind_conf_off(redis_prefix),
      0, 0, "ql:{main}:", 1 },

    { "migrations_dir", admind_conf_set_nonempty,
      admind_conf_off(migrations_dir), 0, 0, "admind/migrations", 1 },

    { "master_key_file", admind_conf_set_str,
      admind_conf_off(master_key_file), 0, 0, "", 1 },

    { "jwt_secret_file", admind_conf_set_str,
      admind_conf_off(jwt_secret_file), 0, 0, "", 1 },

    { "jwt_ttl_seconds", admind_conf_set_uint,
      admind_conf_off(jwt_ttl_seconds), 60, 30 * 86400, "43200", 0 },

    { "bootstrap_admin_user", admind_conf_set_str,
      admind_conf_off(bootstrap_admin_user), 0, 0, "", 1 },

    { "bootstrap_admin_password_file", admind_conf_set_str,
      admind_conf_off(bootstrap_admin_password_file), 0, 0, "", 1 },

    { "log_level", admind_conf_set_level, admind_conf_off(log_level),
      0, 0, "info", 0 },

    { "max_body_bytes", admind_conf_set_size,
      admind_conf_off(max_body_bytes), 1, 1024 * 1024 * 1024, "1048576",
      0 },

    { "http_threads", admind_conf_set_uint, admind_conf_off(http_threads),
      1, 256, "4", 0 },

    { "http_connection_timeout", admind_conf_set_uint,
      admind_conf_off(http_connection_timeout), 1, 3600, "15", 0 },

    { "http_max_connections", admind_conf_set_uint,
      admind_conf_off(http_max_connections), 1, 65536, "256", 0 },

    { "http_max_connections_per_ip", admind_conf_set_uint,
      admind_conf_off(http_max_connections_per_ip), 0, 65536, "32", 0 },

    { "http_max_uri_bytes", admind_conf_set_size,
      admind_conf_off(http_max_uri_bytes), 256, 1024 * 1024, "8192", 0 },

    { "http_max_header_bytes", admind_conf_set_size,
      admind_conf_off(http_max_header_bytes), 1024, 1024 * 1024, "16384",
      0 },

    { "resync_check_ms", admind_conf_set_uint,
      admind_conf_off(resync_check_ms), 100, 60000, "1000", 0 },

    { "resync_interval_seconds", admind_conf_set_uint,
      admind_conf_off(resync_interval_seconds), 0, 7 * 86400, "3600", 0 },

    { "usage_batch", admind_conf_set_uint, admind_conf_off(usage_batch),
      1, 10000, "500", 0 },

    { "usage_block_ms", admind_conf_set_uint,
      admind_conf_off(usage_block_ms), 10, 60000, "1000", 0 },

    { "usage_linger_ms", admind_conf_set_uint,
      admind_conf_off(usage_linger_ms), 0, 5000, "50", 0 },

    { "usage_claim_idle_ms", admind_conf_set_uint,
      admind_conf_off(usage_claim_idle_ms), 100, 86400000, "30000", 0 },

    { "usage_retry_max_ms", admind_conf_set_uint,
      admind_conf_off(usage_retry_max_ms), 100, 600000, "5000", 0 },

    { "usage_dead_maxlen", admind_conf_set_uint,
      admind_conf_off(usage_dead_maxlen), 1, 100000000, "100000", 0 },

    { "lease_audit_interval_ms", admind_conf_set_uint,
      admind_conf_off(lease_audit_interval_ms), 100, 3600000, "10000", 0 },

    { "lease_audit_grace_ms", admind_conf_set_uint,
      admind_conf_off(lease_audit_grace_ms), 0, 86400000, "60000", 0 },

    { "subscription_tick_seconds", admind_conf_set_uint,
      admind_conf_off(subscription_tick_seconds), 1, 86400, "30", 0 },

    { "login_max_failures", admind_conf_set_uint,
      admind_conf_off(login_max_failures), 1, 1000000, "5", 0 },

    { "login_max_failures_per_addr", admind_conf_set_uint,
      admind_conf_off(login_max_failures_per_addr), 1, 1000000, "20", 0 },

    { "login_max_failures_per_user", admind_conf_set_uint,
      admind_conf_off(login_max_failures_per_user), 1, 1000000, "100", 0 },

    { "login_user_pace_seconds", admind_conf_set_uint,
      admind_conf_off(login_user_pace_seconds), 1, 3600, "1", 0 },

    { "login_failure_window_seconds", admind_conf_set_uint,
      admind_conf_off(login_failure_window_seconds), 1, 86400, "300", 0 },

    /* a user's own keys without a key policy (admind_key_policy.h) */
    { "user_max_keys", admind_conf_set_uint,
      admind_conf_off(user_max_keys), 0, 100000, "10", 0 },

    { "ldap_url", admind_conf_set_str, admind_conf_off(ldap_url),
      0, 0, "", 1 },

    { "ldap_bind_dn_template", admind_conf_set_str,
      admind_conf_off(ldap_bind_dn_template), 0, 0, "", 1 },

    { "ldap_user_role", admind_conf_set_nonempty,
      admind_conf_off(ldap_user_role), 0, 0, "user", 1 },

    { "ldap_timeout_ms", admind_conf_set_uint,
      admind_conf_off(ldap_timeout_ms), 100, 60000, "5000", 0 },

    /* OAuth refresh of subscription accounts (admind_oauth_refresh.h) */
    { "oauth_claude_token_url", admind_conf_set_str,
      admind_conf_off(oauth_claude_token_url), 0, 0,
      "https://console.anthropic.com/v1/oauth/token", 1 },

    { "oauth_claude_client_id", admind_conf_set_nonempty,
      admind_conf_off(oauth_claude_client_id), 0, 0,
      "9d1c250a-e61b-44d9-88ed-5944d1962f5e", 1 },

    { "oauth_codex_token_url", admind_conf_set_nonempty,
      admind_conf_off(oauth_codex_token_url), 0, 0,
      "https://auth.openai.com/oauth/token", 1 },

    { "oauth_codex_client_id", admind_conf_set_nonempty,
      admind_conf_off(oauth_codex_client_id), 0, 0,
      "app_EMoamEEZ73f0CkXaXp7hrann", 1 },

    { "oauth_gemini_token_url", admind_conf_set_nonempty,
      admind_conf_off(oauth_gemini_token_url), 0, 0,
      "https://oauth2.googleapis.com/token", 1 },

    /* Gemini CLI's installed-app client: public by Google's design */
    { "oauth_gemini_client_id", admind_conf_set_nonempty,
      admind_conf_off(oauth_gemini_client_id), 0, 0,
      "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j"
      ".apps.googleusercontent.com", 1 },

    { "oauth_gemini_client_secret", admind_conf_set_nonempty,
      admind_conf_off(oauth_gemini_client_secret), 0, 0,
      "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", 1 },

    /* onboarding (admind_oauth.c): PKCE authorization code flow */
    { "oauth_claude_authorize_url", admind_conf_set_nonempty,
      admind_conf_off(oauth_claude_authorize_url), 0, 0,
      "https://claude.ai/oauth/authorize", 1 },

    { "oauth_claude_redirect_uri", admind_conf_set_nonempty,
      admind_conf_off(oauth_claude_redirect_uri), 0, 0,
      "https://console.anthropic.com/oauth/code/callback", 1 },

    { "oauth_claude_scopes", admind_conf_set_nonempty,
      admind_conf_off(oauth_claude_scopes), 0, 0,
      "org:create_api_key user:profile user:inference", 1 },

    /* Codex CLI's: the redirect is its local server's, pasted back */
    { "oauth_codex_authorize_url", admind_conf_set_nonempty,
      admind_conf_off(oauth_codex_authorize_url), 0, 0,
      "https://auth.openai.com/oauth/authorize", 1 },

    { "oauth_codex_redirect_uri", admind_conf_set_nonempty,
      admind_conf_off(oauth_codex_redirect_uri), 0, 0,
      "http://localhost:1455/auth/callback", 1 },

    { "oauth_codex_scopes", admind_conf_set_nonempty,
      admind_conf_off(oauth_codex_scopes), 0, 0,
      "openid profile email offline_access", 1 },

    /* Gemini CLI's: Google shows the code to paste */
    { "oauth_gemini_authorize_url", admind_conf_set_nonempty,
      admind_conf_off(oauth_gemini_authorize_url), 0, 0,
      "https://accounts.google.com/o/oauth2/v2/auth", 1 },

    { "oauth_gemini_redirect_uri", admind_conf_set_nonempty,
      admind_conf_off(oauth_gemini_redirect_uri), 0, 0,
      "https://codeassist.google.com/authcode", 1 },

    { "oauth_gemini_scopes", admind_conf_set_nonempty,
      admind_conf_off(oauth_gemini_scopes), 0, 0,
      "https://www.googleapis.com/auth/cloud-platform "
      "https://www.googleapis.com/auth/userinfo.email "
      "https://www.googleapis.com/auth/userinfo.profile openid", 1 },

    /* Factory Droid's WorkOS client */
    { "oauth_droid_token_url", admind_conf_set_nonempty,
      admind_conf_off(oauth_droid_token_url), 0, 0,
      "https://api.workos.com/user_management/authenticate", 1 },

    { "oauth_droid_client_id", admind_conf_set_nonempty,
      admind_conf_off(oauth_droid_client_id), 0, 0,
      "client_01HNM792M5G5G1A2THWPXKFMXB", 1 },

    { "oauth_session_seconds", admind_conf_set_uint,
      admind_conf_off(oauth_session_seconds), 60, 86400, "600", 0 },

    { "oauth_refresh_check_seconds", admind_conf_set_uint,
      admind_conf_off(oauth_refresh_check_seconds), 1, 3600, "30", 0 },

    { "oauth_refresh_before_seconds", admind_conf_set_uint,
      admind_conf_off(oauth_refresh_before_seconds), 0, 86400, "600", 0 },

    { "oauth_refresh_max_failures", admind_conf_set_uint,
      admind_conf_off(oauth_refresh_max_failures), 1, 100, "3", 0 },

    { "metrics_token_file", admind_conf_set_str,
      admind_conf_off(metrics_token_file), 0, 0, "", 1 },

    /* the web console's files, as make console lays them out */
    { "console_dir", admind_conf_set_str,
      admind_conf_off(console_dir), 0, 0, "build/console", 1 },

    { "outbound_allow", admind_conf_set_outbound,
      admind_conf_off(outbound_allow), 0, 0, "", 1 },

    /* webhook deliveries (admind_webhook_worker.h) */
    { "webhook_check_ms", admind_conf_set_uint,
      admind_conf_off(webhook_check_ms), 100, 600000, "2000", 0 },

    { "webhook_max_attempts", admind_conf_set_uint,
      admind_conf_off(webhook_max_attempts), 1, 30, "6", 0 },

    { "webhook_backoff_seconds", admind_conf_set_uint,
      admind_conf_off(webhook_backoff_seconds), 1, 3600, "5", 0 },

    { "webhook_retention_days", admind_conf_set_uint,
      admind_conf_off(webhook_retention_days), 1, 3650, "30", 0 },
};

#define ADMIND_CONF_NKEYS                                                    \
    (sizeof(admind_conf_keys) / sizeof(admind_conf_keys[0]))

_Static_assert(ADMIND_CONF_NKEYS <= ADMIND_CONF_MAX_KEYS,
               "admind_conf_t.seen is too small");


static void
admind_conf_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    if (errlen == 0) {
        return;
    }

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}


static const admind_conf_key_t *
admind_conf_find(const char *name, size_t len, size_t *index)
{
    size_t  i;

    for (i = 0; i < ADMIND_CONF_NKEYS; i++) {
        if (strlen(admind_conf_keys[i].name) == len
            && memcmp(admind_conf_keys[i].name, name, len) == 0)
        {
            *index = i;
            return &admind_conf_keys[i];
        }
    }

    return NULL;
}


static int
admind_conf_set_str(admind_conf_t *conf, const admind_conf_key_t *key,
    const char *value, char *err, size_t errlen)
{
    char  **field, *copy;

    copy = strdup(value);
    if (copy == NULL) {
        admind_conf_err(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    field = (char **) ((char *) conf + key->offset);
    free(*field);
    *field = copy;

    return ADMIND_OK;
}


static int
admind_conf_set_nonempty(admind_conf_t *conf, const admind_conf_key_t *key,
    const char *value, char *err, size_t errlen)
{
    if (value[0] == '\0') {
        admind_conf_err(err, errlen, "must not be empty");
        return ADMIND_ERROR;
    }

    return admind_conf_set_str(conf, key, value, err, errlen);
}


/* digits only: strtoull() would accept signs, spaces and hex */
static int
admind_conf_number(const char *value, unsigned long long *n)
{
    const char  *p;

    if (value[0] == '\0') {
        return ADMIND_ERROR;
    }

    *n = 0;

    for (p = value; *p; p++) {
        if (*p < '0' || *p > '9') {
            return ADMIND_ERROR;
        }

        if (*n > (~0ULL - 9) / 10) {
            return ADMIND_ERROR;
        }

        *n = *n * 10 + (unsigned) (*p - '0');
    }

    return ADMIND_OK;
}


static int
admind_conf_set_uint(admind_conf_t *conf, const admind_conf_key_t *key,
    const char *value, char *err, size_t errlen)
{
    unsigned long long  n;

    if (admind_conf_number(value, &n) != ADMIND_OK
        || n < key->min || n > key->max)
    {
        admind_conf_err(err, errlen, "expected an integer in %llu..%llu, "
                        "got \"%s\"", key->min, key->max, value);
        return ADMIND_ERROR;
    }

    *(unsigned *) ((char *) conf + key->offset) = (unsigned) n;

    return ADMIND_OK;
}


/* bytes, or with a k/m suffix (KiB, MiB) as in nginx */
static int
admind_conf_set_size(admind_conf_t *conf, const admind_conf_key_t *key,
    const char *value, char *err, size_t errlen)
{
    char                 digits[32];
    size_t               len;
    unsigned             shift;
    unsigned long long   n;

    len = strlen(value);
    shift = 0;

    if (len > 1 && (value[len - 1] == 'k' || value[len - 1] == 'K')) {
        shift = 10;
        len--;

    } else if (len > 1 && (value[len - 1] == 'm' || value[len - 1] == 'M')) {
        shift = 20;
        len--;
    }

    if (len >= sizeof(digits)) {
        goto invalid;
    }

    memcpy(digits, value, len);
    digits[len] = '\0';

    if (admind_conf_number(digits, &n) != ADMIND_OK || n > (key->max >> shift))
    {
        goto invalid;
    }

    n <<= shift;

    if (n < key->min || n > key->max) {
        goto invalid;
    }

    *(size_t *) ((char *) conf + key->offset) = (size_t) n;

    return ADMIND_OK;

invalid:

    admind_conf_err(err, errlen, "expected a size in bytes (optionally "
                    "with a k or m suffix) in %llu..%llu, got \"%s\"",
                    key->min, key->max, value);
    return ADMIND_ERROR;
}


static int
admind_conf_set_level(admind_conf_t *conf, const admind_conf_key_t *key,
    const char *value, char *err, size_t errlen)
{
    admind_log_level_e  level;

    if (admind_log_level_parse(value, &level) != ADMIND_OK) {
        admind_conf_err(err, errlen, "expected one of debug, info, warn, "
                        "error, got \"%s\"", value);
        return ADMIND_ERROR;
    }

    *(admind_log_level_e *) ((char *) conf + key->offset) = level;

    return ADMIND_OK;
}


int
admind_conf_parse_hostport(const char *s, char *host, size_t hostsz,
    unsigned *port, unsigned min_port)
{
    size_t               hlen;
    const char          *h, *colon, *end;
    unsigned long long   n;

    if (s[0] == '[') {
        /* an IPv6 literal: "[::1]:8081" */
        end = strchr(s, ']');
        if (end == NULL || end[1] != ':') {
            return ADMIND_ERROR;
        }

        h = s + 1;
        hlen = (size_t) (end - h);
        colon = end + 1;

    } else {
        colon = strchr(s, ':');
        if (colon == NULL || strchr(colon + 1, ':') != NULL) {
            return ADMIND_ERROR;
        }

        h = s;
        hlen = (size_t) (colon - s);
    }

    if (hlen == 0 || hlen >= hostsz) {
        return ADMIND_ERROR;
    }

    if (admind_conf_number(colon + 1, &n) != ADMIND_OK
        || n < min_port || n > 65535)
    {
        return ADMIND_ERROR;
    }

    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (unsigned) n;

    return ADMIND_OK;
}


static int
admind_conf_set_listen(admind_conf_t *conf, const admind_conf_key_t *key,
    const char *value, char *err, size_t errlen)
{
    char      host[ADMIND_CONF_HOST_MAX];
    unsigned  port;

    /* port 0 asks the kernel for a free port (tests); the log says which */
    if (admind_conf_parse_hostport(value, host, sizeof(host), &port, 0)
        != ADMIND_OK)
    {
        admind_conf_err(err, errlen, "expected ADDRESS:PORT or "
                        "[IPV6]:PORT, got \"%s\"", value);
        return ADMIND_ERROR;
    }

    return admind_conf_set_str(conf, key, value, err, errlen);
}


static int
admind_conf_set_redis(admind_conf_t *conf, const admind_conf_key_t *key,
    const char *value, char *err, size_t errlen)
{
    char      host[ADMIND_CONF_HOST_MAX];
    unsigned  port;

    if (strncmp(value, "unix:", 5) == 0) {
        if (value[5] != '/') {
            admind_conf_err(err, errlen, "expected unix:/absolute/path, "
                            "got \"%s\"", value);
            return ADMIND_ERROR;
        }

    } else if (admind_conf_parse_hostport(value, host, sizeof(host), &port, 1)
               != ADMIND_OK)
    {
        admind_conf_err(err, errlen, "expected HOST:PORT or "
                        "unix:/path, got \"%s\"", value);
        return ADMIND_ERROR;
    }

    return admind_conf_set_str(conf, key, value, err, errlen);
}


static int
admind_conf_set_outbound(admind_conf_t *conf, const admind_conf_key_t *key,
    const char *value, char *err, size_t errlen)
{
    char                     detail[ADMIND_ERRLEN];
    admind_outbound_allow_t  allow;

    if (admind_outbound_allow_parse(value, &allow, detail, sizeof(detail))
        != ADMIND_OK)
    {
        admind_conf_err(err, errlen, "%s", detail);
        return ADMIND_ERROR;
    }

    if (admind_conf_set_str(conf, key, value, err, errlen) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    conf->outbound = allow;

    return ADMIND_OK;
}


int
admind_conf_init(admind_conf_t *conf)
{
    size_t  i;
    char    err[ADMIND_ERRLEN];

    memset(conf, 0, sizeof(admind_conf_t));

    for (i = 0; i < ADMIND_CONF_NKEYS; i++) {
        if (admind_conf_keys[i].set(conf, &admind_conf_keys[i],
                                    admind_conf_keys[i].dflt, err,
                                    sizeof(err))
            != ADMIND_OK)
        {
            admind_conf_free(conf);
            return ADMIND_ERROR;
        }
    }

    return ADMIND_OK;
}


void
admind_conf_free(admind_conf_t *conf)
{
    size_t   i;
    char   **field;

    for (i = 0; i < ADMIND_CONF_NKEYS; i++) {
        if (admind_conf_keys[i].is_str) {
            field = (char **) ((char *) conf + admind_conf_keys[i].offset);
            free(*field);
            *field = NULL;
        }
    }

    free(conf->redis_unix);
    conf->redis_unix = NULL;
}


/*
 * The value part of a line: either "quoted" (with \" and \\), so that it
 * may hold '#' or outer spaces, or bare up to a '#' that follows a space.
 */
static int
admind_conf_value(const char *p, const char *end, char *out, char *err,
    size_t errlen)
{
    char        *o;
    const char  *v;

    o = out;

    if (p < end && *p == '"') {
        for (p++; p < end && *p != '"'; p++) {
            if (*p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\')) {
                p++;
            }
            *o++ = *p;
        }

        if (p == end) {
            admind_conf_err(err, errlen, "unterminated quoted value");
            return ADMIND_ERROR;
        }

        for (p++; p < end && (*p == ' ' || *p == '\t'); p++) {
            /* void */
        }

        if (p < end && *p != '#') {
            admind_conf_err(err, errlen, "unexpected text after the quoted "
                            "value");
            return ADMIND_ERROR;
        }

        *o = '\0';
        return ADMIND_OK;
    }

    for (v = p; p < end; p++) {
        if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
            break;
        }
    }

    while (p > v && (p[-1] == ' ' || p[-1] == '\t')) {
        p--;
    }

    memcpy(o, v, (size_t) (p - v));
    o[p - v] = '\0';

    return ADMIND_OK;
}


int
admind_conf_parse(admind_conf_t *conf, const char *name, const char *buf,
    size_t len, char *err, size_t errlen)
{
    char                     *value, detail[ADMIND_ERRLEN];
    size_t                    index;
    unsigned                  line;
    const char               *p, *end, *eol, *key, *key_end;
    const admind_conf_key_t  *k;

    if (memchr(buf, '\0', len) != NULL) {
        admind_conf_err(err, errlen, "%s: contains a NUL byte", name);
        return ADMIND_ERROR;
    }

    /* a value is never longer than its line */
    value = malloc(len + 1);
    if (value == NULL) {
        admind_conf_err(err, errlen, "%s: out of memory", name);
        return ADMIND_ERROR;
    }

    p = buf;
    end = buf + len;
    line = 0;

    while (p < end) {
        line++;

        eol = memchr(p, '\n', (size_t) (end - p));
        if (eol == NULL) {
            eol = end;
        }

        if (eol > p && eol[-1] == '\r') {
            eol--;
        }

        while (p < eol && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == eol || *p == '#') {
            goto next;
        }

        key = p;
        while (p < eol && (isalnum((unsigned char) *p) || *p == '_')) {
            p++;
        }
        key_end = p;

        while (p < eol && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (key == key_end || p == eol || *p != '=') {
            admind_conf_err(err, errlen, "%s:%u: expected \"key = value\"",
                            name, line);
            goto failed;
        }

        k = admind_conf_find(key, (size_t) (key_end - key), &index);
        if (k == NULL) {
            admind_conf_err(err, errlen, "%s:%u: unknown key \"%.*s\"",
                            name, line, (int) (key_end - key), key);
            goto failed;
        }

        if (conf->seen[index]) {
            admind_conf_err(err, errlen, "%s:%u: duplicate key \"%s\" "
                            "(first set on line %u)", name, line, k->name,
                            (unsigned) conf->seen[index]);
            goto failed;
        }

        for (p++; p < eol && (*p == ' ' || *p == '\t'); p++) {
            /* void */
        }

        if (admind_conf_value(p, eol, value, detail, sizeof(detail))
            != ADMIND_OK)
        {
            admind_conf_err(err, errlen, "%s:%u: %s", name, line, detail);
            goto failed;
        }

        if (k->set(conf, k, value, detail, sizeof(detail)) != ADMIND_OK) {
            admind_conf_err(err, errlen, "%s:%u: invalid value for \"%s\": "
                            "%s", name, line, k->name, detail);
            goto failed;
        }

        conf->seen[index] = line;

    next:

        p = memchr(p, '\n', (size_t) (end - p));
        p = p ? p + 1 : end;
    }

    free(value);
    return ADMIND_OK;

failed:

    free(value);
    return ADMIND_ERROR;
}


int
admind_conf_load(admind_conf_t *conf, const char *path, char *err,
    size_t errlen)
{
    int             rc;
    size_t          len;
    unsigned char  *buf;

    if (admind_file_read(path, ADMIND_CONF_FILE_MAX, &buf, &len, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    rc = admind_conf_parse(conf, path, (const char *) buf, len, err, errlen);
    free(buf);

    return rc;
}


int
admind_conf_set(admind_conf_t *conf, const char *key, const char *value,
    const char *origin, char *err, size_t errlen)
{
    char                      detail[ADMIND_ERRLEN];
    size_t                    index;
    const admind_conf_key_t  *k;

    k = admind_conf_find(key, strlen(key), &index);
    if (k == NULL) {
        admind_conf_err(err, errlen, "%s: unknown key \"%s\"", origin, key);
        return ADMIND_ERROR;
    }

    if (k->set(conf, k, value, detail, sizeof(detail)) != ADMIND_OK) {
        admind_conf_err(err, errlen, "%s: invalid value for \"%s\": %s",
                        origin, key, detail);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


int
admind_conf_apply_env(admind_conf_t *conf, char *err, size_t errlen)
{
    char         env[64], origin[96];
    size_t       i, j, plen;
    const char  *name, *value;

    plen = sizeof(ADMIND_CONF_ENV_PREFIX) - 1;
    memcpy(env, ADMIND_CONF_ENV_PREFIX, plen);

    for (i = 0; i < ADMIND_CONF_NKEYS; i++) {
        name = admind_conf_keys[i].name;

        for (j = 0; name[j] && plen + j < sizeof(env) - 1; j++) {
            env[plen + j] = (char) toupper((unsigned char) name[j]);
        }
        env[plen + j] = '\0';

        value = getenv(env);
        if (value == NULL) {
            continue;
        }

        snprintf(origin, sizeof(origin), "environment variable %s", env);

        if (admind_conf_set(conf, name, value, origin, err, errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }
    }

    return ADMIND_OK;
}


int
admind_conf_check(admind_conf_t *conf, char *err, size_t errlen)
{
    if (admind_conf_parse_hostport(conf->listen, conf->listen_host,
                                   sizeof(conf->listen_host),
                                   &conf->listen_port, 0)
        != ADMIND_OK)
    {
        admind_conf_err(err, errlen, "invalid listen address \"%s\"",
                        conf->listen);
        return ADMIND_ERROR;
    }

    free(conf->redis_unix);
    conf->redis_unix = NULL;
    conf->redis_host[0] = '\0';
    conf->redis_port = 0;

    if (strncmp(conf->redis, "unix:", 5) == 0) {
        conf->redis_unix = strdup(conf->redis + 5);
        if (conf->redis_unix == NULL) {
            admind_conf_err(err, errlen, "out of memory");
            return ADMIND_ERROR;
        }

    } else if (admind_conf_parse_hostport(conf->redis, conf->redis_host,
                                          sizeof(conf->redis_host),
                                          &conf->redis_port, 1)
               != ADMIND_OK)
    {
        admind_conf_err(err, errlen, "invalid redis address \"%s\"",
                        conf->redis);
        return ADMIND_ERROR;
    }

    if (conf->db_password[0] && conf->db_password_file[0]) {
        admind_conf_err(err, errlen, "db_password and db_password_file are "
                        "both set; keep one");
        return ADMIND_ERROR;
    }

    if (conf->redis_password[0] && conf->redis_password_file[0]) {
        admind_conf_err(err, errlen, "redis_password and redis_password_file "
                        "are both set; keep one");
        return ADMIND_ERROR;
    }

    if (conf->redis_user[0] && conf->redis_password[0] == '\0'
        && conf->redis_password_file[0] == '\0')
    {
        admind_conf_err(err, errlen, "redis_user needs redis_password_file "
                        "(or redis_password)");
        return ADMIND_ERROR;
    }

    if (conf->bootstrap_admin_password_file[0]
        && conf->bootstrap_admin_user[0] == '\0')
    {
        admind_conf_err(err, errlen, "bootstrap_admin_password_file is set "
                        "but bootstrap_admin_user is not");
        return ADMIND_ERROR;
    }

    if (conf->ldap_url[0]
        && (strstr(conf->ldap_bind_dn_template, "%s") == NULL
            || strchr(strstr(conf->ldap_bind_dn_template, "%s") + 1, '%')
               != NULL
            || strchr(conf->ldap_bind_dn_template, '%')
               != strstr(conf->ldap_bind_dn_template, "%s")))
    {
        admind_conf_err(err, errlen, "ldap_url needs ldap_bind_dn_template "
                        "with one %%s for the username and no other %%");
        return ADMIND_ERROR;
    }

    if (strcmp(conf->ldap_user_role, "user") != 0
        && strcmp(conf->ldap_user_role, "admin") != 0)
    {
        admind_conf_err(err, errlen, "ldap_user_role must be user or admin");
        return ADMIND_ERROR;
    }

    /* libmicrohttpd shares the limit out among its threads */
    if (conf->http_max_connections < conf->http_threads) {
        admind_conf_err(err, errlen, "http_max_connections must be at least "
                        "http_threads");
        return ADMIND_ERROR;
    }

    if (conf->http_max_uri_bytes > conf->http_max_header_bytes) {
        admind_conf_err(err, errlen, "http_max_uri_bytes must not exceed "
                        "http_max_header_bytes");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}
