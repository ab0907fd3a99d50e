-- QuotaLane schema v8: the fields of the account types of issue 13.
--
-- accounts (admind_account_types.c says which type takes which field):
--   * chatgpt_account_id: codex, the ChatGPT account the OAuth token
--     belongs to (sent upstream as chatgpt-account-id).
--   * project_id: gemini-oauth, the Google Cloud project Code Assist
--     bills (wrapped into every request).
--   * azure_deployment: azure-openai, the deployment that serves every
--     model; NULL: the (mapped) model names the deployment.
--   * azure_api_version: azure-openai, the api-version query parameter.
-- The per-account model list and model map already have columns from
-- schema v1 (supported_models, model_mapping: JSON, NULL = none).
-- ADD COLUMN IF NOT EXISTS keeps the migration safe to run again.

ALTER TABLE accounts
    ADD COLUMN IF NOT EXISTS chatgpt_account_id VARCHAR(128) NULL
        AFTER credential_hint,
    ADD COLUMN IF NOT EXISTS project_id VARCHAR(128) NULL
        AFTER chatgpt_account_id,
    ADD COLUMN IF NOT EXISTS azure_deployment VARCHAR(128) NULL
        AFTER project_id,
    ADD COLUMN IF NOT EXISTS azure_api_version VARCHAR(32) NULL
        AFTER azure_deployment;
