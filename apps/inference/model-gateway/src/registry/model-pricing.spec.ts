import { modelEntry, registryOf } from '../../test/support/gateway-requests.fixture';
import { chargeFor, costOf, maxCostMicros, priceAt } from './model-pricing';
import { registryFileSchema } from './model-registry.schema';

const periods = [
  {
    effectiveFrom: '2030-01-01T00:00:00Z',
    currency: 'EUR',
    inputPerMillionTokens: 1,
    cachedInputPerMillionTokens: 0.25,
    outputPerMillionTokens: 4,
  },
  {
    effectiveFrom: '2030-02-01T00:00:00Z',
    currency: 'EUR',
    inputPerMillionTokens: 2,
    outputPerMillionTokens: 8,
  },
];
const sut = registryOf({ version: 1, models: [modelEntry('m', { price: undefined, prices: periods })] })
  .models[0]!;
const tokens = { inputTokens: 1_000, cachedTokens: 400, outputTokens: 100 };

function problems(models: unknown[]): string[] {
  const parsed = registryFileSchema.safeParse({ version: 1, models });
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
}

describe('model pricing', () => {
  it('prices by the period in force at the instant, never retroactively', () => {
    // 600 uncached × 1 + 400 cached × 0.25 + 100 × 4 = 1 100 micro-euros
    expect(chargeFor(sut.prices, tokens, new Date('2030-01-31T23:59:59.999Z'))).toEqual({
      costMicros: 1_100,
      currency: 'EUR',
      pricedAt: new Date('2030-01-31T23:59:59.999Z'),
    });
    // The second period has no cached price: cached tokens cost the input price.
    expect(chargeFor(sut.prices, tokens, new Date('2030-02-01T00:00:00Z')).costMicros).toBe(2_800);
    // Before the first period nothing is charged.
    expect(chargeFor(sut.prices, tokens, new Date('2029-12-31T00:00:00Z')).costMicros).toBe(0);
    expect(priceAt(sut.prices, new Date('2035-01-01Z')).inputMicrosPerMillion).toBe(2_000_000n);
  });

  it('rounds half up once, on the whole request, in integers', () => {
    // One micro-unit per million tokens: a token costs a millionth of a micro-unit.
    const [period] = registryOf({
      version: 1,
      models: [
        modelEntry('t', { price: { inputUsdPerMillionTokens: 0.000001, outputUsdPerMillionTokens: 0 } }),
      ],
    }).models[0]!.prices;
    expect(costOf(period!, { inputTokens: 1, cachedTokens: 0, outputTokens: 0 })).toBe(0n);
    expect(costOf(period!, { inputTokens: 500_000, cachedTokens: 0, outputTokens: 0 })).toBe(1n); // 0.5 µ
    expect(costOf(period!, { inputTokens: 499_999, cachedTokens: 0, outputTokens: 0 })).toBe(0n);
    // Four billion tokens at the top price stay exact (BigInt, no float in between).
    const huge = registryOf({
      version: 1,
      models: [
        modelEntry('h', { price: { inputUsdPerMillionTokens: 99_999.999999, outputUsdPerMillionTokens: 0 } }),
      ],
    }).models[0]!;
    expect(costOf(huge.prices[0]!, { inputTokens: 4_000_000_000, cachedTokens: 0, outputTokens: 0 })).toBe(
      399_999_999_996_000n,
    );
  });

  it('charges nothing for a free (cached) replay and bounds a request by its prompt and max tokens', () => {
    expect(chargeFor(sut.prices, tokens, new Date('2030-03-01Z'), true).costMicros).toBe(0);
    expect(maxCostMicros(sut.prices, 100, 50, new Date('2030-03-01Z'))).toBe(600);
  });

  it('refuses unordered periods, mixed currencies, both or neither price form, more than six decimals', () => {
    expect(problems([modelEntry('a', { prices: [periods[1], periods[0]], price: undefined })])).toContain(
      'price periods must be in strictly increasing effectiveFrom order',
    );
    expect(
      problems([modelEntry('a'), modelEntry('b', { price: undefined, prices: periods })]).join(),
    ).toMatch(/one currency \(found EUR, USD\)/);
    expect(problems([modelEntry('a', { prices: periods })])).toContain('set exactly one of price and prices');
    expect(problems([modelEntry('a', { price: undefined })])).toContain(
      'set exactly one of price and prices',
    );
    expect(
      problems([
        modelEntry('a', {
          price: undefined,
          prices: [{ ...periods[0], inputPerMillionTokens: 0.0000001 }],
        }),
      ]),
    ).toContain('at most six decimals');
    expect(
      problems([modelEntry('a', { price: undefined, prices: [{ ...periods[0], currency: 'eur' }] })]).join(),
    ).toMatch(/ISO 4217/);
  });
});
