// Owns how every service logs: JSON lines stamped with the service name and the active span's
// trace_id/span_id (so a log line leads to its trace), with secrets and message bodies censored
// before they are serialised: prompts and completions never reach the logs.
import { context, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACTED = '[Redacted]';

/** Credentials, whatever the casing conventions of the object they sit in. */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'apiKey',
  'api_key',
  'password',
  'passwd',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'privateKey',
  'private_key',
  'databaseUrl',
  'DATABASE_URL',
];

/** User and model text: only sizes, ids and decisions may be logged, never the words. */
const BODY_KEYS = ['content', 'prompt', 'completion', 'input', 'text', 'delta', 'arguments', 'query'];

/** Arrays whose items carry a body (`messages[*].content`) keep their other fields (role, name). */
const BODY_ARRAYS = ['messages', 'choices', 'chunks'];

/** How deep under the root a censored key is found (req.headers.authorization is depth 2). */
const MAX_DEPTH = 3;

function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
}

function atDepths(suffix: string): string[] {
  const paths: string[] = [];
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const prefix = Array.from({ length: depth }, () => '*').join('.');
    const path = prefix ? `${prefix}${suffix}` : suffix.replace(/^\./, '');
    paths.push(path);
  }
  return paths;
}

export const REDACT_PATHS: string[] = [
  ...[...SECRET_KEYS, ...BODY_KEYS].flatMap((key) => atDepths(keyPath(key))),
  ...BODY_ARRAYS.flatMap((array) => atDepths(`${keyPath(array)}[*].content`)),
  ...atDepths('.choices[*].message.content'),
  ...atDepths('.choices[*].delta.content'),
];

export interface LoggerOptions {
  service: string;
  level?: Level | 'silent';
  /** Where lines go; stdout by default. Tests pass a stream they can read. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      serializers: { err: serializeError },
      mixin: traceFields,
    },
    options.destination,
  );
}

/**
 * pino's error serializer without a gRPC error's `metadata`: the Metadata object is circular (pino
 * then logs "unable to serialize") and may carry the caller's headers, which logs must not hold.
 */
export function serializeError(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const serialized = pino.stdSerializers.err(value) as unknown as Record<string, unknown>;
  delete serialized['metadata'];
  return serialized;
}

function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const spanContext = span.spanContext();
  if (!trace.isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${spanContext.traceFlags.toString(16)}`.slice(-2),
  };
}
