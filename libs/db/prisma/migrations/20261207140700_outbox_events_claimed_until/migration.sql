-- A relay claims a batch of outbox rows for a while (claimed_until) in the statement that reads it,
-- publishes it, then marks it published in a second statement: two statements per batch instead of
-- an interactive transaction that held the rows' locks across the Kafka send (BEGIN, SELECT ... FOR
-- UPDATE SKIP LOCKED, UPDATE, COMMIT). Other relays skip claimed rows. A relay that dies between its
-- claim and its mark leaves the rows to the next relay once the claim has passed (at-least-once, as a
-- crash between the Kafka ack and the commit was before).
ALTER TABLE outbox_events ADD COLUMN claimed_until TIMESTAMPTZ(3);
