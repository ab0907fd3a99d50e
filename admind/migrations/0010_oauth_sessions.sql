-- QuotaLane schema v10: OAuth onboarding sessions (admind_oauth.c).
--
-- POST /api/v1/oauth/{provider}/start keeps here the PKCE verifier and
-- the state of one authorization, for oauth_session_seconds; the
-- exchange that uses it deletes it.  The verifier is worth nothing
-- without the code the provider gives the user.

CREATE TABLE IF NOT EXISTS oauth_sessions (
    id                  CHAR(32) CHARACTER SET ascii NOT NULL,
    provider            VARCHAR(32) NOT NULL,
    state               VARCHAR(64) CHARACTER SET ascii NOT NULL,
    code_verifier       VARCHAR(128) CHARACTER SET ascii NOT NULL,
    created_by          BIGINT UNSIGNED NULL,
    expires_at          DATETIME(3) NOT NULL,
    created_at          DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY idx_oauth_sessions_expiry (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
