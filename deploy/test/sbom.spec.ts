// The software bill of materials `npm run sbom` writes: CycloneDX 1.5 from package-lock.json, every
// production dependency the root package.json names in it with an npm purl and an exact version, and no
// package that only development needs (test runners, linters, build tools).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { REPO_ROOT } from './support/deploy-tools.util';

interface Component {
  name: string;
  group?: string;
  version: string;
  purl?: string;
  licenses?: unknown[];
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('npm run sbom', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-sbom-'));
  const out = join(dir, 'hearth.cdx.json');
  let bom: { bomFormat: string; specVersion: string; components: Component[] };
  let names: Set<string>;

  beforeAll(() => {
    const run = spawnSync('node', [join(REPO_ROOT, 'scripts', 'sbom.mjs'), out], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(/^sbom: CycloneDX 1\.5, \d+ components/);
    bom = JSON.parse(readFileSync(out, 'utf8'));
    names = new Set(bom.components.map((c) => (c.group ? `${c.group}/${c.name}` : c.name)));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is CycloneDX 1.5 whose third-party components carry an npm purl and an exact version', () => {
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5' });
    const thirdParty = bom.components.filter((c) => !c.purl?.startsWith('pkg:npm/%40hearth/'));
    expect(thirdParty.length).toBeGreaterThan(100);
    for (const component of thirdParty) {
      expect(component.purl).toMatch(/^pkg:npm\/\S+@\S+$/);
      expect(component.version).toMatch(/^\d+\.\d+\.\d+/);
    }
  });

  it('lists every production dependency and no development-only one', () => {
    for (const name of Object.keys(pkg.dependencies)) expect(names).toContain(name);
    const devOnly = Object.keys(pkg.devDependencies).filter((name) => !(name in pkg.dependencies));
    for (const name of ['jest', 'eslint', 'prettier', 'nx', 'ts-jest']) {
      if (devOnly.includes(name)) expect(names).not.toContain(name);
    }
  });
});
