-- QuotaLane schema v3: usage records as the gateway writes them, and
-- monthly bills.
--
-- usage_records (proto/usage_record.md; the consumer is
-- admind_usage_consumer.c):
--   * cost_pico: the exact cost in pico-dollars, beside cost_micros
--     (rounded once from it), so that sums can be exact.
--   * priced_by_fallback: the model was not in the pricing file.
--   * status: the HTTP status the client got (upstream_status is the
--     upstream's).
--   * complete: the answer carried its normal end (message_stop).
--
-- bills: a closed month's bill per user, a snapshot of usage_records
-- taken by POST /api/v1/bills/close, so that a closed month never
-- changes.  bill_lines break a bill down by model.  bill_months records
-- which months are closed (also months in which nobody used anything).
-- As in usage_records, no foreign key on the user: a bill outlives its
-- user.
-- ADD COLUMN IF NOT EXISTS and CREATE TABLE IF NOT EXISTS keep the
-- migration safe to run again.

ALTER TABLE usage_records
    ADD COLUMN IF NOT EXISTS cost_pico BIGINT UNSIGNED NOT NULL DEFAULT 0
        AFTER cost_micros,
    ADD COLUMN IF NOT EXISTS priced_by_fallback BOOLEAN NOT NULL
        DEFAULT FALSE AFTER cost_pico,
    ADD COLUMN IF NOT EXISTS status SMALLINT UNSIGNED NULL
        AFTER upstream_status,
    ADD COLUMN IF NOT EXISTS complete BOOLEAN NOT NULL DEFAULT FALSE
        AFTER aborted;

CREATE TABLE IF NOT EXISTS bill_months (
    month               CHAR(7) CHARACTER SET ascii NOT NULL,
    closed_at           DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    closed_by_user_id   BIGINT UNSIGNED NULL,
    PRIMARY KEY (month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS bills (
    id                      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id                 BIGINT UNSIGNED NOT NULL,
    month                   CHAR(7) CHARACTER SET ascii NOT NULL,
    requests                BIGINT UNSIGNED NOT NULL DEFAULT 0,
    input_tokens            BIGINT UNSIGNED NOT NULL DEFAULT 0,
    output_tokens           BIGINT UNSIGNED NOT NULL DEFAULT 0,
    cache_creation_tokens   BIGINT UNSIGNED NOT NULL DEFAULT 0,
    cache_read_tokens       BIGINT UNSIGNED NOT NULL DEFAULT 0,
    cost_micros             BIGINT NOT NULL DEFAULT 0,
    closed_at               DATETIME(3) NOT NULL
                            DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uk_bills_user_month (user_id, month),
    KEY idx_bills_month (month, user_id),
    CONSTRAINT fk_bills_month FOREIGN KEY (month)
        REFERENCES bill_months (month) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS bill_lines (
    bill_id                 BIGINT UNSIGNED NOT NULL,
    model                   VARCHAR(128) NOT NULL,
    requests                BIGINT UNSIGNED NOT NULL DEFAULT 0,
    input_tokens            BIGINT UNSIGNED NOT NULL DEFAULT 0,
    output_tokens           BIGINT UNSIGNED NOT NULL DEFAULT 0,
    cache_creation_tokens   BIGINT UNSIGNED NOT NULL DEFAULT 0,
    cache_read_tokens       BIGINT UNSIGNED NOT NULL DEFAULT 0,
    cost_micros             BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (bill_id, model),
    CONSTRAINT fk_bill_lines_bill FOREIGN KEY (bill_id)
        REFERENCES bills (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
