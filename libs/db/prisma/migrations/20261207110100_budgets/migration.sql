-- Budgets in money per tenant, API key or user, per UTC day or month.
CREATE TABLE "budgets" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "scope" TEXT NOT NULL,
    "subject_id" UUID NOT NULL,
    "period" TEXT NOT NULL,
    "limit_micros" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL DEFAULT 'USD',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "budgets_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "budgets_scope_check" CHECK ("scope" IN ('tenant', 'api_key', 'user')),
    CONSTRAINT "budgets_period_check" CHECK ("period" IN ('daily', 'monthly')),
    CONSTRAINT "budgets_limit_check" CHECK ("limit_micros" >= 0),
    CONSTRAINT "budgets_tenant_subject_check" CHECK ("scope" <> 'tenant' OR "subject_id" = "tenant_id")
);

CREATE UNIQUE INDEX "budgets_tenant_id_scope_subject_id_period_key"
    ON "budgets"("tenant_id", "scope", "subject_id", "period");

-- Budgets are summed over usage by tenant, key or user and time.
CREATE INDEX "usage_events_user_id_occurred_at_idx" ON "usage_events"("user_id", "occurred_at");
CREATE INDEX "usage_events_api_key_id_occurred_at_idx" ON "usage_events"("api_key_id", "occurred_at");
