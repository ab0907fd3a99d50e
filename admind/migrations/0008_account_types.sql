-- QuotaLane schema v8: the fields of the account types beside Claude's
-- (ql/ql_account_type.c).  supported_models and model_mapping (schema v1)
-- are used now: the admin API's supportedModels and modelMap.
--
--   * chatgpt_account_id: a codex account's ChatGPT account id, sent as
--     the chatgpt-account-id header (not a secret).
--   * project_id: a gemini-oauth account's Google Cloud project, for
--     Code Assist's request wrapper.
--   * azure_deployment, azure_api_version: an azure-openai account's
--     deployment (null: the requested model, mapped, names it) and the
--     api-version its requests carry.

ALTER TABLE accounts
    ADD COLUMN IF NOT EXISTS chatgpt_account_id VARCHAR(128) NULL
        AFTER model_mapping,
    ADD COLUMN IF NOT EXISTS project_id VARCHAR(128) NULL
        AFTER chatgpt_account_id,
    ADD COLUMN IF NOT EXISTS azure_deployment VARCHAR(256) NULL
        AFTER project_id,
    ADD COLUMN IF NOT EXISTS azure_api_version VARCHAR(32) NULL
        AFTER azure_deployment;
