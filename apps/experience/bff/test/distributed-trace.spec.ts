// One streamed, grounded chat completion with a server tool, through the whole platform as real
// processes exporting their spans to an in-process OTLP receiver: the turn is ONE trace that continues
// the client's traceparent and covers every hop (BFF, orchestrator, context, safety, tool runner,
// gateway, worker, PostgreSQL, Redis, Kafka produce and the ledger consuming the usage events), every
// span's parent is in it, the stored turn trace names its id, and every log line of the turn carries it.
import { randomBytes } from 'node:crypto';

import {
  OtlpReceiver,
  startLedgerFromTopicEnds,
  waitFor,
  type ReceivedSpan,
  type ServiceProcess,
} from '@hearth/testing';

import OpenAI, { toFile } from 'openai';

import type { CreatedKey } from '../src/admin/admin.service';
import { MODEL_ID, startStack, type Stack } from './support/stack.fixture';

const REPLY = '6*7"} [1]';
const GUIDE = '# Lantern care guide\n\nBrass lanterns must be polished with lemon oil every spring.';
const SERVICES = [
  'bff',
  'orchestrator',
  'context-service',
  'safety-service',
  'tool-runner',
  'model-gateway',
  'inference-worker',
];
const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;

type Json = Record<string, unknown>;

/** An attribute under its stable semantic-convention name or the older one. */
const attribute = (span: ReceivedSpan, stable: string, old: string) =>
  span.attributes[stable] ?? span.attributes[old];

/** What each hop of the turn must have left in its trace. */
function coverage(spans: readonly ReceivedSpan[]): Record<string, boolean> {
  const has = (test: (span: ReceivedSpan) => boolean) => spans.some(test);
  return {
    ...Object.fromEntries(SERVICES.map((service) => [service, has((span) => span.service === service)])),
    postgresql: has((span) => attribute(span, 'db.system.name', 'db.system') === 'postgresql'),
    prisma: has((span) => span.name === 'prisma:client:operation'),
    redis: has((span) => attribute(span, 'db.system.name', 'db.system') === 'redis'),
    kafka: has((span) => span.attributes['messaging.system'] === 'kafka' && span.kind === PRODUCER),
    'kafka consumer (ledger)': has((span) => span.service === 'ledger' && span.kind === CONSUMER),
    tool: has((span) => span.service === 'tool-runner' && span.kind === SERVER),
    generation: has((span) => span.name === `chat ${MODEL_ID}`),
  };
}

/** Spans whose parent is not in the trace. */
function orphans(spans: readonly ReceivedSpan[]): ReceivedSpan[] {
  const ids = new Set(spans.map((span) => span.spanId));
  return spans.filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId));
}

