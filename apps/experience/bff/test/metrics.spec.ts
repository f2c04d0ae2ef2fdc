// Every service's /metrics after one chat turn through the whole platform, each a real process from
// dist/: the scrape parses as Prometheus text, the shared names carry their types, the turn's rpcs are
// counted by the server that handled them and by the client that made them, the BFF counts the route
// template (never the raw URL), and a failing rpc is counted with its gRPC status code.
import { randomUUID } from 'node:crypto';

import type { CreatedKey } from '../src/admin/admin.service';
import { scrapeMetrics, total, type Scrape } from './support/prometheus-text';
import { MODEL_ID, startStack, type Stack } from './support/stack.fixture';

const SERVICES = [
  'bff',
  'orchestrator',
  'context-service',
  'safety-service',
  'tool-runner',
  'model-gateway',
  'inference-worker',
];
const ORCHESTRATOR = 'hearth.orchestrator.v1.OrchestratorService';
/** The process serving each proto package (`hearth.<package>.v1.<Service>`). */
const SERVER_OF: Record<string, string> = {
  orchestrator: 'orchestrator',
  context: 'context-service',
  safety: 'safety-service',
  tools: 'tool-runner',
  gateway: 'model-gateway',
  inference: 'inference-worker',
};

describe('/metrics on every service', () => {
  let stack: Stack;
  let key: CreatedKey;
  const scrapes = new Map<string, Scrape>();

  beforeAll(async () => {
    stack = await startStack({ orchestration: true, bffProcess: true, metrics: true });
    key = await stack.tenant('metrics');
    const headers = { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' };
    const chat = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'Say hello' }] }),
    });
    expect(chat.status).toBe(200);
    // The bad case: a file nobody uploaded; the context service answers NOT_FOUND.
    const missing = await fetch(`${stack.baseURL}/files/file-${randomUUID()}`, { headers });
    expect(missing.status).toBe(404);
    for (const service of SERVICES) scrapes.set(service, await scrapeMetrics(stack.metricsPorts[service]!));
  });

  afterAll(async () => {
    await stack?.close();
  });

  const scrape = (service: string) => scrapes.get(service)!;

  it.each(SERVICES)('%s serves the prefixed Node process metrics', (service) => {
    expect(scrape(service).families.get('hearth_process_cpu_seconds_total')?.type).toBe('COUNTER');
    expect(scrape(service).families.get('hearth_process_resident_memory_bytes')?.type).toBe('GAUGE');
    expect(scrape(service).families.get('hearth_nodejs_eventloop_lag_seconds')?.type).toBe('GAUGE');
  });

  it.each(SERVICES.filter((s) => s !== 'bff'))('%s counts the rpcs it served, by code', (service) => {
    expect(scrape(service).families.get('hearth_grpc_server_requests_total')?.type).toBe('COUNTER');
    expect(scrape(service).families.get('hearth_grpc_server_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(total(scrape(service), 'hearth_grpc_server_requests_total', { code: 'OK' })).toBeGreaterThan(0);
  });

  it("counts the turn's rpcs on both sides: the BFF's RunTurn call and the orchestrator serving it", () => {
    const runTurn = { service: ORCHESTRATOR, method: 'RunTurn', code: 'OK' };
    expect(total(scrape('bff'), 'hearth_grpc_client_requests_total', runTurn)).toBe(1);
    expect(total(scrape('bff'), 'hearth_grpc_client_duration_seconds_count', runTurn)).toBe(1);
    expect(total(scrape('orchestrator'), 'hearth_grpc_server_requests_total', runTurn)).toBe(1);
    expect(total(scrape('orchestrator'), 'hearth_grpc_server_duration_seconds_count', runTurn)).toBe(1);
  });

  it('finds every rpc the orchestrator and the gateway made counted by the service that served it', () => {
    const calls = ['orchestrator', 'model-gateway'].flatMap(
      (caller) => scrape(caller).samples.get('hearth_grpc_client_requests_total') ?? [],
    );
    // Model calls, context assembly, the safety check, generation on the worker.
    const served = new Set(calls.map((call) => SERVER_OF[call.labels['service']!.split('.')[1]!]));
    expect([...served].sort()).toEqual(
      expect.arrayContaining(['context-service', 'inference-worker', 'model-gateway', 'safety-service']),
    );
    for (const call of calls) {
      const { service, method, code } = call.labels as Record<string, string>;
      const server = SERVER_OF[service.split('.')[1]!]!;
      const count = total(scrape(server), 'hearth_grpc_server_requests_total', { service, method, code });
      expect(count).toBeGreaterThanOrEqual(call.value);
    }
  });

  it("counts the turn's safety decisions by check and decision, and declares the findings counter", () => {
    const safety = scrape('safety-service');
    expect(safety.families.get('hearth_safety_decisions_total')?.type).toBe('COUNTER');
    expect(safety.families.get('hearth_safety_findings_total')?.type).toBe('COUNTER');
    expect(
      total(safety, 'hearth_safety_decisions_total', { check: 'input', decision: 'allowed' }),
    ).toBeGreaterThan(0);
    expect(
      total(safety, 'hearth_safety_decisions_total', { check: 'output_stream', decision: 'allowed' }),
    ).toBe(1);
    expect(total(safety, 'hearth_safety_decisions_total', { decision: 'blocked_input' })).toBe(0);
  });

  it("times the turn's phases in the orchestrator and its queue wait in the worker", () => {
    const orchestrator = scrape('orchestrator');
    expect(orchestrator.families.get('hearth_turn_phase_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(total(orchestrator, 'hearth_turn_phase_duration_seconds_count', { phase: 'total' })).toBe(1);
    expect(total(orchestrator, 'hearth_turn_phase_duration_seconds_count', { phase: 'context' })).toBe(1);
    const worker = scrape('inference-worker');
    expect(worker.families.get('hearth_inference_queue_wait_seconds')?.type).toBe('HISTOGRAM');
    expect(total(worker, 'hearth_inference_queue_wait_seconds_count')).toBeGreaterThanOrEqual(1);
  });

  it.each(['orchestrator', 'tool-runner', 'bff'])(
    "%s reports the outbox's backlog and its oldest row's age",
    (service) => {
      const families = scrape(service).families;
      expect(families.get('hearth_outbox_backlog_events')?.type).toBe('GAUGE');
      expect(families.get('hearth_outbox_oldest_age_seconds')?.type).toBe('GAUGE');
      expect(total(scrape(service), 'hearth_outbox_backlog_events')).toBeGreaterThanOrEqual(0);
      expect(scrape(service).samples.get('hearth_outbox_oldest_age_seconds')).toHaveLength(1);
    },
  );

  it('counts a failed rpc with its gRPC code on both sides', () => {
    const getFile = { method: 'GetFile', code: 'NOT_FOUND' };
    expect(total(scrape('bff'), 'hearth_grpc_client_requests_total', getFile)).toBe(1);
    expect(total(scrape('context-service'), 'hearth_grpc_server_requests_total', getFile)).toBe(1);
    expect(
      total(scrape('context-service'), 'hearth_grpc_server_requests_total', {
        method: 'GetFile',
        code: 'OK',
      }),
    ).toBe(0);
  });

  it('counts HTTP requests at the BFF by route template, never by raw URL', () => {
    const http = scrape('bff').families.get('hearth_http_server_requests_total')!;
    expect(http.type).toBe('COUNTER');
    expect(scrape('bff').families.get('hearth_http_server_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(
      total(scrape('bff'), 'hearth_http_server_requests_total', {
        route: '/v1/chat/completions',
        method: 'POST',
        status: '200',
      }),
    ).toBe(1);
    expect(
      total(scrape('bff'), 'hearth_http_server_requests_total', {
        route: '/v1/files/:id',
        method: 'GET',
        status: '404',
      }),
    ).toBe(1);
    const routes = http.metrics.map((m) => m.labels?.['route'] ?? '');
    expect(routes.filter((route) => /file-[0-9a-f]{8}-|ten_|[0-9a-f]{32}/.test(route))).toEqual([]);
  });
});
