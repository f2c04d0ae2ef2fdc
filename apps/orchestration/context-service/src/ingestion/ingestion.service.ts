// Owns the ingestion of one claimed file: read the blob (its sha256 re-checked), sniff and chunk it
// (libs/retrieval; tokens counted by the embedding model's tokenizer), reuse stored vectors of chunks
// whose content hash the tenant already embedded with the same model, embed only the rest, then, under
// the file's row lock, write the points to the vector index, replace the chunk rows and mark the file
// ready. Chunk ids are derived from (file, content hash, occurrence), so a retried or repeated
// ingestion overwrites the same points instead of leaving orphans.
import { createHash } from 'node:crypto';

import type { commonV1 } from '@hearth/contracts';
import {
  BlobNotFoundError,
  Chunker,
  sha256Hex,
  UnsupportedContentError,
  type BlobStore,
  type Chunk,
  type VectorPoint,
} from '@hearth/retrieval';

import type { ChunkRowInput, FileRepository, FileRow } from '../files/file.repository';
import { bytesToVector, vectorToBytes, type EmbedderService } from '../retrieval/embedder.service';
import { aclOf, type VectorIndex } from '../retrieval/vector-index';

/** A failure that another attempt cannot fix (bad content, missing blob, a model that cannot embed). */
export class PermanentIngestionError extends Error {
  override readonly name = 'PermanentIngestionError';
}

export interface IngestionOutcome {
  fileId: string;
  /** False when the file was deleted (or re-claimed) while it was processed: nothing was written. */
  committed: boolean;
  chunks: number;
  /** Chunks sent to the embedding model. */
  embedded: number;
  /** Chunks whose stored vector was reused (same content hash, same model). */
  reused: number;
}

export interface IngestionOptions {
  files: FileRepository;
  blobs: BlobStore;
  embedder: EmbedderService;
  index: VectorIndex;
  chunkMaxTokens: number;
  chunkOverlapTokens: number;
}

export class IngestionService {
  constructor(private readonly options: IngestionOptions) {}

  async ingest(file: FileRow): Promise<IngestionOutcome> {
    const { files, embedder, index } = this.options;
    if (!file.apiKeyId)
      throw new PermanentIngestionError('the file has no API key to meter its embeddings to');
    const caller: commonV1.Caller = {
      tenantId: file.tenantId,
      userId: file.ownerId,
      apiKeyId: file.apiKeyId,
    };
    const bytes = await this.options.blobs.get(file.storageKey).catch((error: unknown) => {
      throw error instanceof BlobNotFoundError
        ? new PermanentIngestionError('the uploaded content is missing from the blob store')
        : error;
    });
    if (sha256Hex(bytes) !== file.sha256)
      throw new PermanentIngestionError('the stored content does not match its sha256');

    const model = await embedder.model(caller);
    const chunker = new Chunker({
      maxTokens: this.options.chunkMaxTokens,
      overlapTokens: this.options.chunkOverlapTokens,
      countTokens: (texts) => embedder.countTokens(caller, model, texts),
    });
    const document = await chunker.chunkFile(bytes).catch((error: unknown) => {
      throw error instanceof UnsupportedContentError ? new PermanentIngestionError(error.message) : error;
    });
    const chunks = document.chunks.filter((c) => c.text.trim().length > 0);
    if (chunks.length === 0) throw new PermanentIngestionError('the file contains no text to index');

    const stored = await files.vectorsByHash(
      file.tenantId,
      model.key,
      chunks.map((c) => c.contentHash),
    );
    const missing = chunks.filter((c) => !stored.has(c.contentHash));
    const fresh = await embedder.embed(
      caller,
      model,
      missing.map((c) => c.text),
      `ingest:${file.id}:${file.attempts}`,
    );
    const vectors = new Map<string, Float32Array>();
    stored.forEach((bytesOfVector, hash) => vectors.set(hash, bytesToVector(bytesOfVector)));
    missing.forEach((c, i) => vectors.set(c.contentHash, fresh[i] as Float32Array));

    const dimension = (vectors.get(chunks[0]?.contentHash ?? '') as Float32Array).length;
    if ([...vectors.values()].some((v) => v.length !== dimension)) {
      throw new Error('the embedding model returned vectors of different dimensions');
    }
    const collection = await index.collectionFor(model.key, dimension);
    const rows = chunkRows(file.id, chunks, vectors, model.key);
    const acl = aclOf(file);
    const points: VectorPoint[] = rows.map((row) => ({
      id: row.id,
      vector: bytesToVector(row.embedding),
      payload: {
        tenantId: file.tenantId,
        acl,
        fileId: file.id,
        chunkId: row.id,
        position: row.position,
        contentHash: row.contentHash,
        text: row.text,
      },
    }));

    const committed = await files.withOwnedFile(file.id, file.attempts, async (tx) => {
      // Points of an earlier ingestion that are not in this one (changed content, another model).
      const previous = await tx.chunk.findMany({
        where: { fileId: file.id },
        select: { id: true, embeddingModel: true, embedding: true },
      });
      const keep = new Set(rows.map((r) => r.id));
      const stale = previous.filter((p) => !keep.has(p.id) || p.embeddingModel !== model.key);
      for (const p of stale) {
        if (!p.embeddingModel || !p.embedding) continue;
        await index.store
          .deleteByIds(index.nameOf(p.embeddingModel, p.embedding.byteLength / 4), [p.id])
          .catch(() => undefined);
      }
      await index.store.upsert(collection, points);
      await files.replaceChunks(tx, file.id, rows);
      await files.markReady(tx, file.id, document.contentType);
    });
    return {
      fileId: file.id,
      committed,
      chunks: rows.length,
      embedded: missing.length,
      reused: chunks.length - missing.length,
    };
  }
}

function chunkRows(
  fileId: string,
  chunks: readonly Chunk[],
  vectors: Map<string, Float32Array>,
  modelKey: string,
): ChunkRowInput[] {
  const seen = new Map<string, number>();
  return chunks.map((chunk, position) => {
    const occurrence = seen.get(chunk.contentHash) ?? 0;
    seen.set(chunk.contentHash, occurrence + 1);
    return {
      id: chunkId(fileId, chunk.contentHash, occurrence),
      position,
      text: chunk.text,
      tokenCount: chunk.tokenCount,
      contentHash: chunk.contentHash,
      embeddingModel: modelKey,
      embedding: vectorToBytes(vectors.get(chunk.contentHash) as Float32Array),
      charStart: chunk.charStart,
      charEnd: chunk.charEnd,
      pageStart: chunk.pages?.first ?? null,
      pageEnd: chunk.pages?.last ?? null,
      heading: chunk.headingPath.join(' > '),
    };
  });
}

/** A uuid (v8 layout: custom) from sha256 of the chunk's identity. */
export function chunkId(fileId: string, contentHash: string, occurrence: number): string {
  const hex = createHash('sha256').update(`${fileId}:${contentHash}:${occurrence}`).digest('hex');
  const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
