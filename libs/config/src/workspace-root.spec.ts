import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findWorkspaceRoot, workspacePath, workspaceRoot } from './workspace-root';

describe(findWorkspaceRoot.name, () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hearth-root-'));
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds the folder holding proto/buf.yaml from the compiled mirror under dist/', () => {
    mkdirSync(join(root, 'proto'));
    writeFileSync(join(root, 'proto', 'buf.yaml'), 'version: v2\n');
    const compiled = join(root, 'dist', 'libs', 'config', 'src');
    mkdirSync(compiled, { recursive: true });

    expect(findWorkspaceRoot(compiled)).toBe(root);
  });

  it('throws naming the start folder when no folder above holds proto/buf.yaml', () => {
    const nowhere = join(root, 'app', 'dist');
    mkdirSync(nowhere, { recursive: true });

    expect(() => findWorkspaceRoot(nowhere)).toThrow(
      `no proto/buf.yaml in ${nowhere} or any folder above it`,
    );
  });
});

describe(workspaceRoot.name, () => {
  it('is the repository root when the code runs from src/', () => {
    expect(workspaceRoot()).toBe(join(__dirname, '..', '..', '..'));
    expect(workspacePath('proto', 'buf.yaml')).toBe(join(__dirname, '..', '..', '..', 'proto', 'buf.yaml'));
  });
});
