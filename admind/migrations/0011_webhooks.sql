-- QuotaLane schema v11: webhooks for account events (admind/webhooks/).
--
-- A webhook is where admind tells an operator that an account failed a
-- refresh, went to error, was refused or rate limited, recovered or ran
-- out of quota.  Its URL and secret are sealed under the master key
-- (AES-256-GCM, admind_webhook_seal.h): chat webhook URLs carry their
-- credential in the path or query (Slack, Discord, Feishu, DingTalk,
-- WeCom, Bark keys, Telegram's bot token), so the URL itself is a
-- secret; url_hint (scheme, host and port) is what the API shows.
-- events is a JSON array of event names, NULL or empty for all of them.
--
-- webhook_deliveries is the outbox: admind_webhook_event() inserts one
-- pending row per subscribed webhook and never waits on the network; the
-- delivery worker claims due rows (claim, next_attempt_at as the lease)
-- so that two admind processes never send the same one, retries with
-- exponential backoff and ends in sent or failed.

CREATE TABLE IF NOT EXISTS webhooks (
    id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name                VARCHAR(128) NOT NULL,
    format              ENUM('generic', 'slack', 'discord', 'telegram',
                             'feishu', 'dingtalk', 'wecom', 'bark')
                        NOT NULL DEFAULT 'generic',
    url_enc             VARBINARY(2200) NOT NULL,
    url_hint            VARCHAR(300) NOT NULL,
    chat_id             VARCHAR(128) NULL,
    secret_enc          VARBINARY(1100) NULL,
    events              JSON NULL,
    enabled             TINYINT(1) NOT NULL DEFAULT 1,
    version             INT UNSIGNED NOT NULL DEFAULT 1,
    created_at          DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at          DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                        ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uk_webhooks_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    webhook_id          BIGINT UNSIGNED NOT NULL,
    event               VARCHAR(64) NOT NULL,
    payload             JSON NOT NULL,
    attempts            SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    status              ENUM('pending', 'sent', 'failed') NOT NULL
                        DEFAULT 'pending',
    claim               CHAR(32) CHARACTER SET ascii NULL,
    last_status         SMALLINT UNSIGNED NULL,
    last_error          VARCHAR(255) NULL,
    created_at          DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    sent_at             DATETIME(3) NULL,
    PRIMARY KEY (id),
    KEY idx_webhook_deliveries_due (status, next_attempt_at),
    KEY idx_webhook_deliveries_webhook (webhook_id, id),
    KEY idx_webhook_deliveries_claim (claim),
    CONSTRAINT fk_webhook_deliveries_webhook FOREIGN KEY (webhook_id)
        REFERENCES webhooks (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
