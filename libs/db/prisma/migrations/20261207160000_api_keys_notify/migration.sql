-- The BFF keeps the API keys it authenticated in memory (API_KEY_CACHE_TTL_MS), so a request costs no
-- read here. Every change that alters what a key may do (revoked, expired, scopes, limits, owner, hash)
-- and every deletion notifies channel `api_keys` with the key's hash, whoever makes it (the admin CLI,
-- the API, plain SQL), and every BFF replica forgets that key at once. NOTIFY is delivered at commit.
-- last_used_at is not in the list: its once-a-minute refresh changes nothing a cached key decides.
-- The migration runner splits scripts at every semicolon, dollar quotes included, so the function
-- body is an escaped string whose statement separators are written \073.
CREATE FUNCTION notify_api_keys() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM pg_notify(''api_keys'', OLD.key_hash)\073
  RETURN NULL\073
END
';

CREATE TRIGGER api_keys_notify
AFTER UPDATE OF tenant_id, user_id, key_hash, scopes, rpm_limit, tpm_limit, expires_at, revoked_at OR DELETE
ON api_keys
FOR EACH ROW
EXECUTE FUNCTION notify_api_keys();
