// Owns the binary `grpc-status-details-bin` trailer: a `google.rpc.Status` whose details hold a
// `google.rpc.ErrorInfo { reason, domain, metadata }` and, when a retry may succeed, a
// `google.rpc.RetryInfo { retry_delay }` (the standard richer error model that gRPC clients in every
// language can read). Only the fields we send are declared here (field numbers as in
// google/rpc/status.proto and error_details.proto); unknown details from other senders are skipped.
import * as protobuf from 'protobufjs';

/** Trailer gRPC reserves for the serialized google.rpc.Status. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const ERROR_INFO = 'google.rpc.ErrorInfo';
const RETRY_INFO = 'google.rpc.RetryInfo';

// A private root: protobufjs's global wrappers (registered by the generated contracts for Timestamp)
// key on full names, and none apply to these types.
const root = protobuf.Root.fromJSON({
  // (`keyType` marks a map field; protobufjs's INamespace typing knows only plain fields.)
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: { fields: { typeUrl: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
            Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
          },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
            ErrorInfo: {
              fields: {
                reason: { type: 'string', id: 1 },
                domain: { type: 'string', id: 2 },
                metadata: { keyType: 'string', type: 'string', id: 3 } as protobuf.IField,
              },
            },
            RetryInfo: { fields: { retryDelay: { type: 'google.protobuf.Duration', id: 1 } } },
          },
        },
      },
    },
  },
});
const StatusType = root.lookupType('google.rpc.Status');
const ErrorInfoType = root.lookupType(ERROR_INFO);
const RetryInfoType = root.lookupType(RETRY_INFO);

export interface StatusDetails {
  readonly code: number;
  readonly message: string;
  readonly reason: string;
  readonly domain: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly retryAfterMs?: number;
}

interface AnyMessage {
  typeUrl: string;
  value: Uint8Array;
}

export function encodeStatusDetails(details: StatusDetails): Buffer {
  const any: AnyMessage[] = [
    {
      typeUrl: TYPE_URL_PREFIX + ERROR_INFO,
      value: ErrorInfoType.encode(
        ErrorInfoType.create({ reason: details.reason, domain: details.domain, metadata: details.metadata }),
      ).finish(),
    },
  ];
  if (details.retryAfterMs !== undefined) {
    const ms = Math.max(0, Math.ceil(details.retryAfterMs));
    const retryDelay = { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
    any.push({
      typeUrl: TYPE_URL_PREFIX + RETRY_INFO,
      value: RetryInfoType.encode(RetryInfoType.create({ retryDelay })).finish(),
    });
  }
  const message = StatusType.create({ code: details.code, message: details.message, details: any });
  return Buffer.from(StatusType.encode(message).finish());
}

/** The ErrorInfo and RetryInfo of a serialized Status; undefined when the bytes are not one or hold no ErrorInfo. */
export function decodeStatusDetails(bytes: Uint8Array): StatusDetails | undefined {
  let decoded: { code: number; message: string; details: AnyMessage[] };
  try {
    decoded = StatusType.toObject(StatusType.decode(bytes), {
      defaults: true,
      arrays: true,
    }) as typeof decoded;
  } catch {
    return undefined;
  }
  let errorInfo: { reason: string; domain: string; metadata: Record<string, string> } | undefined;
  let retryAfterMs: number | undefined;
  for (const detail of decoded.details) {
    try {
      if (detail.typeUrl === TYPE_URL_PREFIX + ERROR_INFO) {
        errorInfo = ErrorInfoType.toObject(ErrorInfoType.decode(detail.value), {
          defaults: true,
          objects: true,
        }) as typeof errorInfo;
      } else if (detail.typeUrl === TYPE_URL_PREFIX + RETRY_INFO) {
        const info = RetryInfoType.toObject(RetryInfoType.decode(detail.value), { longs: Number }) as {
          retryDelay?: { seconds?: number; nanos?: number };
        };
        if (info.retryDelay)
          retryAfterMs =
            (info.retryDelay.seconds ?? 0) * 1000 + Math.ceil((info.retryDelay.nanos ?? 0) / 1e6);
      }
    } catch {
      // A detail we cannot read says nothing we could act on.
    }
  }
  if (!errorInfo) return undefined;
  return {
    code: decoded.code,
    message: decoded.message,
    reason: errorInfo.reason,
    domain: errorInfo.domain,
    metadata: errorInfo.metadata,
    retryAfterMs,
  };
}
