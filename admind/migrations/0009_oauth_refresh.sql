-- QuotaLane schema v9: OAuth refresh of subscription accounts
-- (admind_oauth_refresh.h).  credentials_expire_at (schema v1) is when
-- the access token expires (the admin API's accessTokenExpiresAt);
-- refresh_failures counts failed refreshes in a row, and enough of them
-- set the account's status to error.

ALTER TABLE accounts
    ADD COLUMN IF NOT EXISTS refresh_failures SMALLINT UNSIGNED NOT NULL
        DEFAULT 0 AFTER refresh_token_enc;
