// Owns the models a platform stack serves: the GGUF each one loads (a tiny one written for the spec, a
// real file, or none for a model whose only worker is down), the inference worker that serves it, and
// the model's entry in the gateway's registry.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';

import { writeTinyGguf, type TinyGgufOptions } from '../gguf';
import { freePort } from '../infra/free-port.util';
import { ServiceProcess } from '../services/service-process';

export interface ModelPrice {
  inputUsdPerMillionTokens: number;
  outputUsdPerMillionTokens: number;
}

/** A registry entry's fields besides id, sha256 and workers (which the stack fills in). */
export interface RegistryModelFields {
  aliases?: string[];
  tier: string;
  /** Defaults to the worker's context size. */
  contextLength?: number;
  price: ModelPrice;
  capabilities?: string[];
  chatTemplate?: string;
  [field: string]: unknown;
}

/**
 * What a model's worker loads: the tiny deterministic GGUF (written into the stack's folder), a GGUF
 * on disk (its sha256 computed unless given), or `offline`: a registry entry whose only endpoint has
 * no worker, as when a model is down.
 */
export type ModelSource = { tiny: TinyGgufOptions } | { path: string; sha256?: string } | 'offline';

export interface WorkerSettings {
  /** WORKER_CONTEXT_SIZE (default 512). */
  contextSize?: number;
  /** WORKER_SLOTS (default 4). */
  slots?: number;
  /** WORKER_THREADS (default 1). */
  threads?: number;
  /** Further worker variables (WORKER_QUEUE_MAX, WORKER_BATCH_SIZE…). */
  env?: Record<string, string>;
}

export interface StackModel {
  /** Registry id and the worker's MODEL_ID. */
  id: string;
  source: ModelSource;
  worker?: WorkerSettings;
  registry: RegistryModelFields;
}

/** A model as the stack serves it. */
export interface ServedModel {
  model: StackModel;
  /** The GGUF's path (absent for an offline model). */
  path?: string;
  sha256: string;
  /** Absent for an offline model. */
  worker?: ServiceProcess;
  /** The worker's address (for an offline model, a port nobody listens on). */
  endpoint: string;
}

export interface StartWorkerOptions {
  /** Folder a tiny GGUF is written to. */
  dir: string;
  /** Gives the worker a known METRICS_PORT. */
  metricsPort?: number;
  /** Variables under the model's own worker settings. */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export const DEFAULT_CONTEXT_SIZE = 512;

/** The sha256 of a file, streamed (real models are hundreds of megabytes). */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return hash.digest('hex');
}

/** The worker's context size for the model. */
export function contextSizeOf(model: StackModel): number {
  return model.worker?.contextSize ?? DEFAULT_CONTEXT_SIZE;
}

/** Writes or hashes the model's GGUF and starts its inference worker (nothing for an offline model). */
export async function startModelWorker(model: StackModel, options: StartWorkerOptions): Promise<ServedModel> {
  if (model.source === 'offline') {
    return { model, sha256: 'f'.repeat(64), endpoint: `127.0.0.1:${await freePort()}` };
  }
  let path: string;
  let sha256: string;
  if ('tiny' in model.source) {
    path = join(options.dir, `${model.id}.gguf`);
    await writeTinyGguf(path, model.source.tiny);
    sha256 = await sha256Of(path);
  } else {
    path = model.source.path;
    sha256 = model.source.sha256 ?? (await sha256Of(path));
  }
  const settings = model.worker ?? {};
  const worker = await ServiceProcess.start({
    app: 'inference-worker',
    ...(options.startTimeoutMs !== undefined && { startTimeoutMs: options.startTimeoutMs }),
    env: {
      ...options.env,
      MODEL_SOURCE: path,
      MODEL_ID: model.id,
      MODEL_SHA256: sha256,
      WORKER_GPU: 'cpu',
      WORKER_THREADS: String(settings.threads ?? 1),
      WORKER_SLOTS: String(settings.slots ?? 4),
      WORKER_CONTEXT_SIZE: String(contextSizeOf(model)),
      ...(options.metricsPort !== undefined && { METRICS_PORT: String(options.metricsPort) }),
      ...settings.env,
    },
  });
  return { model, path, sha256, worker, endpoint: worker.address };
}

/** The gateway's registry document for the served models. */
export function registryDocument(routing: Record<string, unknown>, served: ServedModel[]): object {
  return {
    version: 1,
    routing,
    models: served.map(({ model, sha256, endpoint }) => ({
      id: model.id,
      ...model.registry,
      sha256,
      contextLength: model.registry.contextLength ?? contextSizeOf(model),
      workers: { endpoints: [endpoint] },
    })),
  };
}
