// Owns an in-process OTLP/HTTP trace receiver for specs and benches: a real HTTP listener that the
// services' exporters post to (`OTEL_EXPORTER_OTLP_ENDPOINT` = its url), decoding the OTLP JSON
// encoding (what @opentelemetry/exporter-trace-otlp-http sends; gzip too) into flat spans with their
// resource's service.name, so a spec can check one trace across every process.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Undefined for a trace's root. */
  readonly parentSpanId?: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  /** The resource's service.name. */
  readonly service: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
}

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: OtlpKeyValue[];
  status?: { code?: number };
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

function valueOf(value: OtlpAnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.boolValue ?? value.doubleValue;
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]));
}

/** OTLP JSON carries ids as hex; base64 (the protobuf JSON mapping) is read too. */
function idOf(id: string | undefined): string | undefined {
  if (!id) return undefined;
  return /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex') || undefined;
}

export class OtlpReceiver {
  private readonly received: ReceivedSpan[] = [];
  private readonly rejected: string[] = [];

  private readonly server: Server = createServer((req, res) => {
    void readBody(req).then(
      (body) => {
        const problem = this.accept(req, body);
        res.writeHead(problem ? 400 : 200, { 'content-type': 'application/json' });
        res.end(problem ? JSON.stringify({ message: problem }) : '{}');
      },
      () => res.writeHead(400).end(),
    );
  });
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter posts to `<url>/v1/traces`). */
  url = '';

  private constructor() {}

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** Every span received so far. */
  spans(): readonly ReceivedSpan[] {
    return this.received;
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.received.filter((span) => span.traceId === traceId);
  }

  /** Posts that were not OTLP JSON trace exports (a spec should expect none). */
  problems(): readonly string[] {
    return this.rejected;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(req: IncomingMessage, body: Buffer): string | undefined {
    const problem = this.decode(req, body);
    if (problem) this.rejected.push(problem);
    return problem;
  }

  private decode(req: IncomingMessage, body: Buffer): string | undefined {
    if (req.method !== 'POST' || req.url !== '/v1/traces') return `${req.method} ${req.url}: not an export`;
    if (!String(req.headers['content-type']).startsWith('application/json'))
      return `content-type ${req.headers['content-type']}: only OTLP JSON is read`;
    let payload: OtlpExport;
    try {
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8');
      payload = JSON.parse(text) as OtlpExport;
    } catch (error) {
      return `undecodable export: ${String(error)}`;
    }
    for (const resourceSpans of payload.resourceSpans ?? []) {
      const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
      for (const scope of resourceSpans.scopeSpans ?? [])
        for (const span of scope.spans ?? []) {
          const parentSpanId = idOf(span.parentSpanId);
          this.received.push({
            traceId: idOf(span.traceId) ?? '',
            spanId: idOf(span.spanId) ?? '',
            ...(parentSpanId && { parentSpanId }),
            name: span.name,
            kind: span.kind ?? 0,
            service,
            attributes: attributesOf(span.attributes),
            statusCode: span.status?.code ?? 0,
            startTimeUnixNano: span.startTimeUnixNano,
            endTimeUnixNano: span.endTimeUnixNano,
          });
        }
    }
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
