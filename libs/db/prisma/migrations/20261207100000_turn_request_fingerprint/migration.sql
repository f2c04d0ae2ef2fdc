-- A turn remembers a fingerprint of the request that started it, so a reused Idempotency-Key with a
-- different request is refused instead of replaying the other request's answer.
ALTER TABLE "turn_traces" ADD COLUMN "request_fingerprint" TEXT;
