-- QuotaLane schema v12: who an OAuth account is, as its provider said at
-- onboarding (admind_oauth.c): email, organization, ChatGPT account,
-- subscription tier, scopes.  Shown as the account's oauthIdentity.
-- (v11 is the webhooks'.)

ALTER TABLE accounts
    ADD COLUMN IF NOT EXISTS oauth_identity JSON NULL
        AFTER refresh_failures;
