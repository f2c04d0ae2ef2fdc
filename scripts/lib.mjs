// Shared steps of `npm start` and `npm test`: install what is missing, generate code, build, start local
// infrastructure.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function step(title) {
  console.log(`\n▶ ${title}`);
}

/** Runs a command in the repo root with inherited output; exits the process when it fails. */
export function run(command, args, options = {}) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`✖ ${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
  return Date.now() - started;
}

export function capture(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', ...options });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** `npm install` only when node_modules is missing or older than the lockfile. */
export function ensureDependencies() {
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (
    mtime(installed) >= mtime(join(root, 'package-lock.json')) &&
    mtime(installed) >= mtime(join(root, 'package.json'))
  ) {
    return;
  }
  step('Installing npm dependencies');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

const nx = (args) =>
  run('npx', ['--no-install', 'nx', ...args], { env: { ...process.env, NX_DAEMON: 'false' } });

/** The gRPC contracts (buf + ts-proto) and the Prisma client; Nx's cache skips unchanged inputs. */
export function generateCode() {
  step('Generating gRPC contracts (buf + ts-proto) and the Prisma client');
  nx(['run-many', '-t', 'generate', '--output-style=static']);
}

/** Compiles every project into dist/ (SWC through Nx); only projects whose inputs changed recompile. */
export function build() {
  step('Building every project into dist/ (Nx cache: unchanged projects are restored, not recompiled)');
  return nx(['run-many', '-t', 'build']);
}

/** Starts PostgreSQL, Redis, Kafka and the small model; returns the env they are reached by. */
export function startInfrastructure() {
  step('Starting local infrastructure (PostgreSQL, Redis, Kafka, model)');
  run('bash', ['deploy/local/infra.sh', 'up']);
  const env = capture('bash', ['deploy/local/infra.sh', 'env']);
  if (env.status !== 0) {
    console.error(env.stderr);
    process.exit(1);
  }
  const vars = {};
  for (const match of env.stdout.matchAll(/([A-Z][A-Z0-9_]*)=('[^']*'|"[^"]*"|\S+)/g)) {
    vars[match[1]] = match[2].replace(/^['"]|['"]$/g, '');
  }
  return vars;
}

export function infrastructureRunning() {
  return capture('bash', ['deploy/local/infra.sh', 'status']).status === 0;
}
