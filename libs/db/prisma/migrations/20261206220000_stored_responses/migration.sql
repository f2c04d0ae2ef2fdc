-- Stored responses of the Responses API (POST /v1/responses with store on), written by the BFF.
-- CreateTable
CREATE TABLE "responses" (
    "id" TEXT NOT NULL,
    "tenant_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "previous_response_id" TEXT,
    "status" TEXT NOT NULL,
    "body" JSONB NOT NULL,
    "input_items" JSONB NOT NULL,
    "transcript" JSONB NOT NULL,
    "turn" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "responses_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "responses_tenant_id_user_id_created_at_idx" ON "responses"("tenant_id", "user_id", "created_at");

-- AddForeignKey
ALTER TABLE "responses" ADD CONSTRAINT "responses_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "responses" ADD CONSTRAINT "responses_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

