import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createLogger } from '@hearth/telemetry';
import { waitFor } from '@hearth/testing';

import { RegistryLoadError } from './model-registry.loader';
import { ModelRegistryService } from './model-registry.service';

const registryText = (alias: string, contextLength = 2048) => `
version: 1
models:
  - id: tiny
    aliases: [${alias}]
    tier: cpu-small
    sha256: '${'b'.repeat(64)}'
    contextLength: ${contextLength}
    price: { inputUsdPerMillionTokens: 0.1, outputUsdPerMillionTokens: 0.2 }
    workers: { endpoints: ['127.0.0.1:50001'] }
`;

const TENANT = '0b7c2f4e-8f0a-4c1e-9d55-3b0f1d2a4c6e';

/** Replaces the file the way editors and ConfigMaps do: write aside, then rename over it. */
async function replaceFile(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

describe(ModelRegistryService.name, () => {
  let dir: string;
  let path: string;
  let lines: Record<string, unknown>[];
  let sut: ModelRegistryService;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gateway-registry-'));
    path = join(dir, 'registry.yaml');
    lines = [];
    const logger = createLogger({
      service: 'test',
      level: 'info',
      destination: { write: (line: string) => lines.push(JSON.parse(line)) },
    });
    await writeFile(path, registryText('fast'));
    sut = new ModelRegistryService({ path, pollMs: 60_000, logger, debounceMs: 20 });
  });

  afterEach(async () => {
    sut.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the file it started with', async () => {
    await sut.start();

    expect(sut.current().resolve('fast', TENANT)?.id).toBe('tiny');
  });

  it('refuses to start on a malformed file, naming the file', async () => {
    await writeFile(path, registryText('fast', -5));

    await expect(sut.start()).rejects.toThrow(RegistryLoadError);
    await expect(sut.start()).rejects.toThrow(`Model registry ${path} is invalid`);
  });

  it('picks up a changed file without a restart and tells listeners', async () => {
    await sut.start();
    const changes: string[] = [];
    sut.onChange((next, previous) =>
      changes.push(`${previous.models[0].aliases[0]}->${next.models[0].aliases[0]}`),
    );

    await replaceFile(path, registryText('quick'));
    await waitFor('the change to reach the listener', () => changes.length > 0, { timeoutMs: 5_000 });

    expect(changes).toEqual(['fast->quick']);
    expect(sut.current().resolve('quick', TENANT)?.id).toBe('tiny');
    expect(sut.current().resolve('fast', TENANT)).toBeUndefined();
  });

  it('keeps the last good registry when a reload is malformed, and logs the failing path', async () => {
    await sut.start();
    const before = sut.current();

    await replaceFile(path, registryText('fast', -5).replace('version: 1', 'version: 2'));
    await waitFor(
      'the failed reload to be logged',
      () => lines.some((line) => line.msg === 'model registry reload failed; keeping the last good registry'),
      { timeoutMs: 5_000 },
    );

    const failure = lines.find((line) => line.level === 'error');
    expect(failure).toMatchObject({
      path,
      problems: expect.arrayContaining(['models.0.contextLength: Too small: expected number to be >0']),
    });
    expect((failure?.problems as string[]).some((problem) => problem.startsWith('version:'))).toBe(true);
    expect(sut.current()).toBe(before);
    expect(sut.current().resolve('fast', TENANT)?.contextLength).toBe(2048);
  });

  it('reloads on the poll when no file event arrives', async () => {
    await sut.start();
    sut.stop(); // no watcher, no timer: only an explicit reload, as the poll would run it
    await writeFile(path, registryText('polled'));

    await sut.reload();

    expect(sut.current().resolve('polled', TENANT)?.id).toBe('tiny');
  });
});
