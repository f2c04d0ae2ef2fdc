// Fault-injection run (`npm run chaos`): starts a private PostgreSQL, Redis and Kafka (libs/testing's
// PrivateServer, own ports and data) and every platform process from dist/ on them (the BFF's stack
// fixture: the inference workers on tiny generated GGUFs, the gateway, safety, context service, tool
// runner, orchestrator and the BFF, each its own process), and for each fault in turn keeps
// CHAOS_CLIENTS streamed chat turns running through the official `openai` SDK and breaks one component
// mid-answer: every platform process and server SIGKILLed and started again on its port, as Kubernetes
// would, then some SIGSTOPped for a while and resumed (a hang). Prints one markdown row per fault (see
// README.md); exits 1 when an invariant broke: an in-flight client that saw no error code, an answer
// left `streaming`, a charge lost or doubled, no recovery, or a platform process restarted.
import { consumeUsageEvents, PrivateServer, type ServiceProcess } from '@hearth/testing';

import {
  brokenInvariants,
  FAULT_TABLE_HEADER,
  faultRow,
  processHang,
  processKill,
  runFaultRound,
  serverHang,
  serverKill,
  type Fault,
} from '../../apps/experience/bff/test/support/chaos.probe';
import { LONG_MODEL_ID, startStack, type Stack } from '../../apps/experience/bff/test/support/stack.fixture';

const CLIENTS = Number(process.env.CHAOS_CLIENTS ?? 3);
const DRAFT_LEASE_MS = Number(process.env.CHAOS_DRAFT_LEASE_MS ?? 6_000);
/** How long a killed server stays down and a hung component hangs. */
const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_MS ?? 5_000);
/** Only faults whose labels start with one of these (comma-separated), e.g. `orchestrator,redis`. */
const ONLY = process.env.CHAOS_ONLY?.split(',').filter(Boolean);

interface Servers {
  postgres: PrivateServer;
  redis: PrivateServer;
  kafka: PrivateServer;
}

function faults(stack: Stack, servers: Servers): Fault[] {
  const label = (service: ServiceProcess) =>
    service === stack.worker
      ? 'inference-worker (tiny)'
      : service === stack.longWorker
        ? 'inference-worker (streaming)'
        : service.app;
  const byApp = (app: string) => stack.services.find((service) => service.app === app);
  const hung = ['orchestrator', 'model-gateway', 'safety-service']
    .map(byApp)
    .filter((service): service is ServiceProcess => service !== undefined);
  return [
    ...stack.services.map((service) => processKill(service, label(service))),
    serverKill(servers.postgres, OUTAGE_MS),
    serverKill(servers.redis, OUTAGE_MS),
    serverKill(servers.kafka, OUTAGE_MS),
    ...hung.map((service) => processHang(service, label(service), OUTAGE_MS)),
    processHang(stack.longWorker as ServiceProcess, 'inference-worker (streaming)', OUTAGE_MS),
    serverHang(servers.postgres, OUTAGE_MS),
    serverHang(servers.redis, OUTAGE_MS),
    serverHang(servers.kafka, OUTAGE_MS),
  ];
}

async function main(): Promise<void> {
  const servers: Servers = {
    postgres: new PrivateServer('postgres'),
    redis: new PrivateServer('redis'),
    kafka: new PrivateServer('kafka'),
  };
  await Promise.all(Object.values(servers).map((server) => server.start()));
  // Everything below (the stack's database, its processes, the usage consumer) uses the private servers.
  process.env.DATABASE_URL = servers.postgres.url;
  process.env.REDIS_URL = servers.redis.url;
  process.env.KAFKA_BROKERS = servers.kafka.url;
  const rows: string[] = [];
  const problems: string[] = [];
  try {
    const stack = await startStack({
      orchestration: true,
      longModel: true,
      longWorkerSlots: CLIENTS,
      bffProcess: true,
      orchestratorEnv: { DRAFT_LEASE_MS: String(DRAFT_LEASE_MS), DRAFT_SWEEP_INTERVAL_MS: '1000' },
    });
    const usage = await consumeUsageEvents();
    try {
      const key = await stack.tenant('chaos', { rpm: 1_000_000, tpm: 2_000_000_000 });
      for (const fault of faults(stack, servers)) {
        if (ONLY && !ONLY.some((only) => fault.label.startsWith(only))) continue;
        process.stderr.write(`${fault.kind === 'hung' ? 'hanging' : 'killing'} ${fault.label}…\n`);
        const round = await runFaultRound({
          stack,
          key,
          usage,
          fault,
          model: LONG_MODEL_ID,
          clients: CLIENTS,
          maxTokens: 1_900,
          killAfterTextMs: DRAFT_LEASE_MS / 2,
          settleMs: DRAFT_LEASE_MS * 3 + 30_000,
        });
        rows.push(faultRow(round));
        problems.push(...brokenInvariants(round).map((problem) => `${fault.label}: ${problem}`));
      }
    } finally {
      await usage.close();
      await stack.close();
    }
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.destroy()));
  }
  process.stdout.write(
    `${FAULT_TABLE_HEADER}\n${rows.join('\n')}\n\n${CLIENTS} clients, draft lease ${DRAFT_LEASE_MS} ms, servers down or hung ${OUTAGE_MS} ms\n`,
  );
  if (problems.length > 0) {
    process.stdout.write(`\nInvariants broken:\n${problems.map((problem) => `- ${problem}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
