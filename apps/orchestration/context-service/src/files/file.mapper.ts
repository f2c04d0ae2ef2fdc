// Maps file rows to the wire shape (StoredFile) and statuses to the proto enum.
import { contextV1 } from '@hearth/contracts';
import type { FileStatus } from '@hearth/db';

import type { FileRow } from './file.repository';

const STATUS: Record<FileStatus, contextV1.FileStatus> = {
  uploaded: contextV1.FileStatus.FILE_STATUS_UPLOADED,
  processing: contextV1.FileStatus.FILE_STATUS_PROCESSING,
  ready: contextV1.FileStatus.FILE_STATUS_READY,
  failed: contextV1.FileStatus.FILE_STATUS_FAILED,
};

export function toFileStatus(status: FileStatus): contextV1.FileStatus {
  return STATUS[status];
}

export function toStoredFile(row: FileRow, chunkCount = 0): contextV1.StoredFile {
  return {
    fileId: row.id,
    name: row.name,
    purpose: row.purpose,
    declaredType: row.declaredType ?? '',
    contentType: row.mimeType,
    sizeBytes: row.sizeBytes,
    sha256: row.sha256,
    status: toFileStatus(row.status),
    statusDetails: row.status === 'failed' ? (row.failureReason ?? '') : '',
    createdAt: row.createdAt,
    tenantWide: row.tenantWide,
    chunkCount: row.status === 'ready' ? chunkCount : 0,
    ownerUserId: row.ownerId,
  };
}
