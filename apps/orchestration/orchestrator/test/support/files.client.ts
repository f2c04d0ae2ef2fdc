// Calls the context service's file API as the BFF does: puts a file's bytes in the shared blob store,
// asks for ingestion, and polls until the file reaches a status.
import { contextV1, type commonV1 } from '@hearth/contracts';
import { createGrpcClient } from '@hearth/grpc';
import type { LocalBlobStore } from '@hearth/retrieval';

export interface FilesClient {
  /** Puts the bytes in the blob store and calls IngestFile, as the BFF does. */
  upload(caller: commonV1.Caller, name: string, content: string): Promise<contextV1.StoredFile>;
  /** Polls GetFile until the file has `status` (60 s at most). */
  waitFor(
    caller: commonV1.Caller,
    fileId: string,
    status: contextV1.FileStatus,
  ): Promise<contextV1.StoredFile>;
}

export function filesClient(address: string, blobs: LocalBlobStore): FilesClient & { close(): void } {
  const client = createGrpcClient(contextV1.ContextServiceDefinition, { address, defaultTimeoutMs: 10_000 });
  return {
    upload: async (caller, name, content) => {
      const blob = await blobs.put(caller.tenantId, new TextEncoder().encode(content));
      const { file } = await client.ingestFile({
        caller,
        storageKey: blob.key,
        name,
        purpose: 'assistants',
        declaredType: 'text/plain',
        tenantWide: false,
      });
      if (!file) throw new Error('IngestFile returned no file');
      return file;
    },
    waitFor: async (caller, fileId, status) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { file } = await client.getFile({ caller, fileId });
        if (file?.status === status) return file;
        if (Date.now() > deadline)
          throw new Error(`file ${fileId} is ${file?.status} (${file?.statusDetails}), not ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    close: () => client.close(),
  };
}
