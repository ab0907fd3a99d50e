-- QuotaLane schema: session tokens that a change of the user revokes.
--
-- users.token_version goes into every token admind issues (claim "tv")
-- and is compared with the row on every request (admind_auth.c, in the
-- user lookup that already happens).  A password change, a disable or a
-- role change increments it, so tokens issued before stop working at
-- once instead of when they expire.  Re-runnable: ADD COLUMN IF NOT
-- EXISTS.

ALTER TABLE users
    ADD COLUMN IF NOT EXISTS token_version INT UNSIGNED NOT NULL DEFAULT 0
        AFTER version;
