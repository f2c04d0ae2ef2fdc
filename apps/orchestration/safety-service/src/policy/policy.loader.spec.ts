import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BUNDLED_POLICY_DIR } from '../app/safety-app.factory';
import { loadPolicies, parsePolicy, PolicyLoadError } from './policy.loader';

const VALID = `
tenant: default
version: 2025-06-01.1
refusal: "No."
input:
  pii: { action: redact }
  secrets: { action: redact }
  injection: { action: block, refusal: "Not that." }
  untrusted_injection: { action: redact }
output:
  pii: { action: allow }
  secrets: { action: block }
  system_prompt_leak: { action: block }
rules:
  pii.ip_address: { action: allow }
`;

const TENANT = '6f1c2a4e-8d3b-4c5f-9a7e-2b1d0c9e8f71';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof PolicyLoadError) return error.problems;
    throw error;
  }
  throw new Error('expected a PolicyLoadError');
}

describe('parsePolicy', () => {
  it('parses a valid policy with defaults filled in', () => {
    const sut = parsePolicy('default.yaml', VALID);
    expect(sut.version).toBe('2025-06-01.1');
    expect(sut.input.injection).toEqual({ action: 'block', refusal: 'Not that.' });
    expect(sut.phone).toEqual({ defaultRegion: 'US' });
    expect(sut.rules['pii.ip_address']).toEqual({ action: 'allow' });
  });

  it('gives a policy without harmful-content settings the flag/block defaults', () => {
    const sut = parsePolicy('default.yaml', VALID);
    const defaults = {
      violence: { action: 'flag' },
      self_harm: { action: 'flag' },
      sexual_minors: { action: 'block' },
      hate: { action: 'flag' },
    };
    expect(sut.input).toMatchObject(defaults);
    expect(sut.output).toMatchObject(defaults);
  });

  it('takes allow, flag or block per harmful-content category and moderation rule', () => {
    const sut = parsePolicy(
      'default.yaml',
      VALID.replace(
        '  untrusted_injection: { action: redact }',
        '  untrusted_injection: { action: redact }\n  hate: { action: block, refusal: "No hate." }',
      ).replace('rules:', 'rules:\n  moderation.rules.violence: { action: allow }'),
    );
    expect(sut.input.hate).toEqual({ action: 'block', refusal: 'No hate.' });
    expect(sut.rules['moderation.rules.violence']).toEqual({ action: 'allow' });
  });

  it.each([
    [
      'a redact action for a harmful-content category',
      VALID.replace(
        '  untrusted_injection: { action: redact }',
        '  untrusted_injection: { action: redact }\n  violence: { action: redact }',
      ),
      'acme.yaml: input.violence.action: expected allow, flag or block',
    ],
    [
      'a redact override of a moderation rule',
      VALID.replace('rules:', 'rules:\n  moderation.guard.hate: { action: redact }'),
      'acme.yaml: rules.moderation.guard.hate.action: expected allow, flag or block',
    ],
  ])('rejects %s', (_, source, prefix) => {
    const problems = problemsOf(() => parsePolicy('acme.yaml', source));
    expect(problems.some((p) => p.startsWith(prefix))).toBe(true);
  });

  it.each([
    [
      'an unknown action',
      VALID.replace('pii: { action: redact }', 'pii: { action: mask }'),
      'acme.yaml: input.pii.action: ',
    ],
    [
      'a misspelt rule id',
      VALID.replace('pii.ip_address:', 'pii.ip_adress:'),
      'acme.yaml: rules.pii.ip_adress: ',
    ],
    [
      'a missing detector',
      VALID.replace('  secrets: { action: block }\n', ''),
      'acme.yaml: output.secrets: required',
    ],
    [
      'a refusal on a non-block action',
      VALID.replace('pii: { action: redact }', 'pii: { action: redact, refusal: "x" }'),
      'acme.yaml: input.pii.refusal: unknown key',
    ],
    [
      'an unknown key',
      VALID.replace('refusal: "No."', 'refusal: "No."\nrefusals: "typo"'),
      'acme.yaml: refusals: unknown key',
    ],
    [
      'a tenant that is neither default nor a UUID',
      VALID.replace('tenant: default', 'tenant: acme'),
      'acme.yaml: tenant: ',
    ],
    [
      'a bad phone region',
      VALID.replace('refusal: "No."', 'refusal: "No."\nphone: { defaultRegion: XX }'),
      'acme.yaml: phone.defaultRegion: ',
    ],
  ])('rejects %s naming the file and the failing path', (_, source, prefix) => {
    const problems = problemsOf(() => parsePolicy('acme.yaml', source));
    expect(problems.some((p) => p.startsWith(prefix))).toBe(true);
  });

  it('rejects text that is not YAML, naming the line', () => {
    const [problem] = problemsOf(() => parsePolicy('broken.yaml', 'tenant: default\ninput: [unclosed\n'));
    expect(problem).toMatch(/^broken\.yaml \(line \d+\): not valid YAML/);
  });

  it('rejects an empty file', () => {
    expect(problemsOf(() => parsePolicy('empty.yaml', ''))[0]).toMatch(/^empty\.yaml: \(root\): /);
  });
});

describe(loadPolicies.name, () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'safety-policies-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads every policy file and falls back to the default policy', () => {
    writeFileSync(join(dir, 'default.yaml'), VALID);
    writeFileSync(
      join(dir, 'acme.yml'),
      VALID.replace('tenant: default', `tenant: ${TENANT}`).replace('2025-06-01.1', 'acme.7'),
    );
    writeFileSync(join(dir, 'notes.txt'), 'not a policy');

    const sut = loadPolicies(dir);

    expect(sut.size).toBe(2);
    expect(sut.forTenant(TENANT).version).toBe('acme.7');
    expect(sut.forTenant('00000000-0000-4000-8000-000000000000').version).toBe('2025-06-01.1');
  });

  it('lists the problems of every bad file at once', () => {
    writeFileSync(join(dir, 'default.yaml'), VALID);
    writeFileSync(
      join(dir, 'a.yaml'),
      VALID.replace('tenant: default', `tenant: ${TENANT}`).replace('action: redact', 'action: nope'),
    );
    writeFileSync(join(dir, 'b.json'), '{"tenant": "default"}');

    const problems = problemsOf(() => loadPolicies(dir));

    expect(problems.some((p) => p.startsWith('a.yaml: input.pii.action:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('b.json: version: required'))).toBe(true);
  });

  it('rejects two policies for one tenant and a folder without a default policy', () => {
    writeFileSync(join(dir, 'a.yaml'), VALID.replace('tenant: default', `tenant: ${TENANT}`));
    expect(problemsOf(() => loadPolicies(dir))[0]).toMatch(/no policy with tenant: default/);
    writeFileSync(join(dir, 'b.yaml'), VALID.replace('tenant: default', `tenant: ${TENANT}`));
    expect(problemsOf(() => loadPolicies(dir))[0]).toMatch(
      /^b\.yaml: tenant: ".+" already has a policy in a\.yaml/,
    );
  });

  it('rejects a folder that does not exist', () => {
    expect(problemsOf(() => loadPolicies(join(dir, 'missing')))[0]).toMatch(/cannot read the policy folder/);
  });

  it('loads the policies shipped with the app', () => {
    expect(loadPolicies(BUNDLED_POLICY_DIR).forTenant('any').tenant).toBe('default');
  });
});
