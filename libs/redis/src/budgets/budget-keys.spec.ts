import {
  budgetsOf,
  budgetWindow,
  describeBudget,
  holdsKey,
  limitField,
  limitsKey,
  spentKey,
} from './budget-keys';

const TENANT = '0b7c2f4e-8f0a-4c1e-9d55-3b0f1d2a4c6e';
const KEY = '9d1c4e2a-7b3f-4a58-8e6d-1f0c2b3a4d5e';
const USER = '5e2d7a10-3c4b-4f8e-a1d2-7c9b0e6f5a43';

describe(budgetWindow.name, () => {
  it('is the UTC day or month holding the instant, end exclusive, across a year end', () => {
    const at = new Date('2026-12-31T23:59:59.999Z');
    expect(budgetWindow('daily', at)).toEqual({
      id: 'd2026-12-31',
      start: new Date('2026-12-31T00:00:00Z'),
      end: new Date('2027-01-01T00:00:00Z'),
    });
    expect(budgetWindow('monthly', at)).toEqual({
      id: 'm2026-12',
      start: new Date('2026-12-01T00:00:00Z'),
      end: new Date('2027-01-01T00:00:00Z'),
    });
    expect(budgetWindow('daily', new Date('2027-01-01T00:00:00Z')).id).toBe('d2027-01-01');
    expect(budgetWindow('monthly', new Date('2028-02-29T12:00:00Z')).end).toEqual(new Date('2028-03-01Z'));
  });
});

describe(budgetsOf.name, () => {
  it("counts a key's request toward its key, its user and its tenant, each once per period", () => {
    const refs = budgetsOf({ tenantId: TENANT, apiKeyId: KEY, userId: USER });
    expect(refs.map(limitField)).toEqual([
      `tenant:${TENANT}:daily`,
      `tenant:${TENANT}:monthly`,
      `api_key:${KEY}:daily`,
      `api_key:${KEY}:monthly`,
      `user:${USER}:daily`,
      `user:${USER}:monthly`,
    ]);
    expect(new Set(refs.map(limitField)).size).toBe(6);
    expect(budgetsOf({ tenantId: TENANT, apiKeyId: KEY, userId: '' })).toHaveLength(4);
  });

  it("keeps every key of a tenant under the tenant's hash tag and names budgets for people", () => {
    const [ref] = budgetsOf({ tenantId: TENANT, apiKeyId: KEY });
    for (const key of [limitsKey(TENANT), spentKey(TENANT, ref!, 'd2026-12-07'), holdsKey(TENANT, ref!, 'x')])
      expect(key).toContain(`{${TENANT}}`);
    expect(describeBudget({ scope: 'api_key', subjectId: KEY, period: 'monthly' })).toBe(
      `monthly budget of API key ${KEY}`,
    );
  });
});
