// The proto contract passes `buf lint` (STANDARD + COMMENTS) through scripts/buf.sh, which builds the
// pinned buf on first use (minutes), and the same config rejects an undocumented, badly named proto.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { PROTO_ROOT } from '../src';

const REPO_ROOT = path.resolve(PROTO_ROOT, '..');
const FIRST_INSTALL_TIMEOUT_MS = 15 * 60_000;

function bufSh(args: string[]) {
  const result = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'buf.sh'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: FIRST_INSTALL_TIMEOUT_MS,
  });
  if (result.error) throw result.error;
  return result;
}

describe('buf lint', () => {
  beforeAll(() => {
    const install = bufSh(['install']);
    if (install.status !== 0) {
      throw new Error(
        `scripts/buf.sh could not install buf (Go and the Go module proxy are needed):\n${install.stderr}`,
      );
    }
  }, FIRST_INSTALL_TIMEOUT_MS);

  it('passes on proto/', () => {
    const sut = bufSh(['lint']);

    expect({ status: sut.status, output: sut.stdout + sut.stderr }).toEqual({ status: 0, output: '' });
  });

  it('rejects a proto without comments and with a bad enum zero value under the same config', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'buf-lint-'));
    try {
      copyFileSync(path.join(PROTO_ROOT, 'buf.yaml'), path.join(dir, 'buf.yaml'));
      mkdirSync(path.join(dir, 'bad', 'v1'), { recursive: true });
      writeFileSync(
        path.join(dir, 'bad', 'v1', 'bad.proto'),
        'syntax = "proto3";\npackage bad.v1;\nenum Color { RED = 0; }\nmessage Thing { Color color = 1; }\n',
      );

      const sut = bufSh(['lint', dir, '--error-format=json']);

      const rules = sut.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { type: string }).type);
      expect(sut.status).not.toBe(0);
      expect(rules).toEqual(
        expect.arrayContaining([
          'ENUM_ZERO_VALUE_SUFFIX',
          'ENUM_VALUE_PREFIX',
          'COMMENT_MESSAGE',
          'COMMENT_FIELD',
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
