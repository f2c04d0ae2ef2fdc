// `npm test`: dependencies, generated code, static checks, the build, the unit tier (no infrastructure),
// then the real infrastructure and the medium tier. `npm run test:unit` (`--unit`) runs the unit tier
// alone and starts nothing. Jest prints each tier's summary; the last line, `jest: N passed, N failed`,
// counts both tiers. Arguments after `--` go to both Jest runs (e.g. `npm test -- libs/events`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  build,
  ensureDependencies,
  generateCode,
  infrastructureRunning,
  root,
  run,
  startInfrastructure,
  step,
} from './lib.mjs';

const unitOnly = process.argv[2] === '--unit';
const jestArgs = process.argv.slice(unitOnly ? 3 : 2);
const started = Date.now();
ensureDependencies();
generateCode();

if (!unitOnly) {
  step('Static checks: buf lint, buf breaking (against main), tsc, eslint, prettier');
  run('bash', ['scripts/buf.sh', 'lint']);
  run('bash', ['scripts/buf.sh', 'breaking']);
  run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json']);
  // The web app (DOM, JSX) and its browser suite have their own tsconfigs (the root one is Node's).
  run('npx', ['--no-install', 'tsc', '-p', 'apps/experience/web/tsconfig.json']);
  run('npx', ['--no-install', 'tsc', '-p', 'apps/experience/web/test/tsconfig.json']);
  // The module-boundary rule reads Nx's cached project graph; build it first or the rule silently skips.
  run('npx', ['--no-install', 'nx', 'show', 'projects'], {
    stdio: 'ignore',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  run('npx', ['--no-install', 'eslint', '--max-warnings=0', '.'], {
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  run('npx', ['--no-install', 'prettier', '--check', '--log-level=warn', '.']);
  build();

  step("Chromium for the web app's browser suite (Debian's package; installed when missing)");
  run('bash', ['scripts/ensure-chromium.sh']);

  // The deploy project's specs (Dockerfile and Helm chart checks) shell out to these; installing them
  // here keeps a first run's minutes of compiling out of Jest's timeouts and shows what happens.
  step('Deployment check tools: helm, hadolint, kubernetes-validate, checkov (into .local/ on first use)');
  run('bash', ['scripts/deploy-tools.sh', 'install']);

  // The BFF's contract fuzz spec runs schemathesis against the live API (pinned, from PyPI).
  step('Contract fuzzing tool: schemathesis (into .local/contract-venv on first use)');
  run('bash', ['scripts/contract-tools.sh', 'install']);
}

const reportDir = mkdtempSync(join(tmpdir(), 'hearth-jest-'));
const tiers = [];

/** One Jest run over one tier's config; records its report for the final summary. */
function jest(tier, config, env) {
  const reportFile = join(reportDir, `${tier}.json`);
  const result = spawnSync(
    'npx',
    [
      '--no-install',
      'jest',
      '--config',
      config,
      '--ci',
      '--passWithNoTests',
      `--maxWorkers=${process.env.JEST_WORKERS ?? 2}`,
      '--json',
      `--outputFile=${reportFile}`,
      ...jestArgs,
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...env,
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
  let report;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8'));
  } catch {
    // Jest crashed before writing its report; its own output above says why.
  }
  tiers.push({ tier, status: result.status ?? 1, report });
}

// The unit tier sees no infrastructure settings, so a spec that needs them fails here, not by luck.
const INFRA_VARIABLES = ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS', 'HEARTH_MODEL_PATH'];
const withoutInfra = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !INFRA_VARIABLES.includes(name)),
);
step('Jest, unit tier (src/**/*.spec.ts, no infrastructure)');
jest('unit', 'jest.unit.config.js', withoutInfra);

if (!unitOnly) {
  const wasRunning = infrastructureRunning();
  const infraEnv = startInfrastructure();
  step('Jest, medium tier (test/**/*.spec.ts: real PostgreSQL, Redis, Kafka and llama.cpp; apps from dist/)');
  jest('medium', 'jest.medium.config.js', { ...process.env, ...infraEnv });
  if (!wasRunning && process.env.HEARTH_KEEP_INFRA !== '1') {
    step('Stopping the local infrastructure this run started (HEARTH_KEEP_INFRA=1 keeps it)');
    spawnSync('bash', ['deploy/local/infra.sh', 'down'], { cwd: root, stdio: 'inherit' });
  }
}
rmSync(reportDir, { recursive: true, force: true });

const count = (key) => tiers.reduce((sum, { report }) => sum + (report?.[key] ?? 0), 0);
const passed = count('numPassedTests');
const failed = count('numFailedTests');
const skipped = count('numPendingTests') + count('numTodoTests');
for (const { tier, report } of tiers) {
  console.log(
    report
      ? `${tier}: ${report.numPassedTests} passed, ${report.numFailedTests} failed (${report.numTotalTestSuites} files)`
      : `${tier}: no report written`,
  );
}
let summary = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
if (tiers.some(({ report }) => !report)) summary += ' (a Jest run wrote no report)';
else if (count('numTotalTests') === 0) summary = '0 passed, 0 failed (no test ran)';
console.log(`\nnpm test finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
// Both tiers in Jest's own summary format, then the plain totals line last: CI reads a run's
// closing line ("N passed, N failed"), and Jest's "Tests:" line is not one it knows.
const suitesFailed = count('numFailedTestSuites');
const suitesSkipped = count('numPendingTestSuites');
console.log(
  `Test Suites: ${suitesFailed ? `${suitesFailed} failed, ` : ''}${suitesSkipped ? `${suitesSkipped} skipped, ` : ''}${count('numPassedTestSuites')} passed, ${count('numTotalTestSuites')} total`,
);
console.log(
  `Tests:       ${failed ? `${failed} failed, ` : ''}${skipped ? `${skipped} skipped, ` : ''}${passed} passed, ${count('numTotalTests')} total`,
);
console.log(`jest: ${summary}`);
process.exit(tiers.every(({ status }) => status === 0) ? 0 : 1);
