// The local trace backend of `HEARTH_TRACING=1 npm start`: Jaeger v2 (an OpenTelemetry Collector build
// with an OTLP receiver, in-memory storage and the Jaeger UI), which every service then exports its
// spans to. It is compiled from the Go module proxy into git-ignored .local/bin on first use (a few
// minutes; Go >= 1.24). `go install …@version` refuses jaeger's module (its go.mod has replace
// directives), so the module is downloaded and built in place.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { capture, root, run, step } from './lib.mjs';

export const JAEGER_VERSION = 'v1.75.0';
const MODULE = 'github.com/jaegertracing/jaeger';
const BINARY = join(root, '.local', 'bin', `jaeger-${JAEGER_VERSION}`);
/** Jaeger's all-in-one defaults: OTLP/HTTP receiver and UI. */
const OTLP_HTTP = 'http://127.0.0.1:4318';
const UI = 'http://127.0.0.1:16686';

function ensureJaeger() {
  if (existsSync(BINARY)) return;
  if (capture('go', ['version']).status !== 0) {
    console.error(`✖ HEARTH_TRACING=1 needs Go >= 1.24 to build Jaeger ${JAEGER_VERSION} once`);
    process.exit(1);
  }
  step(`Building Jaeger ${JAEGER_VERSION} into .local/bin (first use only; the compile takes many minutes)`);
  const download = capture('go', ['mod', 'download', '-json', `${MODULE}@${JAEGER_VERSION}`]);
  if (download.status !== 0) {
    console.error(`✖ go mod download ${MODULE}@${JAEGER_VERSION} failed:\n${download.stderr}`);
    process.exit(1);
  }
  const { Dir } = JSON.parse(download.stdout);
  mkdirSync(join(root, '.local', 'bin'), { recursive: true });
  run('go', ['build', '-o', BINARY, './cmd/jaeger'], {
    cwd: Dir,
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false -mod=readonly' },
  });
}

async function answers(url) {
  const res = await fetch(url).catch(() => undefined);
  return res?.ok === true;
}

/**
 * Starts Jaeger (or finds one already serving its UI) and resolves with the environment that makes
 * the services export to it, its UI address and a stop function.
 */
export async function startTraceBackend() {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: OTLP_HTTP };
  if (await answers(UI)) return { env, ui: UI, stop: () => undefined };
  ensureJaeger();
  step(`Starting Jaeger ${JAEGER_VERSION} (OTLP/HTTP ${OTLP_HTTP}, UI ${UI})`);
  const logs = join(root, '.local', 'jaeger.log');
  const child = spawn('sh', ['-c', `exec "${BINARY}" >>"${logs}" 2>&1`], { cwd: root, stdio: 'ignore' });
  const until = Date.now() + 30_000;
  while (!(await answers(UI))) {
    if (child.exitCode !== null || Date.now() > until) {
      console.error(`✖ Jaeger did not serve ${UI} (see .local/jaeger.log)`);
      child.kill('SIGTERM');
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return { env, ui: UI, stop: () => child.kill('SIGTERM') };
}
