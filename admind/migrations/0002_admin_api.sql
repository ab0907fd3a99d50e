-- QuotaLane schema v2: what the admin API keeps beside schema v1.
--
-- accounts:
--   * refresh_token_enc: the OAuth refresh token of OAuth account types,
--     an AES-256-GCM envelope like credentials_enc (ql/ql_crypto.h), its
--     AAD the decimal account id.  Never returned by the API.
--   * credential_hint: a masked hint of the credential ("sk-ant-...abcd")
--     that the API shows instead of it.
--   * upstream_addr: the base URL's host resolved by admind to "ip:port"
--     ("[ip]:port" for IPv6); published as the account record's addr, so
--     that a resync needs no DNS and nginx workers never resolve.
-- api_keys (the limits of the key record, proto/redis_layout.md):
--   * rate_limit_cost_micros: cost allowed per rate window, 0 = no limit.
--   * weekly_reset_hours: hours after Monday 00:00 UTC when the key's week
--     (weekly_cost_limit_micros) starts, 0..167.
-- ADD COLUMN IF NOT EXISTS keeps the migration safe to run again.

ALTER TABLE accounts
    ADD COLUMN IF NOT EXISTS refresh_token_enc BLOB NULL
        AFTER credentials_enc,
    ADD COLUMN IF NOT EXISTS credential_hint VARCHAR(64) NULL
        AFTER refresh_token_enc,
    ADD COLUMN IF NOT EXISTS upstream_addr VARCHAR(64) NULL
        AFTER base_url;

ALTER TABLE api_keys
    ADD COLUMN IF NOT EXISTS rate_limit_cost_micros BIGINT NOT NULL
        DEFAULT 0 AFTER rate_limit_tokens,
    ADD COLUMN IF NOT EXISTS weekly_reset_hours SMALLINT UNSIGNED NOT NULL
        DEFAULT 0 AFTER weekly_cost_limit_micros;
