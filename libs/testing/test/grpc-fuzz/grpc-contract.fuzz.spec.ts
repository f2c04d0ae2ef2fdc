// Every rpc of every service in proto/, read from the .proto files, gets seeded malformed and boundary
// requests (see support/message.generator.ts) over the wire against the real services of a platform
// stack; each answer must be OK or a client-error status (never INTERNAL, UNKNOWN or a deadline), and
// every process must still run and report SERVING afterwards. A new rpc is fuzzed without touching
// this file; a new service fails it until it is given a process below.
import { createHash, randomUUID } from 'node:crypto';

import type { ProtoPackage } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import { retrievalEnv, startPlatformStack, type PlatformStack, type ServiceProcess } from '../../src';
import { MessageGenerator, type CaseKind, type KnownIds } from './support/message.generator';
import { RawGrpcCaller, type RawAnswer } from './support/raw-grpc.caller';
import { RpcCatalog, type CatalogRpc } from './support/rpc-catalog';

const MODEL_ID = 'tiny';
/** Fixed, so a failure replays; GRPC_FUZZ_SEED explores other cases. */
const SEED = Number(process.env['GRPC_FUZZ_SEED'] ?? 20_261_207);
const CASES_PER_RPC = Number(process.env['GRPC_FUZZ_CASES'] ?? 40);
/** Only rpcs whose path contains this (replaying one failure); all by default. */
const ONLY = process.env['GRPC_FUZZ_RPCS'] ?? '';
const CALL_DEADLINE_MS = 20_000;
const CONCURRENCY = 4;

/** What a bad request may be answered with: its fault, never the server's. */
const CLIENT_ERRORS = new Set<status>([
  status.OK,
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.FAILED_PRECONDITION,
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.OUT_OF_RANGE,
  status.ALREADY_EXISTS,
  status.RESOURCE_EXHAUSTED,
]);

/**
 * A DEADLINE_EXCEEDED the server sends with its reason answers a request whose own `deadline` field
 * has passed; one without (the client's timer) means the rpc hung.
 */
const acceptable = (answer: RawAnswer) =>
  CLIENT_ERRORS.has(answer.code) || (answer.code === status.DEADLINE_EXCEEDED && answer.reasoned);

interface Violation {
  rpc: string;
  kind: CaseKind | 'undeclared';
  code: string;
  details: string;
  /** The first bytes of the request, to replay it by hand. */
  head: string;
}

const seedOf = (path: string) => SEED ^ createHash('sha256').update(path).digest().readUInt32LE(0);

async function inPool<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await run(items[next++] as T);
    }),
  );
}

