// Medium spec of the build (`npm run build`: SWC through Nx into dist/, which the medium tier's global
// setup runs first): the compiler settings emit what Nest's dependency injection needs, every
// `@hearth/*` import is rewritten to a path inside dist/, and the compiled code finds its runtime files
// (proto tree, policies, migrations) from dist/ as the sources do from src/, and the prompt files
// copied beside it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { workspaceRoot } from '@hearth/config';

const ROOT = workspaceRoot();
const DIST = join(ROOT, 'dist');
const SWC = join(ROOT, 'node_modules', '.bin', 'swc');
const FIXTURE = join(__dirname, 'fixtures', 'type-injection.fixture.ts');

jest.setTimeout(60_000);

/** Compiles the fixture with the repository's .swcrc plus `overrides` and runs it under plain Node. */
function compileAndRun(overrides: string[]): { status: number | null; stdout: string; stderr: string } {
  const out = mkdtempSync(join(tmpdir(), 'hearth-swc-'));
  try {
    const file = join(out, 'fixture.js');
    execFileSync(SWC, [FIXTURE, '--config-file', '.swcrc', ...overrides, '--out-file', file], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    const result = spawnSync(process.execPath, [file], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], NODE_PATH: join(ROOT, 'node_modules') },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function jsFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? jsFiles(join(folder, entry.name))
      : entry.name.endsWith('.js')
        ? [join(folder, entry.name)]
        : [],
  );
}

/** Evaluates `expression` in a plain Node process with the compiled code, from another working folder. */
function inCompiled(expression: string): string {
  return execFileSync(process.execPath, ['-p', expression], { cwd: tmpdir(), encoding: 'utf8' }).trim();
}

describe('build output', () => {
  it('emits decorator metadata, so Nest injects a provider by its class type alone', () => {
    const result = compileAndRun([]);

    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('42');
  });

  it('without decorator metadata the same provider goes unresolved (what tsx gave the apps)', () => {
    const result = compileAndRun(['-C', 'jsc.transform.decoratorMetadata=false']);

    expect(result.stdout).not.toBe('42');
  });

  it('maps exactly the workspace aliases tsconfig declares', () => {
    const swcrc = JSON.parse(readFileSync(join(ROOT, '.swcrc'), 'utf8'));
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.base.json'), 'utf8'));

    expect(swcrc.jsc.paths).toEqual(tsconfig.compilerOptions.paths);
  });

  it('leaves no @hearth/* import for Node to resolve through node_modules (it would load TypeScript)', () => {
    const unresolved = jsFiles(DIST).filter((file) => /require\("@hearth\//.test(readFileSync(file, 'utf8')));

    expect(unresolved).toEqual([]);
  });

  it('keeps specs and test folders out of dist/', () => {
    const files = jsFiles(DIST).map((file) => file.slice(DIST.length));

    expect(files.filter((file) => file.endsWith('.spec.js') || file.includes('/test/'))).toEqual([]);
  });

  it('finds the proto tree, the shipped policies and the migrations from dist/', () => {
    const contracts = join(DIST, 'libs', 'contracts', 'src');
    const db = join(DIST, 'libs', 'db', 'src', 'migrate.runner.js');
    const safety = join(
      DIST,
      'apps',
      'orchestration',
      'safety-service',
      'src',
      'app',
      'safety-app.factory.js',
    );
    const tools = join(
      DIST,
      'apps',
      'orchestration',
      'tool-runner',
      'src',
      'app',
      'tool-runner.providers.js',
    );

    const paths = [
      inCompiled(`require(${JSON.stringify(contracts)}).PROTO_ROOT`),
      inCompiled(`require(${JSON.stringify(db)}).MIGRATIONS_DIR`),
      inCompiled(`require(${JSON.stringify(safety)}).BUNDLED_POLICY_DIR`),
      inCompiled(`require(${JSON.stringify(tools)}).BUNDLED_POLICY_PATH`),
    ];

    expect(paths).toEqual([
      join(ROOT, 'proto'),
      join(ROOT, 'libs', 'db', 'prisma', 'migrations'),
      join(ROOT, 'apps', 'orchestration', 'safety-service', 'policies'),
      join(ROOT, 'apps', 'orchestration', 'tool-runner', 'config', 'tool-policy.yaml'),
    ]);
    for (const path of paths) expect(existsSync(path)).toBe(true);
  });

  it('ships every prompt file beside the compiled prompt catalog', () => {
    const prompts = join(DIST, 'libs', 'prompts', 'src', 'index.js');
    const shipped = readdirSync(join(ROOT, 'libs', 'prompts', 'src', 'prompts'))
      .filter((file) => file.endsWith('.md'))
      .map((file) => file.slice(0, -'.md'.length))
      .sort();

    expect(inCompiled(`require(${JSON.stringify(prompts)}).PromptCatalog.load().refs().join(',')`)).toBe(
      shipped.join(','),
    );
  });
});
