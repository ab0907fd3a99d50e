-- QuotaLane schema v14: AWS Bedrock accounts (issue 17).
--
-- accounts, type bedrock only (admind_account_types.c):
--   * aws_region: the region Bedrock runtime is called in and requests
--     are signed for (us-east-1); it also picks the inference profile
--     geography of the default model ids and the default endpoint.
--   * aws_access_key_id: the access key id of a SigV4 account (its
--     secret, and session token if any, are the sealed credential);
--     NULL: the credential is a Bedrock API key, sent as a bearer token.
-- ADD COLUMN IF NOT EXISTS keeps the migration safe to run again.

ALTER TABLE accounts
    ADD COLUMN IF NOT EXISTS aws_region VARCHAR(32) NULL
        AFTER azure_api_version,
    ADD COLUMN IF NOT EXISTS aws_access_key_id VARCHAR(128) NULL
        AFTER aws_region;
