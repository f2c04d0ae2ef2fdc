import { registryDocument, startModelWorker, type StackModel } from './stack-model';

const price = { inputUsdPerMillionTokens: 0.5, outputUsdPerMillionTokens: 1.5 };

describe(registryDocument.name, () => {
  const model: StackModel = {
    id: 'tiny',
    source: { tiny: {} },
    worker: { contextSize: 2048 },
    registry: { aliases: ['fast'], tier: 'cpu-tiny', price },
  };

  it('names each served model with its sha256, its worker and the worker context size', () => {
    const sut = registryDocument({ statsIntervalMs: 200 }, [
      { model, sha256: 'a'.repeat(64), endpoint: '127.0.0.1:1' },
    ]);

    expect(sut).toEqual({
      version: 1,
      routing: { statsIntervalMs: 200 },
      models: [
        {
          id: 'tiny',
          aliases: ['fast'],
          tier: 'cpu-tiny',
          price,
          sha256: 'a'.repeat(64),
          contextLength: 2048,
          workers: { endpoints: ['127.0.0.1:1'] },
        },
      ],
    });
  });

  it('keeps a context length the registry entry gives over the worker context size', () => {
    const sut = registryDocument({}, [
      { model: { ...model, registry: { ...model.registry, contextLength: 512 } }, sha256: '', endpoint: '' },
    ]) as { models: { contextLength: number }[] };

    expect(sut.models[0]?.contextLength).toBe(512);
  });
});

describe(startModelWorker.name, () => {
  it('starts no worker for an offline model and points its entry at a port nobody listens on', async () => {
    const sut = await startModelWorker(
      { id: 'offline', source: 'offline', registry: { tier: 'cpu-tiny', price } },
      { dir: '/nonexistent' },
    );

    expect(sut.worker).toBeUndefined();
    expect(sut.sha256).toBe('f'.repeat(64));
    expect(sut.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    await expect(fetch(`http://${sut.endpoint}/`)).rejects.toThrow();
  });
});
