// Owns the file rpcs: IngestFile (register an uploaded blob for its owner, deduplicated by content,
// type sniffed from the bytes, then wake the ingestion loop), GetFile, ListFiles and DeleteFile (the
// points leave the vector index under the row lock, then the row and chunks, then the blob when no
// other file of the tenant shares it).
import { contextV1 } from '@hearth/contracts';
import {
  BlobNotFoundError,
  parseBlobKey,
  sha256Hex,
  sniffContentType,
  type BlobStore,
} from '@hearth/retrieval';
import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';

import { isUuid, requireCaller } from '../assembly/request.validation';
import { invalidArgument, notFound } from '../errors/context.errors';
import type { VectorIndex } from '../retrieval/vector-index';
import { toStoredFile } from './file.mapper';
import type { FileRepository } from './file.repository';

export interface FileServiceOptions {
  files: FileRepository;
  blobs: BlobStore;
  index: VectorIndex;
  logger: Logger;
  /** Called after a new file was registered, so ingestion starts without waiting for a poll. */
  onRegistered: () => void;
}

const MAX_NAME_LENGTH = 512;
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

function requireUser(caller: ReturnType<typeof requireCaller>): string {
  if (!caller.userId) throw invalidArgument('caller.user_id is required: files belong to a user');
  return caller.userId;
}

function requireFileId(fileId: string): string {
  if (!isUuid(fileId)) throw notFound(`file "${fileId}" not found`);
  return fileId;
}

export class FileService {
  constructor(private readonly options: FileServiceOptions) {}

  async ingest(request: contextV1.IngestFileRequest): Promise<contextV1.IngestFileResponse> {
    const caller = requireCaller(request.caller);
    const ownerId = requireUser(caller);
    if (!isUuid(caller.apiKeyId))
      throw invalidArgument('caller.api_key_id must be a uuid (embeddings are metered to it)');
    const name = request.name.trim();
    if (!name || name.length > MAX_NAME_LENGTH)
      throw invalidArgument(`name is required (at most ${MAX_NAME_LENGTH} characters)`);
    let key: { tenantId: string; sha256: string };
    try {
      key = parseBlobKey(request.storageKey);
    } catch {
      throw invalidArgument('storage_key is not a blob store key');
    }
    if (key.tenantId !== caller.tenantId) throw notFound('no uploaded content under storage_key');
    const bytes = await this.options.blobs.get(request.storageKey).catch((error: unknown) => {
      throw error instanceof BlobNotFoundError ? notFound('no uploaded content under storage_key') : error;
    });
    const sha256 = sha256Hex(bytes);
    if (sha256 !== key.sha256)
      throw invalidArgument('the content under storage_key does not match its sha256');
    // Sniffed here so the file shows its real type at once; unsupported content is still registered
    // and fails ingestion with the reason, so the client sees why.
    const sniffed = await sniffContentType(bytes);
    const { row, created } = await this.options.files.register({
      tenantId: caller.tenantId,
      ownerId,
      apiKeyId: caller.apiKeyId,
      name,
      purpose: request.purpose.trim() || 'assistants',
      declaredType: request.declaredType.trim() || null,
      mimeType: sniffed.supported ? sniffed.contentType : sniffed.detected,
      sizeBytes: bytes.byteLength,
      sha256,
      storageKey: request.storageKey,
      tenantWide: request.tenantWide,
    });
    if (created) this.options.onRegistered();
    const counts = await this.options.files.chunkCounts([row.id]);
    return { file: toStoredFile(row, counts.get(row.id)), deduplicated: !created };
  }

  async get(request: contextV1.GetFileRequest): Promise<contextV1.GetFileResponse> {
    const caller = requireCaller(request.caller);
    const fileId = requireFileId(request.fileId);
    const row = await this.options.files.findVisible(caller.tenantId, caller.userId, fileId);
    if (!row) throw notFound(`file "${fileId}" not found`);
    const counts = await this.options.files.chunkCounts([row.id]);
    return { file: toStoredFile(row, counts.get(row.id)) };
  }

  async list(request: contextV1.ListFilesRequest): Promise<contextV1.ListFilesResponse> {
    const caller = requireCaller(request.caller);
    const limit = Math.min(request.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    if (request.pageToken && !isUuid(request.pageToken)) throw invalidArgument('page_token is malformed');
    const rows = await this.options.files.listVisible(caller.tenantId, caller.userId, {
      limit: limit + 1,
      after: request.pageToken || undefined,
      purpose: request.purpose || undefined,
    });
    const page = rows.slice(0, limit);
    const counts = await this.options.files.chunkCounts(page.map((r) => r.id));
    return {
      files: page.map((row) => toStoredFile(row, counts.get(row.id))),
      nextPageToken: rows.length > limit ? (page[page.length - 1]?.id ?? '') : '',
    };
  }

  async delete(request: contextV1.DeleteFileRequest): Promise<contextV1.DeleteFileResponse> {
    const caller = requireCaller(request.caller);
    const ownerId = requireUser(caller);
    const fileId = requireFileId(request.fileId);
    const { index } = this.options;
    const deleted = await this.options.files.deleteOwned(
      caller.tenantId,
      ownerId,
      fileId,
      async (_row, chunkIds) => {
        if (chunkIds.length === 0) return;
        // Every collection the file's chunks were written to (normally one: the current model's).
        const models = await this.options.files.chunkCollections(fileId);
        for (const { modelKey, dimension } of models) {
          await index.store
            .deleteByFile(index.nameOf(modelKey, dimension), caller.tenantId, fileId)
            .catch((error: unknown) => {
              // NOT_FOUND: the collection is gone already, so are the points.
              if ((error as { code?: number }).code !== status.NOT_FOUND) throw error;
            });
        }
      },
    );
    if (!deleted) throw notFound(`file "${fileId}" not found`);
    if (!(await this.options.files.blobInUse(deleted.row.storageKey))) {
      await this.options.blobs
        .delete(deleted.row.storageKey)
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error, fileId }, 'could not delete the blob of a deleted file'),
        );
    }
    return { fileId, removedChunks: deleted.chunkIds.length };
  }
}
