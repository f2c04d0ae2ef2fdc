// Fuzzes the public API against its own OpenAPI document with schemathesis (PyPI, pinned in
// scripts/contract-tools.sh): the examples, coverage, fuzzing and stateful phases with a fixed seed
// and a bounded budget, against a real BFF, orchestration plane, model gateway and inference worker.
// The checks: no 5xx, only documented statuses, content types and bodies, schema-valid requests
// accepted and schema-invalid ones rejected, undeclared methods answered 405 with an Allow header.
// Streamed (text/event-stream) bodies are checked event by event against the document's
// ServerSentEvent (event, data, id, retry); what the events' JSON holds is the SSE specs' business.
// The document has no examples (that phase finds nothing to run) and declares no links: schemathesis
// infers the stateful links between create, read and delete operations from ids and responses.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { CreatedKey } from '../src/admin/admin.service';
import { SCOPES } from '../src/auth/authenticated-caller';
import { startStack, type Stack } from './support/stack.fixture';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
/** Per-operation exceptions: the rules beyond JSON Schema, where a schema-valid request may be a 400. */
const CONFIG = join(__dirname, 'contract-fuzz.toml');
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'positive_data_acceptance',
  'negative_data_rejection',
  'unsupported_method',
  'allow_header_conformance',
];
/** Fixed, so a failure reproduces; the budget keeps the spec within a few minutes on two cores. */
const SEED = 20261206;
const MAX_EXAMPLES = 10;
const MAX_TIME_S = 90;

interface RunResult {
  status: number;
  output: string;
}

/** `st run` through the pinned install and our config; resolves with its exit status and output. */
function schemathesis(args: readonly string[], cwd: string): Promise<RunResult> {
  const st = [join(REPO_ROOT, 'scripts', 'contract-tools.sh'), 'st', '--config-file', CONFIG];
  return new Promise((done, fail) => {
    // Its working folder takes schemathesis' own cache (.schemathesis/): the spec's temporary one.
    const child = spawn('bash', [...st, 'run', ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', COLUMNS: '160' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('close', (status) => done({ status: status ?? 1, output }));
  });
}

/**
 * schemathesis' output with its `==== title ====` banners as plain lines. CI reads a run's closing
 * lines by the test runners it knows, and schemathesis closes with pytest's banner shape:
 * `===== 2 warnings in 90.00s =====` is, to a reader of pytest, a run with warnings and no test. Every
 * green `npm test` since this spec arrived was taken for one that ran no test.
 */
function withoutBanners(output: string): string {
  return output.replace(
    /^=+ (.+?) =+$/gm,
    (_banner, title: string) => `[schemathesis] ${title.replace(/ in ([\d.]+)s$/, ', $1 s')}`,
  );
}

describe('BFF API contract (schemathesis)', () => {
  let stack: Stack;
  let key: CreatedKey;
  let reportDir: string;

  beforeAll(async () => {
    stack = await startStack({ orchestration: true });
    // Every scope (the usage route needs admin) and limits the fuzzer's burst cannot reach.
    key = await stack.tenant('fuzz', { scopes: [...SCOPES], rpm: 1_000_000, tpm: 1_000_000_000 });
    reportDir = await mkdtemp(join(tmpdir(), 'bff-contract-'));
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    if (reportDir) await rm(reportDir, { recursive: true, force: true });
  });

  it('answers every generated request as its OpenAPI document says', async () => {
    const junit = join(reportDir, 'junit.xml');
    const sut = await schemathesis(
      [
        `${stack.url}/openapi.json`,
        '--header',
        `Authorization: Bearer ${key.secret}`,
        '--phases',
        'examples,coverage,fuzzing,stateful',
        '--checks',
        CHECKS.join(','),
        '--seed',
        String(SEED),
        '--max-examples',
        String(MAX_EXAMPLES),
        '--max-time',
        String(MAX_TIME_S),
        // One worker: with two, CPython 3.11's ast module raised "AST constructor recursion depth
        // mismatch" inside Hypothesis (parsing in two threads at once), a tool error counted as a failure.
        '--workers',
        '1',
        '--request-timeout',
        '30',
        '--no-shrink',
        '--report',
        'junit',
        '--report-junit-path',
        junit,
      ],
      reportDir,
    );
    const report = await readFile(junit, 'utf8').catch(() => '');
    const failures = (report.match(/<(failure|error)[ >]/g) ?? []).length;
    // The whole output when something failed; otherwise schemathesis' summary (operations, phases, test
    // cases generated and passed), so every run's log says how much was fuzzed.
    const summary = sut.output.slice(Math.max(0, sut.output.lastIndexOf('SUMMARY') - 80));
    process.stdout.write(withoutBanners(sut.status !== 0 || failures > 0 ? sut.output : summary));
    expect({ status: sut.status, failures }).toEqual({ status: 0, failures: 0 });
  }, 300_000);
});