describe('One trace per turn across every hop', () => {
  let receiver: OtlpReceiver;
  let stack: Stack;
  let ledger: ServiceProcess | undefined;
  let key: CreatedKey;
  let sut: OpenAI;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    stack = await startStack({
      orchestration: true,
      bffProcess: true,
      retrieval: true,
      reply: REPLY,
      contextSize: 2048,
      toolPolicy: { version: 1, tenants: { default: { allow: ['calculator'] } } },
      logLevel: 'debug',
      processEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    ledger = (
      await startLedgerFromTopicEnds({
        databaseUrl: stack.db.url,
        name: 'trace-spec',
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      })
    ).process;
    key = await stack.tenant('traced');
    sut = new OpenAI({ apiKey: key.secret, baseURL: stack.baseURL, maxRetries: 0 });
  });

  afterAll(async () => {
    await ledger?.stop();
    await stack?.close();
    await receiver?.close();
  });

  const headers = () => ({ authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' });

  it('continues the client’s traceparent through every service and stores the trace id', async () => {
    const file = await sut.files.create({
      file: await toFile(Buffer.from(GUIDE), 'lanterns.md', { type: 'text/markdown' }),
      purpose: 'assistants',
    });
    await waitFor(
      'the file to be processed',
      async () => (await sut.files.retrieve(file.id)).status === 'processed',
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const conversation = (await (
      await fetch(`${stack.baseURL}/conversations`, { method: 'POST', headers: headers(), body: '{}' })
    ).json()) as { id: string };
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');

    const res = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { ...headers(), traceparent: `00-${traceId}-${clientSpanId}-01` },
      body: JSON.stringify({
        model: MODEL_ID,
        messages: [
          { role: 'user', content: 'How are brass lanterns polished? And what is six times seven?' },
        ],
        temperature: 0,
        max_completion_tokens: 24,
        stream: true,
        conversation_id: conversation.id,
        file_ids: [file.id],
        server_tools: ['calculator'],
        tool_choice: { type: 'function', function: { name: 'calculator' } },
        max_tool_rounds: 1,
      }),
    });
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body).toContain('data: [DONE]');
    expect(body).toContain('"stage":"succeeded"');
    expect(body).toContain('"status":"grounded"');
    const requestId = res.headers.get('x-request-id');
    expect(res.headers.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    // Spans leave each process in batches: wait until every hop's arrived and no parent is missing.
    await waitFor(
      'every hop of the turn in one trace',
      () => {
        const spans = receiver.trace(traceId);
        return Object.values(coverage(spans)).every(Boolean) && orphans(spans).length === 1;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    ).catch(() => undefined);
    const spans = receiver.trace(traceId);

    expect(coverage(spans)).toEqual(Object.fromEntries(Object.keys(coverage([])).map((hop) => [hop, true])));
    // The one span without a parent in the trace is the BFF's HTTP server span, child of the client's.
    expect(orphans(spans).map((span) => [span.service, span.kind, span.parentSpanId])).toEqual([
      ['bff', SERVER, clientSpanId],
    ]);
    const root = orphans(spans)[0]!;
    expect(root.name).toBe('POST /v1/chat/completions');
    expect(root.attributes['http.route']).toBe('/v1/chat/completions');
    expect(attribute(root, 'http.request.method', 'http.method')).toBe('POST');
    expect(attribute(root, 'http.response.status_code', 'http.status_code')).toBe(200);
    expect(root.attributes['hearth.request_id']).toBe(requestId);
    // Each gRPC server span is the child of a client span of another process.
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    for (const span of spans.filter((s) => s.kind === SERVER && s.attributes['rpc.system'] === 'grpc')) {
      const parent = byId.get(span.parentSpanId!)!;
      expect([parent.kind, parent.name, parent.service === span.service]).toEqual([3, span.name, false]);
    }
    // The turn's steps in the orchestrator, each the parent of the calls it makes.
    const step = (name: string) =>
      spans.filter((span) => span.service === 'orchestrator' && span.name === name);
    const parentName = (rpc: string) =>
      spans
        .filter((span) => span.kind === 3 && span.name === rpc && span.service === 'orchestrator')
        .map((span) => byId.get(span.parentSpanId!)?.name);
    expect(step('turn.model_round').map((span) => span.attributes['hearth.round'])).toEqual([1, 2]);
    expect(step('turn.tool_round')).toHaveLength(1);
    expect(parentName('hearth.context.v1.ContextService/AssembleContext')).toEqual(['turn.assemble_context']);
    expect(parentName('hearth.safety.v1.SafetyService/CheckInput')).toEqual([
      'turn.input_check',
      'turn.input_check',
    ]);
    expect(parentName('hearth.gateway.v1.ModelGatewayService/Generate')).toEqual([
      'turn.model_round',
      'turn.model_round',
    ]);
    expect(parentName('hearth.tools.v1.ToolRunnerService/ExecuteTool')).toEqual(['turn.tool_round']);
    const generation = spans.find((span) => span.name === `chat ${MODEL_ID}`)!;
    expect(generation.attributes).toMatchObject({
      'gen_ai.request.model': MODEL_ID,
      'gen_ai.usage.input_tokens': expect.any(Number),
      'gen_ai.usage.cached_input_tokens': expect.any(Number),
      'gen_ai.usage.output_tokens': expect.any(Number),
    });
    const phases = spans.filter((span) => span.parentSpanId === generation.spanId).map((span) => span.name);
    expect(phases).toEqual(expect.arrayContaining(['gen_ai.queue_wait', 'gen_ai.prefill', 'gen_ai.decode']));
    expect(receiver.problems()).toEqual([]);

    // The stored turn trace names the distributed trace.
    const messages = (await (
      await fetch(`${stack.baseURL}/conversations/${conversation.id}/messages`, { headers: headers() })
    ).json()) as { data: Json[] };
    const answer = messages.data.find((message) => message['role'] === 'assistant')!;
    const stored = (await (
      await fetch(`${stack.baseURL}/conversations/${conversation.id}/messages/${answer['id']}/trace`, {
        headers: headers(),
      })
    ).json()) as Json;
    expect(stored).toMatchObject({ object: 'turn.trace', request_id: requestId, trace_id: traceId });

    // Every log line of the turn (those naming its request id: each service's `rpc handled` lines, the
    // worker's admission) carries its trace id.
    const lines = stack.services
      .flatMap((service) => service.fullLog.split('\n'))
      .filter((line) => line.startsWith('{') && requestId !== null && line.includes(requestId))
      .map((line) => JSON.parse(line) as Json);
    expect(new Set(lines.map((line) => line['service']))).toEqual(new Set(SERVICES.slice(1)));
    expect(lines.filter((line) => line['trace_id'] !== traceId)).toEqual([]);
  });

  it('starts a fresh trace for a garbled traceparent and still names it in the answer', async () => {
    const res = await fetch(`${stack.baseURL}/models`, {
      headers: { ...headers(), traceparent: '00-not-a-trace-01' },
    });

    expect(res.status).toBe(200);
    expect(res.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const traceId = res.headers.get('traceparent')!.split('-')[1]!;
    const root = await waitFor('the request’s server span', () =>
      receiver.trace(traceId).find((span) => span.service === 'bff' && span.kind === SERVER),
    );
    expect(root.parentSpanId).toBeUndefined();
  });
});
