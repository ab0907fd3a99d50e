/*
 * QuotaLane admind: configuration (file, environment, command line).
 */

#ifndef _ADMIND_CONFIG_H_INCLUDED_
#define _ADMIND_CONFIG_H_INCLUDED_


#include "admind.h"
#include "admind_log.h"
#include "admind_outbound_allow.h"


#define ADMIND_CONF_ENV_PREFIX  "QL_ADMIND_"
#define ADMIND_CONF_HOST_MAX    256
#define ADMIND_CONF_MAX_KEYS  96


struct admind_conf_s {
    char                *listen;
    char                *db_host;
    unsigned             db_port;
    char                *db_socket;
    char                *db_user;
    char                *db_password;
    char                *db_password_file;
    char                *db_name;
    unsigned             db_connect_timeout;
    unsigned             db_read_timeout;
    unsigned             db_write_timeout;
    char                *redis;
    char                *redis_user;
    char                *redis_password;
    char                *redis_password_file;
    unsigned             redis_db;
    unsigned             redis_timeout_ms;
    char                *redis_prefix;
    char                *migrations_dir;
    char                *master_key_file;
    char                *jwt_secret_file;
    unsigned             jwt_ttl_seconds;
    char                *bootstrap_admin_user;
    char                *bootstrap_admin_password_file;
    admind_log_level_e   log_level;
    size_t               max_body_bytes;
    unsigned             http_threads;
    unsigned             http_connection_timeout;
    unsigned             http_max_connections;
    unsigned             http_max_connections_per_ip;
    size_t               http_max_uri_bytes;
    size_t               http_max_header_bytes;
    unsigned             resync_check_ms;
    unsigned             resync_interval_seconds;
    unsigned             usage_batch;
    unsigned             usage_block_ms;
    unsigned             usage_linger_ms;
    unsigned             usage_claim_idle_ms;
    unsigned             usage_retry_max_ms;
    unsigned             usage_dead_maxlen;
    unsigned             lease_audit_interval_ms;
    unsigned             lease_audit_grace_ms;
    unsigned             subscription_tick_seconds;
    unsigned             login_max_failures;
    unsigned             login_max_failures_per_addr;
    unsigned             login_max_failures_per_user;
    unsigned             login_user_pace_seconds;
    unsigned             login_failure_window_seconds;
    unsigned             user_max_keys;
    char                *ldap_url;
    char                *ldap_bind_dn_template;
    char                *ldap_user_role;
    unsigned             ldap_timeout_ms;
    char                *oauth_claude_token_url;
    char                *oauth_claude_client_id;
    char                *oauth_codex_token_url;
    char                *oauth_codex_client_id;
    char                *oauth_gemini_token_url;
    char                *oauth_gemini_client_id;
    char                *oauth_gemini_client_secret;
    char                *oauth_claude_authorize_url;
    char                *oauth_claude_redirect_uri;
    char                *oauth_claude_scopes;
    char                *oauth_codex_authorize_url;
    char                *oauth_codex_redirect_uri;
    char                *oauth_codex_scopes;
    char                *oauth_gemini_authorize_url;
    char                *oauth_gemini_redirect_uri;
    char                *oauth_gemini_scopes;
    char                *oauth_droid_token_url;
    char                *oauth_droid_client_id;
    unsigned             oauth_session_seconds;
    unsigned             oauth_refresh_check_seconds;
    unsigned             oauth_refresh_before_seconds;
    unsigned             oauth_refresh_max_failures;
    char                *outbound_allow;
    char                *metrics_token_file;
    char                *console_dir;       /* "": no web console */
    unsigned             webhook_check_ms;
    unsigned             webhook_max_attempts;
    unsigned             webhook_backoff_seconds;
    unsigned             webhook_retention_days;

    /* derived from "listen" and "redis" by admind_conf_check() */
    char                 listen_host[ADMIND_CONF_HOST_MAX];
    unsigned             listen_port;
    char                 redis_host[ADMIND_CONF_HOST_MAX];
    unsigned             redis_port;
    char                *redis_unix;

    /* "outbound_allow", parsed by its setter */
    admind_outbound_allow_t  outbound;

    /* the line that set each key in the file, to refuse duplicates */
    unsigned             seen[ADMIND_CONF_MAX_KEYS];
};


/* defaults; ADMIND_ERROR only when out of memory */
int admind_conf_init(admind_conf_t *conf);
void admind_conf_free(admind_conf_t *conf);

/* "key = value" lines; errors are "name:line: what" */
int admind_conf_parse(admind_conf_t *conf, const char *name,
    const char *buf, size_t len, char *err, size_t errlen);
int admind_conf_load(admind_conf_t *conf, const char *path, char *err,
    size_t errlen);

/* QL_ADMIND_<KEY> environment variables override the file */
int admind_conf_apply_env(admind_conf_t *conf, char *err, size_t errlen);

/* one key from any other origin (the command line) */
int admind_conf_set(admind_conf_t *conf, const char *key, const char *value,
    const char *origin, char *err, size_t errlen);

/* checks across keys and fills the derived fields */
int admind_conf_check(admind_conf_t *conf, char *err, size_t errlen);

/* "host:port", "[v6addr]:port"; port in min..65535 */
int admind_conf_parse_hostport(const char *s, char *host, size_t hostsz,
    unsigned *port, unsigned min_port);


#endif /* _ADMIND_CONFIG_H_INCLUDED_ */
