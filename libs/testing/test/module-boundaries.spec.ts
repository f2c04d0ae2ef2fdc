// Proves the architecture rules in eslint.config.mjs by linting fixtures that break them: each import
// below is linted as if it were a file at that path in the workspace, through ESLint's own API with the
// repository's configuration (the same rule `npm test` runs), so a rule that stops biting fails here.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

import { ESLint } from 'eslint';

const ROOT = resolve(__dirname, '..', '..', '..');
const RULE = '@nx/enforce-module-boundaries';

jest.setTimeout(120_000);

let eslint: ESLint;

/** The boundary-rule messages for `code` linted as the file at `path` (relative to the repo root). */
async function boundaryErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, path) });
  return result.messages.filter((message) => message.ruleId === RULE).map((message) => message.message);
}

beforeAll(() => {
  // The rule reads Nx's cached project graph; build it first, as `npm test` does.
  execFileSync(process.execPath, [require.resolve('nx/bin/nx.js'), 'show', 'projects'], {
    cwd: ROOT,
    env: { ...process.env, NX_DAEMON: 'false' },
    stdio: 'ignore',
  });
  eslint = new ESLint({ cwd: ROOT });
});

describe('module boundaries', () => {
  const importOf = (what: string) => `import * as x from '${what}';\nexport const y = x;\n`;

  it('refuses the database lib in the inference plane', async () => {
    const errors = await boundaryErrors(
      'apps/inference/model-gateway/src/fixture.ts',
      importOf('@hearth/db'),
    );
    expect(errors).toEqual([expect.stringMatching(/scope:inference.*can only depend on libs tagged with/)]);
  });

  it('refuses the PostgreSQL side of events in the inference plane', async () => {
    const errors = await boundaryErrors(
      'apps/inference/inference-worker/src/fixture.ts',
      importOf('@hearth/transactional-events'),
    );
    expect(errors).toHaveLength(1);
  });

  it('lets the orchestration plane use the database lib', async () => {
    expect(
      await boundaryErrors('apps/orchestration/orchestrator/src/fixture.ts', importOf('@hearth/db')),
    ).toEqual([]);
  });

  it('refuses libs/testing in production code', async () => {
    const errors = await boundaryErrors(
      'apps/orchestration/orchestrator/src/fixture.ts',
      importOf('@hearth/testing'),
    );
    expect(errors).toEqual([
      expect.stringMatching(/type:app.*can only depend on libs tagged with "type:lib"/),
    ]);
  });

  it('lets specs and test support use libs/testing', async () => {
    const code = importOf('@hearth/testing');
    expect(await boundaryErrors('apps/orchestration/orchestrator/src/fixture.spec.ts', code)).toEqual([]);
    expect(await boundaryErrors('apps/inference/model-gateway/test/support/fixture.ts', code)).toEqual([]);
  });

  it('refuses a shared lib that reaches for the database lib', async () => {
    const errors = await boundaryErrors('libs/events/src/fixture.ts', importOf('@hearth/db'));
    expect(errors).toEqual([
      expect.stringMatching(/scope:shared.*can only depend on libs tagged with "scope:shared"/),
    ]);
  });

  it('refuses an app reaching into another app', async () => {
    const errors = await boundaryErrors(
      'apps/orchestration/orchestrator/src/fixture.ts',
      importOf('../../../inference/model-gateway/src/main'),
    );
    expect(errors).toEqual([expect.stringMatching(/cannot be imported by a relative or absolute path/)]);
  });
});
