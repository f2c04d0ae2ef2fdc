// Owns the ingestion loop: polls the files table (and is woken by IngestFile) for uploads and for
// files whose processing lease expired after a crash, claims them with FOR UPDATE SKIP LOCKED, runs
// them through IngestionService with bounded concurrency, and records the end of each attempt: ready,
// failed with a reason (bad content, or the last attempt), or back in the queue after a backoff.
import { EventEmitter } from 'node:events';

import { GrpcError } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';

import type { FileRepository, FileRow } from '../files/file.repository';
import { PermanentIngestionError, type IngestionOutcome, type IngestionService } from './ingestion.service';

export interface IngestionWorkerOptions {
  files: FileRepository;
  ingestion: IngestionService;
  logger: Logger;
  pollMs: number;
  leaseMs: number;
  maxAttempts: number;
  concurrency: number;
}

// Gateway statuses that no retry will change: the embedding model is unknown or cannot embed.
const PERMANENT_GATEWAY_CODES = new Set<status>([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.PERMISSION_DENIED,
]);
const RETRY_BACKOFF_MS = 2_000;

export interface IngestionEvents {
  /** After every finished attempt: the outcome, or the error and whether the file is now failed. */
  settled: [{ fileId: string; outcome?: IngestionOutcome; error?: unknown; failed?: boolean }];
}

export class IngestionWorker extends EventEmitter<IngestionEvents> {
  private timer: NodeJS.Timeout | undefined;
  private running = new Set<Promise<void>>();
  private polling: Promise<void> | undefined;
  private repoll = false;
  private stopped = true;

  constructor(private readonly options: IngestionWorkerOptions) {
    super();
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Looks for work now (called after IngestFile registered a file). */
  wake(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.repoll = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops polling and waits for the attempts in flight (their leases cover a hard kill). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    await Promise.allSettled([...this.running]);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        if (this.stopped) return;
        const again = this.repoll;
        this.repoll = false;
        this.schedule(again ? 0 : this.options.pollMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const free = this.options.concurrency - this.running.size;
    if (free <= 0) return;
    let claimed: FileRow[];
    try {
      claimed = await this.options.files.claim(free, this.options.leaseMs);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'ingestion poll failed');
      return;
    }
    for (const file of claimed) {
      const run = this.attempt(file).finally(() => {
        this.running.delete(run);
        this.wake();
      });
      this.running.add(run);
    }
  }

  private async attempt(file: FileRow): Promise<void> {
    const { files, logger, maxAttempts } = this.options;
    if (file.attempts > maxAttempts) {
      // Only reachable when earlier attempts never finished (the process died with the file claimed).
      const reason = `ingestion gave up after ${maxAttempts} attempts`;
      await files
        .markFailed(file.id, file.attempts, reason)
        .catch((e: unknown) => logger.warn({ err: e }, 'could not mark a file failed'));
      this.emit('settled', { fileId: file.id, error: new Error(reason), failed: true });
      return;
    }
    try {
      const outcome = await this.options.ingestion.ingest(file);
      logger.info(outcome, 'file ingested');
      this.emit('settled', { fileId: file.id, outcome });
    } catch (error) {
      const permanent =
        error instanceof PermanentIngestionError ||
        (isUpstreamError(error) && PERMANENT_GATEWAY_CODES.has(error.code));
      const failed = permanent || file.attempts >= maxAttempts;
      try {
        if (failed) await files.markFailed(file.id, file.attempts, reasonOf(error));
        else await files.retryLater(file.id, file.attempts, RETRY_BACKOFF_MS * file.attempts);
      } catch (recordError) {
        logger.warn(
          { err: recordError, fileId: file.id },
          'could not record an ingestion failure (the lease will retry it)',
        );
      }
      logger.warn({ err: error, fileId: file.id, attempt: file.attempts, failed }, 'file ingestion failed');
      this.emit('settled', { fileId: file.id, error, failed });
    }
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof PermanentIngestionError) return error.message;
  if (isUpstreamError(error)) return `embedding model: ${error.message || error.codeName}`;
  return 'ingestion failed';
}

/** A status the gateway answered with (our own errors are not upstream ones). */
function isUpstreamError(error: unknown): error is GrpcError {
  return error instanceof GrpcError && error.upstream !== undefined;
}
