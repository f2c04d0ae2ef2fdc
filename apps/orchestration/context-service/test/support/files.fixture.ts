// What the file and retrieval specs add to the context fixture: a context service with a blob store
// and an embedded vector index in a temporary folder, the tiny model as its embedding model, and a
// real safety service; plus helpers to upload (blob store put + IngestFile, as the BFF does), wait
// for a status, and build PDF and HTML documents.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { commonV1, contextV1 } from '@hearth/contracts';
import { LocalBlobStore } from '@hearth/retrieval';
import { ServiceProcess } from '@hearth/testing';

import { PDFDocument, StandardFonts } from 'pdf-lib';

import { startContextService, type ContextFixture, type ModelStack } from './context.fixture';

export interface FilesFixture extends ContextFixture {
  blobs: LocalBlobStore;
  safety: ServiceProcess;
  upload(
    caller: commonV1.Caller,
    name: string,
    content: string | Uint8Array,
    options?: Partial<contextV1.IngestFileRequest>,
  ): Promise<contextV1.IngestFileResponse>;
  waitFor(
    caller: commonV1.Caller,
    fileId: string,
    status: contextV1.FileStatus,
  ): Promise<contextV1.StoredFile>;
  retrieve(
    caller: commonV1.Caller,
    query: string,
    overrides?: Partial<contextV1.RetrieveRequest>,
  ): Promise<contextV1.RetrieveResponse>;
}

export async function startFilesService(
  stack: ModelStack,
  env: Record<string, string> = {},
): Promise<FilesFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'context-files-'));
  const safety = await ServiceProcess.start({ app: 'safety-service' });
  let context: ContextFixture;
  try {
    context = await startContextService(stack, {
      BLOB_STORE_DIR: join(dir, 'blobs'),
      VECTOR_STORE_DIR: join(dir, 'vectors'),
      SAFETY_SERVICE_ADDRESS: safety.address,
      EMBEDDING_MODEL: 'tiny',
      CHUNK_MAX_TOKENS: '48',
      CHUNK_OVERLAP_TOKENS: '0',
      INGEST_POLL_MS: '200',
      // The tiny model's context is 512 tokens: give retrieved chunks most of what is left.
      CONTEXT_BUDGET_RETRIEVAL_PERCENT: '60',
      ...env,
    });
  } catch (error) {
    await safety.stop();
    throw error;
  }
  const blobs = new LocalBlobStore(join(dir, 'blobs'));
  const fixture: FilesFixture = {
    ...context,
    blobs,
    safety,
    upload: async (caller, name, content, options = {}) => {
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      const blob = await blobs.put(caller.tenantId, bytes);
      return context.client.ingestFile({
        caller,
        storageKey: blob.key,
        name,
        purpose: 'assistants',
        declaredType: 'text/plain',
        tenantWide: false,
        ...options,
      });
    },
    waitFor: async (caller, fileId, status) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { file } = await context.client.getFile({ caller, fileId });
        if (file?.status === status) return file;
        if (Date.now() > deadline)
          throw new Error(`file ${fileId} is ${file?.status} (${file?.statusDetails}), not ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    retrieve: (caller, query, overrides = {}) =>
      context.client.retrieve({
        caller,
        query,
        topK: 3,
        fileIds: [],
        minScore: 0,
        ...overrides,
      }),
    close: async () => {
      await context.close();
      await safety.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** A PDF with one page per text (Helvetica, so unpdf extracts the text as written). */
export async function pdfOf(pages: readonly string[]): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const text of pages) pdf.addPage().drawText(text, { x: 50, y: 700, size: 12, font });
  return pdf.save();
}
