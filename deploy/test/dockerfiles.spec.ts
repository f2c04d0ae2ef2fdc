// The container images as a reviewer checks their Dockerfile: hadolint clean, bases pinned, a
// production stage per image that runs as a non-root user under an init process with OCI labels,
// no secrets in any layer, and an entry point that knows every service the chart starts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT, runTool } from './support/deploy-tools.util';

const DOCKERFILE = join(REPO_ROOT, 'deploy', 'docker', 'Dockerfile');
const text = readFileSync(DOCKERFILE, 'utf8');
const lines = text.split('\n').filter((l) => !l.trim().startsWith('#'));
const args = new Map(
  lines.flatMap((l) => {
    const m = /^ARG ([A-Z_]+)=(\S+)/.exec(l);
    return m ? [[m[1]!, m[2]!] as const] : [];
  }),
);

/** The stages: name, base, and the instructions that belong to it. */
const stages = text
  .split(/^(?=FROM )/m)
  .filter((chunk) => chunk.startsWith('FROM '))
  .map((chunk) => {
    const m = /^FROM (\S+)(?: AS (\S+))?/.exec(chunk)!;
    return { base: m[1]!, name: m[2] ?? '', body: chunk };
  });
const IMAGES = ['services', 'inference-worker-cpu', 'inference-worker-cuda'];

describe('deploy/docker/Dockerfile', () => {
  it('passes hadolint with no warning', () => {
    const result = runTool('hadolint', ['--failure-threshold', 'warning', DOCKERFILE]);
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });

  it('pins every base image by version (or digest), never latest', () => {
    for (const { base } of stages) {
      const resolved = base.replace(/^\$\{(\w+)\}$/, (_, arg: string) => args.get(arg) ?? base);
      if (stages.some((s) => s.name === resolved)) continue; // an earlier stage
      expect(resolved).toMatch(/^[\w./-]+(:\d+(\.\d+)+[\w.-]*|@sha256:[a-f0-9]{64})$/);
    }
    expect(args.get('NODE_BASE')).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    expect(args.get('CUDA_BASE')).toMatch(/^nvidia\/cuda:\d+\.\d+\.\d+-runtime-ubuntu\d+\.\d+$/);
  });

  it.each(IMAGES)('builds %s as a production stage: non-root user, tini as PID 1, OCI labels', (image) => {
    const stage = stages.find((s) => s.name === image)!;
    expect(stage.body).toMatch(/^USER 10001:10001$/m);
    expect(stage.body).toMatch(
      /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "\/app\/deploy\/docker\/hearth.sh"\]$/m,
    );
    expect(stage.body).toMatch(/COPY --from=tini \/usr\/bin\/tini-static \/usr\/bin\/tini/);
    for (const label of ['title', 'description', 'version', 'revision', 'licenses'])
      expect(stage.body).toContain(`org.opencontainers.image.${label}=`);
    expect(stage.body).toMatch(/NODE_ENV=production/);
    // Files belong to root and are only read by the service user: nothing in /app is writable.
    expect(stage.body).toMatch(/COPY --from=\S+-tree --chown=0:0 \/out\/app \/app/);
  });

  it('installs production dependencies only, and each image keeps only its own llama.cpp binaries', () => {
    expect(text).toMatch(/npm prune --omit=dev/);
    expect(stages.find((s) => s.name === 'services-tree')!.body).toMatch(
      /rm -rf app\/node_modules\/@node-llama-cpp/,
    );
    expect(stages.find((s) => s.name === 'worker-cpu-tree')!.body).toMatch(/! -name linux-x64 -exec rm/);
    expect(stages.find((s) => s.name === 'worker-cuda-tree')!.body).toMatch(
      /! -name "\$\{LLAMA_CUDA_PACKAGE\}"/,
    );
    expect(stages.find((s) => s.name === 'inference-worker-cuda')!.base).toBe('${CUDA_BASE}');
  });

  it('bakes no secret into a layer', () => {
    expect(
      lines.filter((l) => /^(ARG|ENV)\b.*(PASSWORD|SECRET|TOKEN|API_KEY|DATABASE_URL|REDIS_URL)/.test(l)),
    ).toEqual([]);
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8');
    for (const path of ['.local', '**/.env', '.git', '**/node_modules']) expect(ignore).toContain(path);
  });

  it('has an entry point for every service the chart starts, with the tool runner off the V8 snapshot', () => {
    const entry = readFileSync(join(REPO_ROOT, 'deploy', 'docker', 'hearth.sh'), 'utf8');
    for (const service of [
      'bff',
      'orchestrator',
      'context-service',
      'tool-runner',
      'safety-service',
      'ledger',
      'model-gateway',
      'inference-worker',
      'migrate',
      'admin',
      'model-fetch',
    ])
      expect(entry).toMatch(new RegExp(`(^|[ |(])${service}[ )|]`, 'm'));
    expect(entry).toMatch(/tool-runner\) exec node --no-node-snapshot/);
    expect(entry).toMatch(/prisma\/build\/index.js" migrate deploy/);
  });
});
