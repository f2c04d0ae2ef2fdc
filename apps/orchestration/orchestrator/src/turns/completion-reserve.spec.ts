import type { gatewayV1 } from '@hearth/contracts';

import { completionReserve } from './completion-reserve';

function model(overrides: Partial<gatewayV1.ModelInfo>): gatewayV1.ModelInfo {
  return {
    id: 'tiny',
    aliases: [],
    tier: 'cpu-small',
    contextLength: 4096,
    inputMicroUsdPerMillionTokens: 0,
    outputMicroUsdPerMillionTokens: 0,
    sha256: '',
    fallbacks: [],
    capabilities: [],
    available: true,
    maxOutputTokens: 4096,
    defaultMaxTokens: 4096,
    ...overrides,
  };
}

describe(completionReserve.name, () => {
  it('reserves what the request asked for', () => {
    expect(completionReserve(100, model({ defaultMaxTokens: 512 }))).toBe(100);
  });

  it('reserves the model’s default max_tokens when the request sets none', () => {
    expect(completionReserve(undefined, model({ maxOutputTokens: 1024, defaultMaxTokens: 512 }))).toBe(512);
  });

  it('keeps half the context for the prompt when the default would fill it', () => {
    expect(completionReserve(undefined, model({}))).toBe(2048);
    expect(
      completionReserve(
        undefined,
        model({ contextLength: 512, maxOutputTokens: 512, defaultMaxTokens: 512 }),
      ),
    ).toBe(256);
  });

  it('differs between models: the reserve follows the resolved model, not a constant', () => {
    const small = model({ contextLength: 2048, maxOutputTokens: 2048, defaultMaxTokens: 300 });
    const large = model({ contextLength: 32768, maxOutputTokens: 8192, defaultMaxTokens: 4096 });

    expect([completionReserve(undefined, small), completionReserve(undefined, large)]).toEqual([300, 4096]);
  });

  it('reserves nothing for a model the gateway does not list', () => {
    expect(completionReserve(undefined, undefined)).toBe(0);
  });
});
