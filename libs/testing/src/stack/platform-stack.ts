// Owns starting the platform as real processes for a medium spec, a bench or an eval, the way
// `npm start` runs it: a fresh migrated database, one inference worker per model (tiny GGUFs written
// for the spec or real ones), the model gateway on a registry naming those workers, and the services
// the caller lists (safety, context service, tool runner, orchestrator, BFF), each wired to the
// others' addresses. Each service's own settings come from the caller; close() stops everything in
// reverse order and drops the database.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { createTestDatabase, type TestDatabase } from '../db';
import { freePort } from '../infra/free-port.util';
import { ServiceProcess, type AppName } from '../services/service-process';
import { startPlane, type PlaneEnv, type PlaneService } from './orchestration-plane';
import { registryDocument, startModelWorker, type ServedModel, type StackModel } from './stack-model';

export interface PlatformStackOptions {
  /** Served models; the first is the stack's main one. */
  models: StackModel[];
  /** The registry's routing section. */
  routing: Record<string, unknown>;
  /** Which services to start besides the workers and the gateway (started in PLANE_SERVICES order). */
  services?: PlaneService[];
  /** Each service's own variables, on top of the wiring the stack gives it. */
  env?: PlaneEnv;
  /** Variables every process gets, workers and gateway included (e.g. the OTLP endpoint of a trace spec). */
  commonEnv?: Record<string, string>;
  /**
   * Models whose GGUF vocabularies the context service loads to count tokens in process
   * (TOKENIZER_MODEL_PATHS); others are counted through the gateway.
   */
  tokenizerModels?: string[];
  /** The tool runner's allowlist policy, written to TOOL_POLICY_PATH; default: the runner's own. */
  toolPolicy?: object;
  /**
   * Apps given a known METRICS_PORT (PlatformStack.metricsPorts; for the inference worker, the first
   * model's). The gateway always gets one: it refuses 0.
   */
  metrics?: AppName[];
  /** Start-up limit of every process (real models load slowly on a busy machine). */
  startTimeoutMs?: number;
  /** Called as each process becomes ready. */
  onReady?: (service: ServiceProcess, startMs: number) => void;
  /** Prefix of the stack's temporary folder. */
  name?: string;
}

export interface PlatformStack {
  /** Temporary folder of the stack's files (GGUFs, registry, blobs, vectors). */
  dir: string;
  db: TestDatabase;
  /** Folder of the blob store the BFF and the context service share. */
  blobDir: string;
  /** Served models in the order given. */
  models: ServedModel[];
  gateway: ServiceProcess;
  gatewayMetricsPort: number;
  /** The started plane services by name. */
  processes: Partial<Record<PlaneService, ServiceProcess>>;
  /** Every process in start order. */
  services: ServiceProcess[];
  /** The BFF's environment, whether started or not (HTTP_PORT 0: for one started in process). */
  bffEnv: Record<string, string>;
  /** http://127.0.0.1:port of the BFF process, when started. */
  bffUrl?: string;
  /** /metrics port by app (see PlatformStackOptions.metrics). */
  metricsPorts: Partial<Record<AppName, number>>;
  close(): Promise<void>;
}

export async function startPlatformStack(options: PlatformStackOptions): Promise<PlatformStack> {
  const dir = await mkdtemp(join(tmpdir(), `${options.name ?? 'platform'}-`));
  const services: ServiceProcess[] = [];
  let db: TestDatabase | undefined;
  const close = async () => {
    for (const service of [...services].reverse()) await service.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    db = await createTestDatabase();
    const metricsPorts: Partial<Record<AppName, number>> = {};
    const metricsPort = async (app: AppName) =>
      options.metrics?.includes(app) ? (metricsPorts[app] = await freePort()) : undefined;
    const start = async (app: AppName, env: Record<string, string>, port?: number) => {
      const began = Date.now();
      const service = await ServiceProcess.start({
        app,
        env: { ...options.commonEnv, ...env },
        ...(port !== undefined && { port }),
        ...(app === 'bff' && { readiness: { httpUrl: (p: number) => `http://127.0.0.1:${p}/healthz` } }),
        ...(options.startTimeoutMs !== undefined && { startTimeoutMs: options.startTimeoutMs }),
      });
      services.push(service);
      options.onReady?.(service, Date.now() - began);
      return service;
    };

    const firstWorkerMetrics = await metricsPort('inference-worker');
    // The workers load their models side by side.
    // Every start settles before a failure is thrown, so close() stops the workers that did start.
    const starts = await Promise.allSettled(
      options.models.map(async (model, index) => {
        const began = Date.now();
        const served = await startModelWorker(model, {
          dir,
          ...(options.commonEnv && { env: options.commonEnv }),
          ...(index === 0 && firstWorkerMetrics !== undefined && { metricsPort: firstWorkerMetrics }),
          ...(options.startTimeoutMs !== undefined && { startTimeoutMs: options.startTimeoutMs }),
        });
        if (served.worker) {
          services.push(served.worker);
          options.onReady?.(served.worker, Date.now() - began);
        }
        return served;
      }),
    );
    const models = starts.map((start) => {
      if (start.status === 'rejected') throw start.reason;
      return start.value;
    });

    const registryPath = join(dir, 'registry.yaml');
    await writeFile(registryPath, stringify(registryDocument(options.routing, models)));
    const gatewayMetricsPort = await freePort();
    metricsPorts['model-gateway'] = gatewayMetricsPort;
    const gateway = await start('model-gateway', {
      MODEL_REGISTRY_PATH: registryPath,
      DATABASE_URL: db.url,
      METRICS_PORT: String(gatewayMetricsPort),
      ...options.env?.['model-gateway'],
    });

    const blobDir = join(dir, 'blobs');
    const plane = await startPlane({
      services: options.services ?? [],
      env: options.env ?? {},
      ...(options.toolPolicy && { toolPolicy: options.toolPolicy }),
      tokenizerPaths: models
        .filter(({ model, path }) => path && options.tokenizerModels?.includes(model.id))
        .map(({ path }) => path as string),
      dir,
      db,
      gateway,
      blobDir,
      start,
      metricsPort,
    });
    return {
      dir,
      db,
      blobDir,
      models,
      gateway,
      gatewayMetricsPort,
      processes: plane.processes,
      services,
      bffEnv: plane.bffEnv,
      ...(plane.bffUrl !== undefined && { bffUrl: plane.bffUrl }),
      metricsPorts,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
