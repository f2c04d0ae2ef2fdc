-- The outbox relays wake when events are written instead of querying the table every few hundred
-- milliseconds: every statement that inserts into outbox_events notifies channel `outbox_events` with
-- the writing session's application_name (each service names its Prisma pool), so a relay wakes for
-- its own service's events only and the others are not woken for nothing. NOTIFY is delivered at
-- commit, so a woken relay sees the rows, and PostgreSQL folds identical notifications of one
-- transaction into one. A relay also polls slowly, so a row whose notification it missed (it was not
-- listening, or another service wrote it and crashed) is still published.
-- The migration runner splits scripts at every semicolon, dollar quotes included, so the function
-- body is an escaped string whose statement separators are written \073.
CREATE FUNCTION notify_outbox_events() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  PERFORM pg_notify(''outbox_events'', coalesce(current_setting(''application_name'', true), ''''))\073
  RETURN NULL\073
END
';

CREATE TRIGGER outbox_events_notify
AFTER INSERT ON outbox_events
FOR EACH STATEMENT
EXECUTE FUNCTION notify_outbox_events();
