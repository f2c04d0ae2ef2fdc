// `npm test`: dependencies, generated code, static checks, real infrastructure, then one Jest run over
// every project. Prints Jest's summary and a final `N passed, N failed` line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ensureDependencies,
  generateCode,
  infrastructureRunning,
  root,
  run,
  startInfrastructure,
  step,
} from './lib.mjs';

const started = Date.now();
ensureDependencies();
generateCode();

step('Static checks: buf lint, buf breaking (against main), tsc, eslint, prettier');
run('bash', ['scripts/buf.sh', 'lint']);
run('bash', ['scripts/buf.sh', 'breaking']);
run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json']);
// The module-boundary rule reads Nx's cached project graph; build it first or the rule silently skips.
run('npx', ['--no-install', 'nx', 'show', 'projects'], {
  stdio: 'ignore',
  env: { ...process.env, NX_DAEMON: 'false' },
});
run('npx', ['--no-install', 'eslint', '--max-warnings=0', '.'], {
  env: { ...process.env, NX_DAEMON: 'false' },
});
run('npx', ['--no-install', 'prettier', '--check', '--log-level=warn', '.']);

// The deploy project's specs (Dockerfile and Helm chart checks) shell out to these; installing them
// here keeps a first run's minutes of compiling out of Jest's timeouts and shows what happens.
step('Deployment check tools: helm, hadolint, kubernetes-validate, checkov (into .local/ on first use)');
run('bash', ['scripts/deploy-tools.sh', 'install']);

const wasRunning = infrastructureRunning();
const infraEnv = startInfrastructure();

step('Jest (real PostgreSQL, Redis, Kafka and llama.cpp)');
const reportDir = mkdtempSync(join(tmpdir(), 'hearth-jest-'));
const reportFile = join(reportDir, 'report.json');
const jest = spawnSync(
  'npx',
  [
    '--no-install',
    'jest',
    '--ci',
    `--maxWorkers=${process.env.JEST_WORKERS ?? 2}`,
    '--json',
    `--outputFile=${reportFile}`,
    ...process.argv.slice(2),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      ...infraEnv,
      NODE_OPTIONS: [
        process.env.NODE_OPTIONS,
        '--experimental-vm-modules',
        '--no-node-snapshot',
        '--no-warnings=ExperimentalWarning',
      ]
        .filter(Boolean)
        .join(' '),
    },
  },
);

if (!wasRunning && process.env.HEARTH_KEEP_INFRA !== '1') {
  step('Stopping the local infrastructure this run started (HEARTH_KEEP_INFRA=1 keeps it)');
  spawnSync('bash', ['deploy/local/infra.sh', 'down'], { cwd: root, stdio: 'inherit' });
}

let summary = 'no report written';
try {
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  const skipped = report.numPendingTests + report.numTodoTests;
  summary = `${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
  if (report.numTotalTests === 0) summary = '0 passed, 0 failed (no test ran)';
} catch {
  // Jest crashed before writing its report; its own output above says why.
}
rmSync(reportDir, { recursive: true, force: true });
console.log(`\nnpm test finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`jest: ${summary}`);
process.exit(jest.status ?? 1);
