-- The currency a usage event's cost_micros is in (ISO 4217). Every event stored so far was priced in
-- US dollars, the registry's only currency before price periods named one.
ALTER TABLE "usage_events" ADD COLUMN "currency" CHAR(3) NOT NULL DEFAULT 'USD';
