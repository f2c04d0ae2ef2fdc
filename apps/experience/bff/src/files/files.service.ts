// Owns the files endpoints' logic: the upload goes to the blob store (content-addressed per tenant,
// so the same bytes are stored once), then the context service registers it (sniffing the real type,
// deduplicating per owner) and ingests it asynchronously; reads and deletes are the context service's
// file rpcs. Answers are OpenAI's file object with `status` in OpenAI's enum (uploaded / processed /
// error) plus `processing_status`, the finer ingestion state.
import { contextV1 } from '@hearth/contracts';
import { GrpcError } from '@hearth/grpc';
import type { BlobStore } from '@hearth/retrieval';

import { status } from '@grpc/grpc-js';
import type { z } from 'zod';

import { toGrpcCaller, type AuthenticatedCaller } from '../auth/authenticated-caller';
import { ApiError } from '../errors/api.error';
import { apiErrorFromGrpc } from '../errors/grpc-status.mapper';
import { toUnixSeconds } from '../http/timestamps';
import type { ContextClient } from '../upstream/upstream.clients';
import type { fileObjectSchema, ListFilesQuery, UploadFields } from './files.schemas';

export interface UploadedFile {
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

export type FileObject = z.output<typeof fileObjectSchema>;

export interface FilesServiceOptions {
  /** Context service upstream; undefined when it is not configured (503). */
  context: ContextClient | undefined;
  blobs: BlobStore;
  maxUploadBytes: number;
}

const PROCESSING: Record<number, FileObject['processing_status']> = {
  [contextV1.FileStatus.FILE_STATUS_UPLOADED]: 'uploaded',
  [contextV1.FileStatus.FILE_STATUS_PROCESSING]: 'processing',
  [contextV1.FileStatus.FILE_STATUS_READY]: 'ready',
  [contextV1.FileStatus.FILE_STATUS_FAILED]: 'failed',
};
const OPENAI_STATUS: Record<FileObject['processing_status'], FileObject['status']> = {
  uploaded: 'uploaded',
  processing: 'uploaded',
  ready: 'processed',
  failed: 'error',
};

export function toFileObject(file: contextV1.StoredFile): FileObject {
  const processing = PROCESSING[file.status] ?? 'uploaded';
  return {
    id: file.fileId,
    object: 'file',
    bytes: Number(file.sizeBytes),
    created_at: toUnixSeconds(file.createdAt),
    filename: file.name,
    purpose: file.purpose,
    status: OPENAI_STATUS[processing],
    // OpenAI's schema types it as a string: present only when there is something to say.
    ...(file.statusDetails ? { status_details: file.statusDetails } : {}),
    processing_status: processing,
    content_type: file.contentType,
    tenant_wide: file.tenantWide,
  };
}

export class FilesService {
  constructor(private readonly options: FilesServiceOptions) {}

  async upload(
    caller: AuthenticatedCaller,
    file: UploadedFile | undefined,
    fields: UploadFields,
  ): Promise<FileObject> {
    if (!file)
      throw ApiError.badRequest("A multipart field named 'file' is required.", 'file', 'missing_file');
    if (file.size === 0) throw ApiError.badRequest('The uploaded file is empty.', 'file', 'empty_file');
    if (file.size > this.options.maxUploadBytes) {
      throw new ApiError(413, `File too large: the limit is ${this.options.maxUploadBytes} bytes.`, {
        code: 'file_too_large',
        param: 'file',
      });
    }
    if (!caller.userId)
      throw ApiError.badRequest('Files belong to a user: this API key has no user.', null, 'user_required');
    const context = this.upstream();
    const blob = await this.options.blobs.put(caller.tenantId, file.buffer);
    const response = await this.call(() =>
      context.ingestFile({
        caller: toGrpcCaller(caller),
        storageKey: blob.key,
        name: decodeFilename(file.originalname),
        purpose: fields.purpose,
        declaredType: file.mimetype,
        tenantWide: fields.tenant_wide,
      }),
    );
    return toFileObject(response.file as contextV1.StoredFile);
  }

  async list(caller: AuthenticatedCaller, query: ListFilesQuery) {
    const context = this.upstream();
    const response = await this.call(() =>
      context.listFiles({
        caller: toGrpcCaller(caller),
        pageSize: query.limit,
        pageToken: query.after ?? '',
        purpose: query.purpose ?? '',
      }),
    );
    const data = response.files.map(toFileObject);
    return {
      object: 'list' as const,
      data,
      first_id: data[0]?.id ?? null,
      last_id: data[data.length - 1]?.id ?? null,
      has_more: response.nextPageToken !== '',
    };
  }

  async get(caller: AuthenticatedCaller, id: string): Promise<FileObject> {
    const context = this.upstream();
    const response = await this.call(
      () =>
        context.getFile({
          caller: toGrpcCaller(caller),
          fileId: id,
        }),
      id,
    );
    return toFileObject(response.file as contextV1.StoredFile);
  }

  async delete(caller: AuthenticatedCaller, id: string) {
    const context = this.upstream();
    await this.call(
      () =>
        context.deleteFile({
          caller: toGrpcCaller(caller),
          fileId: id,
        }),
      id,
    );
    return { id, object: 'file' as const, deleted: true as const };
  }

  private async call<T>(run: () => Promise<T>, fileId?: string): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof GrpcError)) throw error;
      // OpenAI's wording for an unknown file id, whatever the context service said.
      if (fileId !== undefined && error.code === status.NOT_FOUND) throw ApiError.notFound('file', fileId);
      throw apiErrorFromGrpc(error, 'file service');
    }
  }

  private upstream(): ContextClient {
    if (!this.options.context) {
      throw new ApiError(503, 'Files are not available on this server.', {
        code: 'service_unavailable',
        headers: { 'retry-after': '60' },
      });
    }
    return this.options.context;
  }
}

/** Multer decodes the multipart filename as latin1; clients send UTF-8. */
function decodeFilename(name: string): string {
  const decoded = Buffer.from(name, 'latin1').toString('utf8');
  return (decoded.includes('\uFFFD') ? name : decoded).slice(0, 512) || 'upload';
}
