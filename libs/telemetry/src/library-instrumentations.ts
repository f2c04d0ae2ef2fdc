// Owns the OpenTelemetry instrumentations of the libraries every hop goes through: HTTP (the BFF's
// server spans with the HTTP semantic conventions, the client's traceparent honoured), PostgreSQL (the
// pg driver under Prisma's driver adapter, plus Prisma's own operation spans) and Redis (ioredis).
// Kafka has its spans from @hearth/events' producer and @hearth/transactional-events' consumer, which
// carry the context in message headers themselves (kafkajs' instrumentation would overwrite the
// context an outbox row stored with the relay's own). They patch
// modules as they are required, so each app registers them in its first import, before anything loads
// those modules. Without a registered tracer provider (OTEL_SDK_DISABLED) they create no-op spans only.
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PrismaInstrumentation } from '@prisma/instrumentation';

/** Paths of scrapes and probes: no span for them (they would drown the turns). */
const UNTRACED_PATHS = /^\/(metrics|healthz|readyz|livez)(\/|\?|$)/;

let registered: (() => void) | undefined;

function flagSet(value: string | undefined): boolean {
  return value !== undefined && ['true', '1', 'yes'].includes(value);
}

/** The route template an Express request matched (`req.baseUrl` + `req.route.path`), if any. */
function routeTemplateOf(request: object): string | undefined {
  const { route, baseUrl } = request as { route?: { path?: unknown }; baseUrl?: string };
  return typeof route?.path === 'string' ? `${baseUrl ?? ''}${route.path}` : undefined;
}

/**
 * Registers the instrumentations once per process; returns the function that removes them. With
 * tracing off (OTEL_SDK_DISABLED, read here because this runs before the config is loaded) nothing is
 * patched at all. Without OTEL_EXPORTER_OTLP_ENDPOINT no span is recorded (telemetry-sdk.setup.ts),
 * so only HTTP is patched: the BFF's server span gives a request its trace id (logs, `traceparent`
 * answers, stored turns); the database and Redis patches would only add spans nobody can read.
 */
export function instrumentLibraries(env: NodeJS.ProcessEnv = process.env): () => void {
  if (flagSet(env['OTEL_SDK_DISABLED'])) return () => undefined;
  const exported = Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  registered ??= registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
        // A server span is named by the route template Express matched (`POST /v1/chat/completions`,
        // `GET /v1/files/:id`), never by the raw URL.
        applyCustomAttributesOnSpan: (span, request) => {
          const route = routeTemplateOf(request);
          if (route === undefined || !('method' in request)) return;
          span.setAttribute('http.route', route);
          span.updateName(`${request.method ?? 'GET'} ${route}`);
        },
        // Outgoing calls (object store, web fetches of tools) are traced only inside a trace.
        requireParentforOutgoingSpans: true,
      }),
      ...(exported
        ? [
            // A query's span, not the pool's checkout (Prisma's db_query span already covers the wait).
            new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
            // Prisma's operation, transaction and db_query spans; query compilation, serialisation
            // and the client's own connect/disconnect (roots of their own) add little to a turn.
            new PrismaInstrumentation({
              ignoreSpanTypes: [
                'prisma:client:compile',
                'prisma:client:serialize',
                'prisma:client:connect',
                'prisma:client:disconnect',
              ],
            }),
            new IORedisInstrumentation({ requireParentSpan: true }),
          ]
        : []),
    ],
  });
  return registered;
}
