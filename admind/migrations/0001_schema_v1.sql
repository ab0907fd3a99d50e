-- QuotaLane schema v1.
--
-- Conventions:
--   * InnoDB, utf8mb4; every time is DATETIME(3) in UTC (admind sets the
--     session time_zone to +00:00).
--   * Money is BIGINT micro-dollars (1 USD = 1000000), never floating point.
--   * Limits use 0 for "no limit".
--   * Mutable resources carry "version" for optimistic concurrency: an
--     update says WHERE id = ? AND version = ? and sets version = version + 1.
--   * CREATE TABLE IF NOT EXISTS, so that a migration interrupted halfway
--     can be run again (MySQL commits DDL one statement at a time).
--   * Statements end with ';' at the end of a line; comments stand on lines
--     of their own (see admind_migrate.h).

CREATE TABLE IF NOT EXISTS users (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    username        VARCHAR(64) NOT NULL,
    email           VARCHAR(255) NULL,
    display_name    VARCHAR(128) NULL,
    password_hash   VARCHAR(255) NULL,
    auth_source     ENUM('local', 'ldap') NOT NULL DEFAULT 'local',
    role            ENUM('admin', 'user') NOT NULL DEFAULT 'user',
    status          ENUM('active', 'disabled') NOT NULL DEFAULT 'active',
    last_login_at   DATETIME(3) NULL,
    version         INT UNSIGNED NOT NULL DEFAULT 1,
    created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                    ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uk_users_username (username),
    UNIQUE KEY uk_users_email (email),
    KEY idx_users_role_status (role, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS account_groups (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name            VARCHAR(128) NOT NULL,
    platform        VARCHAR(32) NOT NULL,
    description     VARCHAR(1024) NULL,
    version         INT UNSIGNED NOT NULL DEFAULT 1,
    created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                    ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uk_account_groups_name (name),
    KEY idx_account_groups_platform (platform)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- type: claude-official, claude-console, bedrock, gemini, openai-responses,
-- azure-openai, droid, ccr.  A VARCHAR checked by admind against the
-- platform table (ql/ql_platform.c), so adding a platform needs no
-- migration.  credentials_enc is an AES-256-GCM envelope (ql/ql_crypto.h)
-- bound to the account id; it is never returned by the API.
CREATE TABLE IF NOT EXISTS accounts (
    id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name                VARCHAR(128) NOT NULL,
    description         VARCHAR(1024) NULL,
    type                VARCHAR(32) NOT NULL,
    platform            VARCHAR(32) NOT NULL,
    base_url            VARCHAR(512) NULL,
    credentials_enc     BLOB NULL,
    credentials_expire_at DATETIME(3) NULL,
    priority            INT UNSIGNED NOT NULL DEFAULT 50,
    concurrency_limit   INT UNSIGNED NOT NULL DEFAULT 0,
    rpm_limit           INT UNSIGNED NOT NULL DEFAULT 0,
    tpm_limit           BIGINT UNSIGNED NOT NULL DEFAULT 0,
    schedulable         BOOLEAN NOT NULL DEFAULT TRUE,
    status              ENUM('active', 'disabled', 'overloaded', 'error')
                        NOT NULL DEFAULT 'active',
    health_score        TINYINT UNSIGNED NOT NULL DEFAULT 100,
    group_id            BIGINT UNSIGNED NULL,
    supported_models    JSON NULL,
    model_mapping       JSON NULL,
    extra_headers       JSON NULL,
    proxy_config        JSON NULL,
    cooldown_until      DATETIME(3) NULL,
    last_used_at        DATETIME(3) NULL,
    last_error          VARCHAR(1024) NULL,
    last_error_at       DATETIME(3) NULL,
    version             INT UNSIGNED NOT NULL DEFAULT 1,
    created_at          DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at          DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                        ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uk_accounts_name (name),
    KEY idx_accounts_pick (platform, status, schedulable, priority),
    KEY idx_accounts_group (group_id),
    KEY idx_accounts_type (type),
    CONSTRAINT fk_accounts_group FOREIGN KEY (group_id)
        REFERENCES account_groups (id) ON DELETE SET NULL,
    CONSTRAINT chk_accounts_health CHECK (health_score <= 100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- key_hash is the hex SHA-256 of the full key (ql/ql_apikey.h); the
-- key itself is shown once at creation and never stored.  NULL JSON lists
-- mean "no restriction".  account_id / group_id bind the key to a
-- dedicated account or pool.
CREATE TABLE IF NOT EXISTS api_keys (
    id                      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id                 BIGINT UNSIGNED NOT NULL,
    name                    VARCHAR(128) NOT NULL,
    key_hash                CHAR(64) CHARACTER SET ascii COLLATE ascii_bin
                            NOT NULL,
    key_prefix              VARCHAR(16) CHARACTER SET ascii NOT NULL,
    permissions             JSON NULL,
    allowed_clients         JSON NULL,
    blocked_models          JSON NULL,
    concurrency_limit       INT UNSIGNED NOT NULL DEFAULT 0,
    rate_limit_requests     INT UNSIGNED NOT NULL DEFAULT 0,
    rate_limit_tokens       BIGINT UNSIGNED NOT NULL DEFAULT 0,
    rate_window_seconds     INT UNSIGNED NOT NULL DEFAULT 60,
    daily_cost_limit_micros BIGINT NOT NULL DEFAULT 0,
    weekly_cost_limit_micros BIGINT NOT NULL DEFAULT 0,
    total_cost_limit_micros BIGINT NOT NULL DEFAULT 0,
    used_cost_micros        BIGINT NOT NULL DEFAULT 0,
    expires_at              DATETIME(3) NULL,
    expiry_mode             ENUM('fixed', 'from_first_use') NOT NULL
                            DEFAULT 'fixed',
    activation_days         INT UNSIGNED NULL,
    first_used_at           DATETIME(3) NULL,
    account_id              BIGINT UNSIGNED NULL,
    group_id                BIGINT UNSIGNED NULL,
    status                  ENUM('active', 'disabled') NOT NULL
                            DEFAULT 'active',
    last_used_at            DATETIME(3) NULL,
    version                 INT UNSIGNED NOT NULL DEFAULT 1,
    created_at              DATETIME(3) NOT NULL
                            DEFAULT CURRENT_TIMESTAMP(3),
    updated_at              DATETIME(3) NOT NULL
                            DEFAULT CURRENT_TIMESTAMP(3)
                            ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uk_api_keys_hash (key_hash),
    KEY idx_api_keys_user (user_id, status),
    KEY idx_api_keys_account (account_id),
    KEY idx_api_keys_group (group_id),
    KEY idx_api_keys_expires (status, expires_at),
    CONSTRAINT fk_api_keys_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT fk_api_keys_account FOREIGN KEY (account_id)
        REFERENCES accounts (id) ON DELETE SET NULL,
    CONSTRAINT fk_api_keys_group FOREIGN KEY (group_id)
        REFERENCES account_groups (id) ON DELETE SET NULL,
    CONSTRAINT chk_api_keys_activation
        CHECK (expiry_mode = 'fixed' OR activation_days IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS plans (
    id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name                VARCHAR(128) NOT NULL,
    description         VARCHAR(1024) NULL,
    quota_cost_micros   BIGINT NOT NULL DEFAULT 0,
    period              ENUM('daily', 'weekly', 'monthly') NOT NULL,
    limits              JSON NULL,
    price_micros        BIGINT NOT NULL DEFAULT 0,
    status              ENUM('active', 'disabled') NOT NULL DEFAULT 'active',
    version             INT UNSIGNED NOT NULL DEFAULT 1,
    created_at          DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at          DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                        ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uk_plans_name (name),
    KEY idx_plans_status (status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS subscriptions (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id         BIGINT UNSIGNED NOT NULL,
    plan_id         BIGINT UNSIGNED NOT NULL,
    status          ENUM('active', 'expired', 'cancelled') NOT NULL
                    DEFAULT 'active',
    start_at        DATETIME(3) NOT NULL,
    expire_at       DATETIME(3) NOT NULL,
    auto_renew      BOOLEAN NOT NULL DEFAULT FALSE,
    version         INT UNSIGNED NOT NULL DEFAULT 1,
    created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                    ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY idx_subscriptions_user (user_id, status, expire_at),
    KEY idx_subscriptions_plan (plan_id),
    KEY idx_subscriptions_expiry (status, expire_at),
    CONSTRAINT fk_subscriptions_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT fk_subscriptions_plan FOREIGN KEY (plan_id)
        REFERENCES plans (id) ON DELETE RESTRICT,
    CONSTRAINT chk_subscriptions_period CHECK (expire_at >= start_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Billing facts, append-only, written by the usage stream consumer.  No
-- foreign keys on purpose: a record must be stored even when its key,
-- user or account was deleted meanwhile, and inserts stay cheap.
-- request_id makes the insert idempotent (INSERT IGNORE / ON DUPLICATE).
CREATE TABLE IF NOT EXISTS usage_records (
    id                          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    request_id                  VARCHAR(64) CHARACTER SET ascii
                                COLLATE ascii_bin NOT NULL,
    ts                          DATETIME(3) NOT NULL,
    api_key_id                  BIGINT UNSIGNED NULL,
    user_id                     BIGINT UNSIGNED NULL,
    account_id                  BIGINT UNSIGNED NULL,
    platform                    VARCHAR(32) NOT NULL,
    model                       VARCHAR(128) NOT NULL,
    input_tokens                BIGINT UNSIGNED NOT NULL DEFAULT 0,
    output_tokens               BIGINT UNSIGNED NOT NULL DEFAULT 0,
    cache_creation_input_tokens BIGINT UNSIGNED NOT NULL DEFAULT 0,
    cache_creation_5m_tokens    BIGINT UNSIGNED NOT NULL DEFAULT 0,
    cache_creation_1h_tokens    BIGINT UNSIGNED NOT NULL DEFAULT 0,
    cache_read_input_tokens     BIGINT UNSIGNED NOT NULL DEFAULT 0,
    cost_micros                 BIGINT NOT NULL DEFAULT 0,
    upstream_status             SMALLINT UNSIGNED NULL,
    latency_ms                  INT UNSIGNED NULL,
    ttfb_ms                     INT UNSIGNED NULL,
    streamed                    BOOLEAN NOT NULL DEFAULT FALSE,
    aborted                     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at                  DATETIME(3) NOT NULL
                                DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uk_usage_request (request_id),
    KEY idx_usage_ts (ts),
    KEY idx_usage_key_ts (api_key_id, ts),
    KEY idx_usage_user_ts (user_id, ts),
    KEY idx_usage_account_ts (account_id, ts),
    KEY idx_usage_model_ts (model, ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who changed what.  Secrets never appear in before_json / after_json.
-- No foreign key on the actor: the trail outlives deleted users.
CREATE TABLE IF NOT EXISTS audit_log (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    ts              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    actor_user_id   BIGINT UNSIGNED NULL,
    actor_name      VARCHAR(64) NULL,
    action          VARCHAR(64) NOT NULL,
    resource        VARCHAR(64) NOT NULL,
    resource_id     VARCHAR(64) NULL,
    before_json     JSON NULL,
    after_json      JSON NULL,
    remote_addr     VARCHAR(64) NULL,
    PRIMARY KEY (id),
    KEY idx_audit_ts (ts),
    KEY idx_audit_resource (resource, resource_id, ts),
    KEY idx_audit_actor (actor_user_id, ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
