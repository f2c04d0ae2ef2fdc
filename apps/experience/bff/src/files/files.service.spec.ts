// The mapping of the context service's files to OpenAI's file object (status kept within OpenAI's
// enum, the finer ingestion state in processing_status) and the upload checks made before any call.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { contextV1 } from '@hearth/contracts';
import { LocalBlobStore } from '@hearth/retrieval';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { FilesService, toFileObject } from './files.service';

const stored = (status: contextV1.FileStatus, statusDetails = ''): contextV1.StoredFile => ({
  fileId: 'f1',
  name: 'guide.md',
  purpose: 'assistants',
  declaredType: 'application/pdf',
  contentType: 'text/markdown',
  sizeBytes: 42,
  sha256: 'a'.repeat(64),
  status,
  statusDetails,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  tenantWide: false,
  chunkCount: 3,
  ownerUserId: 'u1',
});

describe(FilesService.name, () => {
  it.each([
    [contextV1.FileStatus.FILE_STATUS_UPLOADED, 'uploaded', 'uploaded'],
    [contextV1.FileStatus.FILE_STATUS_PROCESSING, 'uploaded', 'processing'],
    [contextV1.FileStatus.FILE_STATUS_READY, 'processed', 'ready'],
    [contextV1.FileStatus.FILE_STATUS_FAILED, 'error', 'failed'],
  ])('maps status %s to OpenAI %s (processing_status %s)', (status, openai, processing) => {
    expect(toFileObject(stored(status))).toMatchObject({ status: openai, processing_status: processing });
  });

  it('returns OpenAI’s file object with the sniffed type and the failure reason', () => {
    expect(
      toFileObject(
        stored(contextV1.FileStatus.FILE_STATUS_FAILED, 'unsupported file format image/png (.png)'),
      ),
    ).toEqual({
      id: 'f1',
      object: 'file',
      bytes: 42,
      created_at: 1767225600,
      filename: 'guide.md',
      purpose: 'assistants',
      status: 'error',
      status_details: 'unsupported file format image/png (.png)',
      processing_status: 'failed',
      content_type: 'text/markdown',
      tenant_wide: false,
    });
  });

  it('refuses a missing, empty or oversized upload before storing anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bff-files-'));
    const sut = new FilesService({ context: undefined, blobs: new LocalBlobStore(dir), maxUploadBytes: 4 });
    const caller = { tenantId: 't', userId: 'u', apiKeyId: 'k' } as AuthenticatedCaller;
    const file = (size: number) => ({
      originalname: 'a.txt',
      mimetype: 'text/plain',
      size,
      buffer: Buffer.alloc(size),
    });
    const fields = { purpose: 'assistants' as const, tenant_wide: false };

    await expect(sut.upload(caller, undefined, fields)).rejects.toMatchObject({ status: 400, param: 'file' });
    await expect(sut.upload(caller, file(0), fields)).rejects.toMatchObject({
      status: 400,
      code: 'empty_file',
    });
    await expect(sut.upload(caller, file(5), fields)).rejects.toMatchObject({
      status: 413,
      code: 'file_too_large',
    });
    await expect(sut.upload(caller, file(3), fields)).rejects.toMatchObject({ status: 503 });
    expect(await readdir(dir)).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });
});