describe('gRPC contract fuzz', () => {
  const catalog = new RpcCatalog();
  const caller = new RawGrpcCaller();
  let stack: PlatformStack;
  let known: KnownIds;

  /** The process serving each package's service; a package missing here fails the spec. */
  const servers = (): Partial<Record<ProtoPackage, ServiceProcess | undefined>> => ({
    'hearth.inference.v1': stack.models[0]?.worker,
    'hearth.gateway.v1': stack.gateway,
    'hearth.safety.v1': stack.processes['safety-service'],
    'hearth.context.v1': stack.processes['context-service'],
    'hearth.tools.v1': stack.processes['tool-runner'],
    'hearth.orchestrator.v1': stack.processes.orchestrator,
  });

  /** The log line of an INTERNAL's error id, so a failure shows the exception behind it. */
  const loggedError = (details: string): string => {
    const errorId = /error id ([0-9a-f-]{36})/.exec(details)?.[1];
    if (!errorId) return '';
    const line = stack.services
      .flatMap((service) => service.fullLog.split('\n'))
      .find((candidate) => candidate.includes(errorId));
    if (!line) return '';
    const { err } = JSON.parse(line) as { err?: { type?: string; code?: string; message?: string } };
    // Prisma's messages start with a page of its own source: their end says what went wrong.
    return `; logged: ${err?.type} ${err?.code ?? ''} ${err?.message?.slice(-600)}`;
  };

  beforeAll(async () => {
    stack = await startPlatformStack({
      name: 'grpc-fuzz',
      models: [
        {
          id: MODEL_ID,
          source: { tiny: { reply: 'Hello there friend', pooling: 'mean' } },
          worker: { contextSize: 512, slots: 4 },
          registry: {
            aliases: ['fast', 'default'],
            tier: 'cpu-tiny',
            price: { inputUsdPerMillionTokens: 0.5, outputUsdPerMillionTokens: 1.5 },
            capabilities: ['chat', 'embeddings', 'tools', 'json_schema'],
          },
        },
      ],
      routing: {
        statsIntervalMs: 200,
        statsIdleIntervalMs: 200,
        statsTimeoutMs: 1_000,
        firstTokenTimeoutMs: 10_000,
      },
      services: ['safety-service', 'context-service', 'tool-runner', 'orchestrator'],
      tokenizerModels: [MODEL_ID],
      env: { 'context-service': { SUMMARY_MODEL: MODEL_ID, ...retrievalEnv(MODEL_ID) } },
    });
    const { prisma } = stack.db;
    const tenant = await prisma.tenant.create({ data: { name: 'fuzz', slug: `fuzz-${randomUUID()}` } });
    const user = await prisma.user.create({ data: { tenantId: tenant.id, externalId: 'fuzz-user' } });
    const key = await prisma.apiKey.create({
      data: {
        tenantId: tenant.id,
        userId: user.id,
        name: 'fuzz',
        keyHash: randomUUID(),
        prefix: 'sk-fuzz',
      },
    });
    const conversation = await prisma.conversation.create({ data: { tenantId: tenant.id, userId: user.id } });
    known = { tenantId: tenant.id, userId: user.id, apiKeyId: key.id, conversationId: conversation.id };
  }, 180_000);

  afterAll(async () => {
    caller.close();
    await stack?.close();
  });

  it('finds every service of proto/ served by the stack and generates cases for every rpc', () => {
    const generator = new MessageGenerator({ catalog, known, modelId: MODEL_ID });
    const unserved = [...new Set(catalog.rpcs.map((rpc) => rpc.pkg))].filter((pkg) => !servers()[pkg]);
    expect(unserved).toEqual([]);
    // Every rpc gets its random cases and both fixed ones; a request with fields gets some set.
    const lacking = catalog.rpcs.filter((rpc) => {
      const cases = generator.cases(rpc.requestType, rpc.requestStream, 20, seedOf(rpc.path));
      const hasFields = catalog.message(rpc.requestType).field.length > 0;
      const someSet = cases.some((c) => c.kind !== 'garbage' && c.messages[0]!.length > 0);
      return cases.length !== 22 || (hasFields && !someSet);
    });
    expect(lacking.map((rpc) => rpc.path)).toEqual([]);
    expect(catalog.rpcs.length).toBeGreaterThanOrEqual(30);
  });

  it('answers malformed and boundary requests to every rpc with client errors, and every service survives', async () => {
    const generator = new MessageGenerator({ catalog, known, modelId: MODEL_ID });
    const violations: Violation[] = [];
    const statistics = new Map<string, { cases: number; codes: Map<string, number> }>();
    const answered = new Map<string, number>();
    const record = (
      service: string,
      rpc: string,
      kind: Violation['kind'],
      code: status,
      details: string,
      head: Buffer,
      allowed: boolean,
    ) => {
      answered.set(rpc, (answered.get(rpc) ?? 0) + 1);
      const entry = statistics.get(service) ?? { cases: 0, codes: new Map<string, number>() };
      entry.cases++;
      entry.codes.set(status[code], (entry.codes.get(status[code]) ?? 0) + 1);
      statistics.set(service, entry);
      if (!allowed)
        violations.push({
          rpc,
          kind,
          code: status[code],
          details,
          head: head.subarray(0, 48).toString('hex'),
        });
    };

    const slowest: { ms: number; what: string }[] = [];
    const work: { rpc: CatalogRpc; address: string; kind: CaseKind; messages: Buffer[] }[] = [];
    for (const rpc of catalog.rpcs.filter((candidate) => candidate.path.includes(ONLY))) {
      const address = (servers()[rpc.pkg] as ServiceProcess).address;
      for (const fuzzCase of generator.cases(
        rpc.requestType,
        rpc.requestStream,
        CASES_PER_RPC,
        seedOf(rpc.path),
      )) {
        work.push({ rpc, address, ...fuzzCase });
      }
    }
    await inPool(work, CONCURRENCY, async ({ rpc, address, kind, messages }) => {
      const began = Date.now();
      const answer = await caller.call(address, rpc, messages, CALL_DEADLINE_MS);
      slowest.push({ ms: Date.now() - began, what: `${rpc.path} ${kind} ${status[answer.code]}` });
      record(
        rpc.service,
        rpc.path,
        kind,
        answer.code,
        answer.details,
        messages[0] as Buffer,
        acceptable(answer),
      );
    });

    // An rpc no contract declares is UNIMPLEMENTED, not a crash.
    for (const service of new Set(catalog.rpcs.map((rpc) => rpc.service))) {
      const rpc = catalog.rpcs.find((candidate) => candidate.service === service) as CatalogRpc;
      const undeclared: CatalogRpc = {
        ...rpc,
        method: 'NoSuchRpc',
        path: `/${service}/NoSuchRpc`,
        requestStream: false,
        responseStream: false,
      };
      const answer = await caller.call(
        (servers()[rpc.pkg] as ServiceProcess).address,
        undeclared,
        [Buffer.alloc(0)],
        CALL_DEADLINE_MS,
      );
      record(
        service,
        undeclared.path,
        'undeclared',
        answer.code,
        answer.details,
        Buffer.alloc(0),
        answer.code === status.UNIMPLEMENTED,
      );
    }

    for (const [service, { cases, codes }] of statistics) {
      const counts = [...codes].sort(([a], [b]) => a.localeCompare(b)).map(([code, n]) => `${code}=${n}`);
      console.log(`grpc fuzz ${service} (seed ${SEED}): ${cases} cases, ${counts.join(' ')}`);
    }
    const slow = slowest.sort((a, b) => b.ms - a.ms).slice(0, 5);
    console.log(`grpc fuzz slowest calls: ${slow.map(({ ms, what }) => `${what} ${ms} ms`).join('; ')}`);
    // One line per distinct failure (rpc, case kind, status, details), with how often and a request head.
    const distinct = new Map<string, string>();
    for (const { rpc, kind, code, details, head } of violations) {
      const key = `${rpc} ${kind} ${code}: ${details.slice(0, 160)}`;
      distinct.set(key, distinct.get(key) ?? `${head}${loggedError(details)}`);
    }
    const health = await Promise.all(
      stack.services.map(async (service) => ({
        app: service.app,
        running: service.running,
        serving: service.running && (await caller.serving(service.address)),
        log: service.log.slice(-2_000),
      })),
    );
    expect(health.filter((service) => !service.running || !service.serving)).toEqual([]);
    const unanswered = catalog.rpcs
      .filter((rpc) => rpc.path.includes(ONLY))
      .filter((rpc) => (answered.get(rpc.path) ?? 0) < CASES_PER_RPC + 2);
    expect(unanswered.map((rpc) => rpc.path)).toEqual([]);
    expect([...distinct].map(([key, head]) => `${key} (e.g. ${head})`)).toEqual([]);
  }, 600_000);
});
