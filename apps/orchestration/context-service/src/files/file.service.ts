// Owns the file rpcs: IngestFile (register an uploaded blob for its owner, deduplicated by content,
// type sniffed from the bytes, then wake the ingestion loop), GetFile, ListFiles and DeleteFile (the
// points leave the vector index under the row lock, then the row and chunks, then the blob when no
// other file of the tenant shares it).
import { contextV1 } from '@hearth/contracts';
import { isForeignKeyViolation } from '@hearth/db';
import {
  invalidArgument,
  isUuid,
  notFound,
  requireStorableText,
  validateCaller,
  type GrpcError,
} from '@hearth/grpc';
import {
  BlobNotFoundError,
  parseBlobKey,
  sha256Hex,
  sniffContentType,
  type BlobStore,
} from '@hearth/retrieval';
import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';

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

const FILES_BELONG_TO_A_USER = 'files belong to a user';

/** A file the caller may not read, whatever the cause; callers switch on its reason, FILE_NOT_FOUND. */
export function fileNotFound(fileId: string): GrpcError {
  return notFound('FILE_NOT_FOUND', `file "${fileId}" not found`, { fileId });
}

function requireFileId(fileId: string): string {
  if (!isUuid(fileId)) throw fileNotFound(fileId);
  return fileId;
}

export class FileService {
  constructor(private readonly options: FileServiceOptions) {}

  async ingest(request: contextV1.IngestFileRequest): Promise<contextV1.IngestFileResponse> {
    const caller = validateCaller(request.caller, {
      user: FILES_BELONG_TO_A_USER,
      apiKey: 'embeddings are metered to it',
    });
    const ownerId = caller.userId;
    const name = request.name.trim();
    if (!name || name.length > MAX_NAME_LENGTH)
      throw invalidArgument(`name is required (at most ${MAX_NAME_LENGTH} characters)`);
    requireStorableText('name', name);
    requireStorableText('purpose', request.purpose);
    requireStorableText('declared_type', request.declaredType);
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
    const { row, created } = await this.registered(caller, {
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
    const caller = validateCaller(request.caller);
    const fileId = requireFileId(request.fileId);
    const row = await this.options.files.findVisible(caller.tenantId, caller.userId, fileId);
    if (!row) throw fileNotFound(fileId);
    const counts = await this.options.files.chunkCounts([row.id]);
    return { file: toStoredFile(row, counts.get(row.id)) };
  }

  async list(request: contextV1.ListFilesRequest): Promise<contextV1.ListFilesResponse> {
    const caller = validateCaller(request.caller);
    const limit = Math.min(request.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    if (request.pageToken && !isUuid(request.pageToken)) throw invalidArgument('page_token is malformed');
    requireStorableText('purpose', request.purpose);
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
    const caller = validateCaller(request.caller, { user: FILES_BELONG_TO_A_USER });
    const ownerId = caller.userId;
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
    if (!deleted) throw fileNotFound(fileId);
    if (!(await this.options.files.blobInUse(deleted.row.storageKey))) {
      await this.options.blobs
        .delete(deleted.row.storageKey)
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error, fileId }, 'could not delete the blob of a deleted file'),
        );
    }
    return { fileId, removedChunks: deleted.chunkIds.length };
  }

  /** Registers the file; a caller whose user (or tenant) the database does not know is NOT_FOUND. */
  private async registered(
    caller: { tenantId: string; userId: string },
    file: Parameters<FileRepository['register']>[0],
  ): ReturnType<FileRepository['register']> {
    try {
      return await this.options.files.register(file);
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error;
      throw notFound(
        'USER_NOT_FOUND',
        `user ${caller.userId} not found in tenant ${caller.tenantId} (or its API key is unknown)`,
      );
    }
  }
}
