import { SecretsDetector } from './secrets.detector';

// Synthetic values in each provider's format (random characters, never real credentials).
const OPENAI = 'sk-proj-Q9v2Lm8Xc4Tb7Rn1Wz5Ky3Hd6Fs0Jp2AaB';
const AWS = 'AKIAJ2QWERTYUIOPASDF';
const GITHUB = 'ghp_' + 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5';
const SLACK = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
const PEM =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----';

describe(SecretsDetector.name, () => {
  const sut = new SecretsDetector();
  const found = (text: string) => sut.detect(text).map((d) => [d.ruleId, text.slice(d.start, d.end)]);

  it.each([
    ['secrets.openai_api_key', `key ${OPENAI} here`, OPENAI],
    ['secrets.aws_access_key_id', `aws_access_key_id = ${AWS}`, AWS],
    ['secrets.github_token', `GITHUB_TOKEN: ${GITHUB}`, GITHUB],
    ['secrets.slack_token', `SLACK_BOT_TOKEN=${SLACK}`, SLACK],
    ['secrets.jwt', `Authorization: Bearer ${JWT}`, JWT],
    ['secrets.private_key', `my key:\n${PEM}\nthanks`, PEM],
    ['secrets.url_credentials', 'postgres://app:s3cr3tP4ssw0rd@db:5432/x', 's3cr3tP4ssw0rd'],
    [
      'secrets.generic_high_entropy',
      'API_KEY="Zx81kLq0Vb7Tm2Rw9Yc4Hd6Ns3Pf5Ga1"',
      'Zx81kLq0Vb7Tm2Rw9Yc4Hd6Ns3Pf5Ga1',
    ],
    ['secrets.generic_high_entropy', 'my password is Tr0ub4dor&3xQ ok', 'Tr0ub4dor&3xQ'],
    [
      'secrets.generic_high_entropy',
      'temporary secret cSke4R1J/dBi2ewQr8t4+lC4LvGNWAMs',
      'cSke4R1J/dBi2ewQr8t4+lC4LvGNWAMs',
    ],
  ])('finds %s', (ruleId, text, value) => {
    expect(found(text)).toEqual([[ruleId, value]]);
  });

  it('covers an unterminated private key block to the end of the text', () => {
    const text = 'truncated:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
    expect(found(text)).toEqual([['secrets.private_key', text.slice(text.indexOf('-----'))]]);
  });

  it.each([
    'export OPENAI_API_KEY=sk-...',
    'api_key = "YOUR_API_KEY_HERE"',
    'headers: { Authorization: `Bearer ${process.env.API_TOKEN}` }',
    'AWS docs use AKIAIOSFODNN7EXAMPLE as the sample key',
    'password: ********',
    'max_tokens = 1024',
    'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")',
    'password = config.get("db.password")',
    'commit 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
    '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----',
    'postgres://user:password@localhost/mydb',
    'eyJub3QiOiJhIGp3dCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N',
    '',
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });
});
