// Owns both directions between GrpcError and what grpc-js puts on the wire: a server's error payload
// (code, details, trailers with the serialized google.rpc.Status) and a client's ServiceError (decoded
// back into a GrpcError with its reason, metadata and retry hint). Statuses without details (a refused
// connection, an expired deadline, an older peer) get the status name as their reason.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';

import { defaultReason, GrpcError } from './grpc-error';
import { decodeStatusDetails, encodeStatusDetails, STATUS_DETAILS_KEY } from './status-details.codec';

/** Trailer with the retry hint in ms; documented by the gateway and orchestrator contracts. */
export const RETRY_AFTER_MS_KEY = 'retry-after-ms';

/** What grpc-js's server turns into a status: code, details and trailing metadata. */
export interface GrpcStatusPayload {
  readonly code: status;
  readonly message: string;
  readonly details: string;
  readonly metadata: Metadata;
}

/**
 * Longest status message and ErrorInfo metadata value a server sends. Errors often quote what the
 * caller sent (an unknown model id, a bad field); a megabyte of it in the trailers is over HTTP/2's
 * header list limit, and the call then never completes for the client.
 */
export const MAX_STATUS_MESSAGE_CHARS = 1_024;
export const MAX_STATUS_METADATA_CHARS = 256;

// A UTF-16 surrogate without its other half: protobufjs decodes invalid UTF-8 (an encoded lone
// surrogate) into one, and grpc-js's encodeURI of a status message holding one throws, outside any
// handler, which ended the process.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` with lone surrogates replaced by U+FFFD and cut to `max` characters, marked with `...`
 * (ASCII: trailers allow nothing else), never through a surrogate pair.
 */
export function boundedText(text: string, max: number): string {
  const wellFormed = text.replace(LONE_SURROGATE, '\uFFFD');
  if (wellFormed.length <= max) return wellFormed;
  const cut = wellFormed.slice(0, max - 3);
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}...`;
}

/** The status a server sends for `error`; `domain` is used when the error names none. */
export function toStatusPayload(error: GrpcError, domain: string): GrpcStatusPayload {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(error.trailers)) {
    metadata.set(key, boundedText(value, MAX_STATUS_MESSAGE_CHARS));
  }
  const message = boundedText(error.message, MAX_STATUS_MESSAGE_CHARS);
  const retryAfterMs =
    error.retryAfterMs === undefined ? undefined : Math.max(0, Math.ceil(error.retryAfterMs));
  if (retryAfterMs !== undefined) metadata.set(RETRY_AFTER_MS_KEY, String(retryAfterMs));
  metadata.set(
    STATUS_DETAILS_KEY,
    encodeStatusDetails({
      code: error.code,
      message,
      reason: error.reason,
      domain: error.domain ?? domain,
      metadata:
        error.metadata &&
        Object.fromEntries(
          Object.entries(error.metadata).map(([key, value]) => [
            key,
            boundedText(value, MAX_STATUS_METADATA_CHARS),
          ]),
        ),
      retryAfterMs,
    }),
  );
  return { code: error.code, message, details: message, metadata };
}

/** A gRPC error as @grpc/grpc-js reports it to clients (not yet decoded into a GrpcError). */
export function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error &&
    !(error instanceof GrpcError) &&
    typeof (error as Partial<ServiceError>).code === 'number' &&
    typeof (error as Partial<ServiceError>).metadata?.getMap === 'function'
  );
}

/** A client's ServiceError as a GrpcError, marked as coming from `upstream`. */
export function fromServiceError(error: ServiceError, upstream: string): GrpcError {
  const trailers: Record<string, string> = {};
  let details;
  for (const [key, value] of Object.entries(error.metadata?.getMap() ?? {})) {
    if (key === STATUS_DETAILS_KEY && Buffer.isBuffer(value)) details = decodeStatusDetails(value);
    else if (typeof value === 'string') trailers[key] = value;
  }
  const retryHint = Number(trailers[RETRY_AFTER_MS_KEY]);
  return new GrpcError(
    error.code,
    details?.reason || defaultReason(error.code),
    error.details || error.message,
    {
      metadata: details?.metadata,
      domain: details?.domain,
      retryAfterMs:
        details?.retryAfterMs ?? (Number.isFinite(retryHint) && retryHint > 0 ? retryHint : undefined),
      trailers,
      upstream,
      // No `cause`: a ServiceError's Metadata is circular and may hold headers, which logs must not carry.
    },
  );
}

/**
 * Anything a gRPC call failed with as a GrpcError: GrpcErrors as they are, ServiceErrors decoded (from
 * `upstream`), anything else UNKNOWN with its message (a bug on the client side, not a status).
 */
export function toGrpcError(error: unknown, upstream: string): GrpcError {
  if (error instanceof GrpcError) return error;
  if (isServiceError(error)) return fromServiceError(error, upstream);
  return new GrpcError(
    status.UNKNOWN,
    defaultReason(status.UNKNOWN),
    error instanceof Error ? error.message : String(error),
    {
      upstream,
      cause: error,
    },
  );
}
