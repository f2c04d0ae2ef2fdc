// Applies the committed migrations (libs/db/prisma/migrations) to a database by running the real
// `prisma migrate deploy` with this lib's prisma.config.ts, so tests, `npm start` and production
// use one code path and one _prisma_migrations history. Runs the CLI from node_modules with the
// current Node binary: no npx, no network.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { workspacePath } from '@hearth/config';

/** libs/db (its prisma.config.ts and migrations), found from any working directory and from dist/. */
export const DB_LIB_DIR = workspacePath('libs', 'db');
export const PRISMA_CONFIG_PATH = path.join(DB_LIB_DIR, 'prisma.config.ts');
export const MIGRATIONS_DIR = path.join(DB_LIB_DIR, 'prisma', 'migrations');

export interface MigrateDeployOptions {
  /** Kill the CLI after this long. Default 120 s. */
  timeoutMs?: number;
}

export interface MigrateDeployResult {
  durationMs: number;
  /** Combined stdout and stderr of the CLI. */
  output: string;
}

function prismaCliPath(): string {
  const manifestPath = require.resolve('prisma/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: { prisma: string } };
  return path.join(path.dirname(manifestPath), manifest.bin.prisma);
}

/**
 * Runs `prisma migrate deploy` against `databaseUrl` and resolves when it succeeded. Note that
 * the Wasm schema engine leaves its 10 s advisory-lock timer armed, so the CLI lingers up to
 * ~10 s after its work is done (measured on Prisma 6.19.3).
 */
export function migrateDeploy(
  databaseUrl: string,
  options: MigrateDeployOptions = {},
): Promise<MigrateDeployResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [prismaCliPath(), 'migrate', 'deploy', '--config', PRISMA_CONFIG_PATH],
      {
        cwd: DB_LIB_DIR,
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl,
          CHECKPOINT_DISABLE: '1',
          PRISMA_HIDE_UPDATE_MESSAGE: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const durationMs = Date.now() - started;
      if (code === 0) return resolve({ durationMs, output });
      const why = signal ? `was killed (${signal}) after ${durationMs} ms` : `exited with ${code}`;
      reject(new Error(`prisma migrate deploy ${why}:\n${output.trim()}`));
    });
  });
}
