// Starts the whole platform for the browser suite as real processes through libs/testing's platform
// stack, the way `npm start` runs it: a per-suite PostgreSQL database, inference workers (the tiny deterministic GGUF with a scripted reply,
// and the real small model when HEARTH_MODEL_PATH is set), the model gateway, safety service, context
// service (files and retrieval), tool runner (a policy where the calculator needs confirmation),
// orchestrator, and the BFF serving the built web app. Keys come from the compiled admin CLI, as a
// person's would.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

import { localChatTemplate, retrievalEnv, startPlatformStack, type TestDatabase } from '@hearth/testing';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..', '..');
export const WEB_BUILD_DIR = join(REPO_ROOT, 'dist', 'apps', 'experience', 'web');
const ADMIN_CLI = join(REPO_ROOT, 'dist', 'apps', 'experience', 'bff', 'src', 'admin', 'admin.cli.js');

/**
 * The tiny model's scripted answer. It starts with `6*7"}` so a forced calculator call's JSON
 * arguments come out as {"expression": "6*7"}; `[1]` cites the first retrieved chunk of a grounded
 * answer; the rest is an HTML/script injection attempt that must stay inert text in the page.
 */
export const TINY_REPLY =
  '6*7"} [1] Hello **friend** <img src=x onerror=window.__pwned=1> <script>window.__pwned=2</script> [here](javascript:window.__pwned=3)';
export const TINY_MODEL = 'tiny';
export const REAL_MODEL = 'gemma-3-270m';
export const OFFLINE_MODEL = 'offline';

/** Loading the real model while other suites run on a 2-core machine can take a minute or more. */
const START_TIMEOUT_MS = 180_000;

export interface WebStack {
  url: string;
  db: TestDatabase;
  /** Whether the real small model serves (HEARTH_MODEL_PATH was set). */
  realModel: boolean;
  /** A key of the suite's tenant for `user`; `options` are the admin CLI's (e.g. ['--rpm', '4']). */
  createKey(user: string, options?: string[]): Promise<{ secret: string; prefix: string }>;
  revokeKey(prefix: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWebStack(): Promise<WebStack> {
  const realPath = process.env['HEARTH_MODEL_PATH'];
  const price = { inputUsdPerMillionTokens: 0.5, outputUsdPerMillionTokens: 1.5 };
  const platform = await startPlatformStack({
    name: 'web-suite',
    models: [
      {
        id: TINY_MODEL,
        source: { tiny: { reply: TINY_REPLY, pooling: 'mean' } },
        worker: { contextSize: 2048, slots: 4 },
        registry: {
          aliases: ['fast', 'default'],
          tier: 'cpu-tiny',
          price,
          capabilities: ['chat', 'embeddings', 'tools', 'json_schema'],
        },
      },
      ...(realPath
        ? [
            {
              id: REAL_MODEL,
              source: { path: realPath },
              worker: { contextSize: 2048, slots: 2, threads: 2 },
              registry: {
                tier: 'cpu-small',
                price,
                capabilities: ['chat', 'tools', 'json_schema'],
                // Gemma 270M's GGUF has no chat template: the one `npm start` gives it.
                chatTemplate: localChatTemplate(REAL_MODEL),
              },
            },
          ]
        : []),
      // A model whose only worker is down: what a person sees when a model is unavailable.
      {
        id: OFFLINE_MODEL,
        source: 'offline',
        registry: { tier: 'cpu-tiny', contextLength: 2048, price, capabilities: ['chat'] },
      },
    ],
    routing: {
      statsIntervalMs: 200,
      statsIdleIntervalMs: 200,
      statsTimeoutMs: 1_000,
      firstTokenTimeoutMs: 20_000,
    },
    services: ['safety-service', 'context-service', 'tool-runner', 'orchestrator', 'bff'],
    env: {
      'context-service': { SUMMARY_MODEL: TINY_MODEL, ...retrievalEnv(TINY_MODEL) },
      bff: { WEB_APP_DIR: WEB_BUILD_DIR },
    },
    toolPolicy: { version: 1, tenants: { default: { allow: ['calculator'], confirm: ['calculator'] } } },
    startTimeoutMs: START_TIMEOUT_MS,
  });
  const { db } = platform;
  try {
    const admin = (...args: string[]) => {
      // The compiled CLI the medium tier's global setup built; `npm run admin` would rebuild the BFF
      // and its libraries into dist/ while the suites beside this one run services from there.
      const result = spawnSync(process.execPath, [ADMIN_CLI, ...args, '--json'], {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: db.url },
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (result.status !== 0) throw new Error(`admin ${args.join(' ')} failed: ${result.stderr}`);
      return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, string>;
    };
    const tenant = admin('tenants', 'create', 'Browser suite', '--slug', 'browser');
    return {
      url: platform.bffUrl!,
      db,
      realModel: realPath !== undefined,
      async createKey(user, options = []) {
        const key = admin(
          'keys',
          'create',
          '--tenant',
          tenant['id'] ?? 'browser',
          '--user',
          user,
          ...options,
        );
        return { secret: key['secret'] ?? '', prefix: key['prefix'] ?? '' };
      },
      async revokeKey(prefix) {
        admin('keys', 'revoke', prefix);
      },
      close: () => platform.close(),
    };
  } catch (error) {
    await platform.close();
    throw error;
  }
}
