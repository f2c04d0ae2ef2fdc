-- File ingestion (issue #9): declared type, purpose and tenant-wide visibility of files, a lease and
-- attempt counter so a file left in `processing` by a crashed worker is retried, deduplication per
-- owner instead of per tenant (a private upload by another user of the same bytes must not be shared),
-- citation offsets, pages, headings and the stored vector of each chunk.
ALTER TABLE "files"
    ADD COLUMN "declared_type" TEXT,
    ADD COLUMN "purpose" TEXT NOT NULL DEFAULT 'assistants',
    ADD COLUMN "tenant_wide" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "lease_until" TIMESTAMPTZ(3),
    ADD COLUMN "api_key_id" UUID;

DROP INDEX "files_tenant_id_sha256_key";
CREATE UNIQUE INDEX "files_tenant_id_owner_id_sha256_key" ON "files"("tenant_id", "owner_id", "sha256");
CREATE INDEX "files_status_lease_until_idx" ON "files"("status", "lease_until");

ALTER TABLE "chunks"
    ADD COLUMN "embedding" BYTEA,
    ADD COLUMN "char_start" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "char_end" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "page_start" INTEGER,
    ADD COLUMN "page_end" INTEGER,
    ADD COLUMN "heading" TEXT NOT NULL DEFAULT '';
