-- QuotaLane schema v4: the ceiling admins set on users' own keys
-- (admind/resources/admind_key_policy.h).
--
-- users.key_policy: the user's key policy as a JSON object (maxKeys, the
--   ceilings of a key's limits, permissions, blockedModels, a binding);
--   NULL for admind.conf's user_max_keys and no other ceiling.
-- api_keys.status_by_admin: 1 when an admin disabled the key; its user
--   cannot enable it again.

ALTER TABLE users
    ADD COLUMN IF NOT EXISTS key_policy JSON NULL AFTER status;

ALTER TABLE api_keys
    ADD COLUMN IF NOT EXISTS status_by_admin TINYINT(1) NOT NULL DEFAULT 0
        AFTER status;
