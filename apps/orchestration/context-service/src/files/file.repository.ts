// Owns the files and chunks tables for the context service: registration with per-owner
// deduplication, visibility (the owner, or everyone in the tenant for tenant-wide files), keyset
// listing, the ingestion claim (FOR UPDATE SKIP LOCKED with a lease, so a crashed worker's file is
// retried), and the locked commit/delete pair that keeps the vector index and the rows in step.
import { Prisma, type File, type FileStatus, type PrismaClient } from '@hearth/db';

export type FileRow = File;

export interface NewFile {
  tenantId: string;
  ownerId: string;
  apiKeyId: string | null;
  name: string;
  purpose: string;
  declaredType: string | null;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
  tenantWide: boolean;
}

export interface ChunkRowInput {
  id: string;
  position: number;
  text: string;
  tokenCount: number;
  contentHash: string;
  embeddingModel: string;
  embedding: Uint8Array;
  charStart: number;
  charEnd: number;
  pageStart: number | null;
  pageEnd: number | null;
  heading: string;
}

export type TransactionClient = Prisma.TransactionClient;

const COMMIT_TIMEOUT_MS = 60_000;

export class FileRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Inserts the file, or returns the owner's existing file with the same content. */
  async register(file: NewFile): Promise<{ row: FileRow; created: boolean }> {
    try {
      return { row: await this.prisma.file.create({ data: file }), created: true };
    } catch (error) {
      if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') throw error;
      const row = await this.prisma.file.findFirst({
        where: { tenantId: file.tenantId, ownerId: file.ownerId, sha256: file.sha256 },
      });
      if (!row) throw error;
      return { row, created: false };
    }
  }

  /** A file the caller may read (their own, or tenant-wide), or undefined. */
  async findVisible(tenantId: string, userId: string, fileId: string): Promise<FileRow | undefined> {
    const row = await this.prisma.file.findFirst({
      where: {
        id: fileId,
        tenantId,
        deletedAt: null,
        OR: [{ ownerId: userId || undefined }, { tenantWide: true }],
      },
    });
    return row ?? undefined;
  }

  async findVisibleMany(tenantId: string, userId: string, fileIds: readonly string[]): Promise<FileRow[]> {
    return this.prisma.file.findMany({
      where: {
        id: { in: [...fileIds] },
        tenantId,
        deletedAt: null,
        OR: [{ ownerId: userId || undefined }, { tenantWide: true }],
      },
    });
  }

  /** Newest first; `after` is the id of the last file of the previous page. */
  async listVisible(
    tenantId: string,
    userId: string,
    options: { limit: number; after?: string; purpose?: string },
  ): Promise<FileRow[]> {
    return this.prisma.file.findMany({
      where: {
        tenantId,
        deletedAt: null,
        OR: [{ ownerId: userId || undefined }, { tenantWide: true }],
        ...(options.purpose ? { purpose: options.purpose } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: options.limit,
      ...(options.after ? { cursor: { id: options.after }, skip: 1 } : {}),
    });
  }

  async chunkCounts(fileIds: readonly string[]): Promise<Map<string, number>> {
    if (fileIds.length === 0) return new Map();
    const groups = await this.prisma.chunk.groupBy({
      by: ['fileId'],
      where: { fileId: { in: [...fileIds] } },
      _count: { _all: true },
    });
    return new Map(groups.map((g) => [g.fileId, g._count._all]));
  }

  /**
   * Claims up to `limit` files for ingestion: new uploads, and files whose processing lease expired
   * (their worker crashed or was killed). SKIP LOCKED lets several workers poll the same table.
   */
  async claim(limit: number, leaseMs: number): Promise<FileRow[]> {
    const ids = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE files SET status = 'processing', attempts = attempts + 1,
             lease_until = now() + ${leaseMs} * interval '1 millisecond', updated_at = now()
       WHERE id IN (
         SELECT id FROM files
          WHERE deleted_at IS NULL
            AND (status = 'uploaded' OR (status = 'processing' AND lease_until < now()))
          ORDER BY created_at
          FOR UPDATE SKIP LOCKED
          LIMIT ${limit})
      RETURNING id`;
    if (ids.length === 0) return [];
    return this.prisma.file.findMany({ where: { id: { in: ids.map((r) => r.id) } } });
  }

  /** Ends an attempt as failed (a permanent reason, or the last attempt's error). */
  async markFailed(fileId: string, attempt: number, reason: string): Promise<void> {
    await this.prisma.file.updateMany({
      where: { id: fileId, status: 'processing', attempts: attempt },
      data: { status: 'failed', failureReason: reason.slice(0, 1000), leaseUntil: null },
    });
  }

  /**
   * Ends a failed attempt that may be retried (a transient error with attempts left): the file stays
   * claimed with a short lease, so the next poll after `backoffMs` picks it up again.
   */
  async retryLater(fileId: string, attempt: number, backoffMs: number): Promise<void> {
    // The database's clock, like the claim's, so process clocks never matter.
    await this.prisma.$executeRaw`
      UPDATE files SET lease_until = now() + ${backoffMs} * interval '1 millisecond', updated_at = now()
       WHERE id = ${fileId}::uuid AND status = 'processing' AND attempts = ${attempt}`;
  }

  /** Stored vectors by content hash for one embedding model, from any file of the tenant. */
  async vectorsByHash(
    tenantId: string,
    embeddingModel: string,
    hashes: readonly string[],
  ): Promise<Map<string, Uint8Array>> {
    if (hashes.length === 0) return new Map();
    const rows = await this.prisma.chunk.findMany({
      where: {
        contentHash: { in: [...new Set(hashes)] },
        embeddingModel,
        embedding: { not: null },
        file: { tenantId },
      },
      select: { contentHash: true, embedding: true },
      distinct: ['contentHash'],
    });
    return new Map(rows.map((r) => [r.contentHash, r.embedding as Uint8Array]));
  }

  async chunksOf(fileId: string): Promise<{ id: string; contentHash: string; position: number }[]> {
    return this.prisma.chunk.findMany({
      where: { fileId },
      select: { id: true, contentHash: true, position: true },
    });
  }

  /**
   * Runs `work` holding the file's row lock, if the file still exists and this attempt still owns
   * it; returns false otherwise. Deletion takes the same lock, so an index write inside `work` and
   * a delete never interleave.
   */
  async withOwnedFile(
    fileId: string,
    attempt: number,
    work: (tx: TransactionClient) => Promise<void>,
  ): Promise<boolean> {
    return this.prisma.$transaction(
      async (tx) => {
        const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM files WHERE id = ${fileId}::uuid AND status = 'processing' AND attempts = ${attempt}
             AND deleted_at IS NULL FOR UPDATE`;
        if (locked.length === 0) return false;
        await work(tx);
        return true;
      },
      { timeout: COMMIT_TIMEOUT_MS, maxWait: COMMIT_TIMEOUT_MS },
    );
  }

  async replaceChunks(
    tx: TransactionClient,
    fileId: string,
    chunks: readonly ChunkRowInput[],
  ): Promise<void> {
    await tx.chunk.deleteMany({ where: { fileId, id: { notIn: chunks.map((c) => c.id) } } });
    // Positions are unique per file: move kept rows out of the way before renumbering.
    await tx.$executeRaw`UPDATE chunks SET position = -1 - position WHERE file_id = ${fileId}::uuid`;
    for (const chunk of chunks) {
      const data = { ...chunk, embedding: Buffer.from(chunk.embedding) };
      await tx.chunk.upsert({ where: { id: chunk.id }, create: { ...data, fileId }, update: data });
    }
  }

  async markReady(tx: TransactionClient, fileId: string, mimeType: string): Promise<void> {
    await tx.file.update({
      where: { id: fileId },
      data: { status: 'ready', mimeType, failureReason: null, leaseUntil: null },
    });
  }

  /**
   * Deletes one of the owner's files under its row lock; `beforeDelete` (removing its points from
   * the index) runs inside the lock. Returns the deleted row, or undefined when there is none.
   */
  async deleteOwned(
    tenantId: string,
    ownerId: string,
    fileId: string,
    beforeDelete: (row: FileRow, chunkIds: string[]) => Promise<void>,
  ): Promise<{ row: FileRow; chunkIds: string[] } | undefined> {
    return this.prisma.$transaction(
      async (tx) => {
        const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM files WHERE id = ${fileId}::uuid AND tenant_id = ${tenantId}::uuid
             AND owner_id = ${ownerId}::uuid AND deleted_at IS NULL FOR UPDATE`;
        if (locked.length === 0) return undefined;
        const row = (await tx.file.findUnique({ where: { id: fileId } })) as FileRow;
        const chunkIds = (await tx.chunk.findMany({ where: { fileId }, select: { id: true } })).map(
          (c) => c.id,
        );
        await beforeDelete(row, chunkIds);
        await tx.file.delete({ where: { id: fileId } });
        return { row, chunkIds };
      },
      { timeout: COMMIT_TIMEOUT_MS, maxWait: COMMIT_TIMEOUT_MS },
    );
  }

  /** The (model, dimension) pairs a file's chunks are indexed under. */
  async chunkCollections(fileId: string): Promise<{ modelKey: string; dimension: number }[]> {
    const rows = await this.prisma.$queryRaw<{ model: string; bytes: number }[]>`
      SELECT DISTINCT embedding_model AS model, octet_length(embedding) AS bytes FROM chunks
       WHERE file_id = ${fileId}::uuid AND embedding_model IS NOT NULL AND embedding IS NOT NULL`;
    return rows.map((r) => ({ modelKey: r.model, dimension: Number(r.bytes) / 4 }));
  }

  /** True when another file row still points at the blob (same content, another owner). */
  async blobInUse(storageKey: string): Promise<boolean> {
    return (await this.prisma.file.count({ where: { storageKey } })) > 0;
  }
}

export function isFileStatus(value: string): value is FileStatus {
  return ['uploaded', 'processing', 'ready', 'failed'].includes(value);
}
