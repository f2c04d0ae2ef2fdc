// Owns starting the services of a platform stack after its workers and gateway: safety, context
// service, tool runner, orchestrator and BFF, whichever the caller lists, in that order, each given
// the stack's database and the addresses of those started before it, then its own variables.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { stringify } from 'yaml';

import type { TestDatabase } from '../db';
import { freePort } from '../infra/free-port.util';
import { infraEnv } from '../infra/infra-env.loader';
import type { AppName, ServiceProcess } from '../services/service-process';

/** The services a stack may start after its workers and gateway, in the order they start. */
export const PLANE_SERVICES = [
  'safety-service',
  'context-service',
  'tool-runner',
  'orchestrator',
  'bff',
] as const;
export type PlaneService = (typeof PLANE_SERVICES)[number];

/** Each service's own variables (the workers' come with their models). */
export type PlaneEnv = Partial<Record<Exclude<AppName, 'inference-worker'>, Record<string, string>>>;

/** What the plane is started with: the stack's pieces so far and the caller's settings. */
export interface PlaneContext {
  services: PlaneService[];
  env: PlaneEnv;
  toolPolicy?: object;
  /** TOKENIZER_MODEL_PATHS of the context service. */
  tokenizerPaths: string[];
  dir: string;
  db: TestDatabase;
  gateway: ServiceProcess;
  blobDir: string;
  start(app: AppName, env: Record<string, string>, port?: number): Promise<ServiceProcess>;
  metricsPort(app: AppName): Promise<number | undefined>;
}

/** Starts the listed services after the gateway, each given the addresses of those started before it. */
export async function startPlane(context: PlaneContext) {
  const { db, gateway, blobDir, dir } = context;
  const wanted = new Set(context.services);
  const processes: Partial<Record<PlaneService, ServiceProcess>> = {};
  const address = (service: PlaneService, variable: string) =>
    processes[service] ? { [variable]: processes[service].address } : {};
  const metricsEnv = async (app: AppName): Promise<Record<string, string>> => {
    const port = await context.metricsPort(app);
    return port === undefined ? {} : { METRICS_PORT: String(port) };
  };
  const common = () => ({
    DATABASE_URL: db.url,
    MODEL_GATEWAY_ADDRESS: gateway.address,
    ...address('safety-service', 'SAFETY_SERVICE_ADDRESS'),
    ...address('context-service', 'CONTEXT_SERVICE_ADDRESS'),
    ...address('tool-runner', 'TOOL_RUNNER_ADDRESS'),
  });
  const envOf = async (
    app: Exclude<PlaneService, 'bff'>,
    own: Record<string, string> = {},
  ): Promise<Record<string, string>> => ({
    ...common(),
    ...own,
    ...(await metricsEnv(app)),
    ...context.env[app],
  });

  if (wanted.has('safety-service')) {
    processes['safety-service'] = await context.start('safety-service', await envOf('safety-service'));
  }
  if (wanted.has('context-service')) {
    const own: Record<string, string> = { BLOB_STORE_DIR: blobDir, VECTOR_STORE_DIR: join(dir, 'vectors') };
    if (context.tokenizerPaths.length) own['TOKENIZER_MODEL_PATHS'] = context.tokenizerPaths.join(',');
    processes['context-service'] = await context.start(
      'context-service',
      await envOf('context-service', own),
    );
  }
  if (wanted.has('tool-runner')) {
    const own: Record<string, string> = {};
    if (context.toolPolicy) {
      own['TOOL_POLICY_PATH'] = join(dir, 'tool-policy.yaml');
      await writeFile(own['TOOL_POLICY_PATH'], stringify(context.toolPolicy));
    }
    processes['tool-runner'] = await context.start('tool-runner', await envOf('tool-runner', own));
  }
  if (wanted.has('orchestrator')) {
    processes['orchestrator'] = await context.start('orchestrator', await envOf('orchestrator'));
  }

  const bffEnv: Record<string, string> = {
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    REDIS_URL: infraEnv().redisUrl,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    // Without an orchestrator, an address nobody listens on (specs of the BFF's own endpoints).
    ORCHESTRATOR_ADDRESS: processes['orchestrator']?.address ?? `127.0.0.1:${await freePort()}`,
    MODEL_GATEWAY_ADDRESS: gateway.address,
    BLOB_STORE_DIR: blobDir,
    // Specs running side by side share one Redis and one client address (127.0.0.1) and several send
    // bad keys on purpose: the auth-failure limit's own spec sets a low one and its own addresses.
    AUTH_FAILURES_PER_MINUTE: '1000',
    ...address('context-service', 'CONTEXT_SERVICE_ADDRESS'),
    ...address('tool-runner', 'TOOL_RUNNER_ADDRESS'),
    ...context.env.bff,
  };
  let bffUrl: string | undefined;
  if (wanted.has('bff')) {
    const port = await freePort();
    const env = { ...bffEnv, HTTP_PORT: String(port), ...(await metricsEnv('bff')) };
    processes.bff = await context.start('bff', env, port);
    bffUrl = `http://127.0.0.1:${port}`;
  }
  return { processes, bffEnv, bffUrl };
}
