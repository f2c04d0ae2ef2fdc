// Secrets detector: API keys in the formats of the common providers (OpenAI, Anthropic, AWS, GitHub,
// Slack, Stripe, Google), JWTs (header checked to decode as one), PEM/OpenSSH private keys, passwords
// in connection URLs, and high-entropy values assigned to key-like names ("api_key = ...").
import { resolveOverlaps, type Detection } from '../detection.model';
import { characterClasses } from './entropy.util';
import { isPlaceholderValue, looksLikeCredential } from './secret-value.util';

interface TokenRule {
  ruleId: string;
  label: string;
  pattern: RegExp;
}

const TOKEN_RULES: readonly TokenRule[] = [
  {
    ruleId: 'secrets.anthropic_api_key',
    label: 'API_KEY',
    pattern: /(?<![\w-])sk-ant-[A-Za-z0-9_-]{32,}(?![\w-])/g,
  },
  {
    ruleId: 'secrets.openai_api_key',
    label: 'API_KEY',
    pattern: /(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}(?![\w-])/g,
  },
  {
    ruleId: 'secrets.aws_access_key_id',
    label: 'AWS_ACCESS_KEY',
    pattern:
      /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z2-7]{16}(?![A-Za-z0-9])/g,
  },
  {
    ruleId: 'secrets.github_token',
    label: 'GITHUB_TOKEN',
    pattern: /(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{60,251})(?!\w)/g,
  },
  {
    ruleId: 'secrets.slack_token',
    label: 'SLACK_TOKEN',
    pattern:
      /(?<![\w-])(?:xox[abcoprse]-(?:\d+-)?[A-Za-z0-9-]{10,250}|xapp-\d-[A-Z0-9]{6,}-\d+-[a-f0-9]{16,})(?![\w-])/g,
  },
  {
    ruleId: 'secrets.slack_webhook',
    label: 'WEBHOOK_URL',
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/_-]{20,}/g,
  },
  {
    ruleId: 'secrets.stripe_key',
    label: 'API_KEY',
    pattern: /(?<!\w)(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,247}(?!\w)/g,
  },
  {
    ruleId: 'secrets.google_api_key',
    label: 'API_KEY',
    pattern: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g,
  },
];

const JWT = /(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?![\w-])/g;
const PRIVATE_KEY =
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g;
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@]{1,64}:([^\s@/]{3,128})@[^\s/]/gi;
// The name only needs its key-like word: `AWS_SECRET_ACCESS_KEY` matches from "SECRET" on. Not
// anchoring on the whole identifier keeps this one linear scan.
const KEY_ASSIGNMENT =
  /(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|passphrase|credentials?|auth[_-]?key|access[_-]?key|private[_-]?key|signing[_-]?key)[A-Za-z0-9_]*["']?\s*(?:[:=]|=>|:=|\bis\b)\s*["'`]?([^\s"'`,;()<>]{8,200})(?![(\w])/gi;
// "secret <value>" without an operator, only for values that are unmistakably random.
const KEY_THEN_VALUE =
  /\b(?:api[_ -]?key|secret(?: access)?(?: key)?|token|passphrase)\s+([A-Za-z0-9+/=_-]{16,200})(?![\w/+=-])/gi;
const BEARER = /\bbearer\s+([A-Za-z0-9._~+/-]{16,}=*)/gi;

export const SECRETS_RULE_IDS = [
  ...TOKEN_RULES.map((rule) => rule.ruleId),
  'secrets.jwt',
  'secrets.private_key',
  'secrets.url_credentials',
  'secrets.generic_high_entropy',
] as const;

const SPECIFICITY = (d: Detection): number =>
  d.ruleId === 'secrets.private_key'
    ? 0
    : d.ruleId === 'secrets.jwt'
      ? 1
      : d.ruleId === 'secrets.url_credentials'
        ? 3
        : d.ruleId === 'secrets.generic_high_entropy'
          ? 4
          : 2;

export class SecretsDetector {
  detect(text: string): Detection[] {
    const found: Detection[] = [];
    for (const rule of TOKEN_RULES) {
      for (const match of text.matchAll(rule.pattern)) {
        if (isPlaceholderValue(match[0]) || /EXAMPLE$/.test(match[0])) continue;
        found.push(secret(rule.ruleId, rule.label, match.index, match[0].length));
      }
    }
    if (text.includes('eyJ')) {
      for (const match of text.matchAll(JWT)) {
        if (hasJwtHeader(match[0])) found.push(secret('secrets.jwt', 'JWT', match.index, match[0].length));
      }
    }
    if (text.includes('PRIVATE KEY')) {
      for (const match of text.matchAll(PRIVATE_KEY)) {
        found.push(secret('secrets.private_key', 'PRIVATE_KEY', match.index, match[0].length));
      }
    }
    if (text.includes('://')) {
      for (const match of text.matchAll(URL_CREDENTIALS)) {
        const password = match[1];
        if (isPlaceholderValue(password)) continue;
        const start = match.index + match[0].lastIndexOf(`:${password}@`) + 1;
        found.push(secret('secrets.url_credentials', 'PASSWORD', start, password.length));
      }
    }
    for (const match of text.matchAll(KEY_THEN_VALUE)) {
      const value = match[1];
      if (characterClasses(value) < 3 || isPlaceholderValue(value)) continue;
      const start = match.index + match[0].lastIndexOf(value);
      found.push(secret('secrets.generic_high_entropy', 'SECRET', start, value.length));
    }
    for (const pattern of [KEY_ASSIGNMENT, BEARER]) {
      for (const match of text.matchAll(pattern)) {
        const value = match[1];
        if (!looksLikeCredential(value)) continue;
        const start = match.index + match[0].lastIndexOf(value);
        found.push(secret('secrets.generic_high_entropy', 'SECRET', start, value.length));
      }
    }
    return resolveOverlaps(found, SPECIFICITY);
  }
}

function secret(ruleId: string, label: string, start: number, length: number): Detection {
  return { ruleId, category: 'secrets', start, end: start + length, label };
}

/** A JWT's first segment is base64url JSON naming its algorithm or type. */
function hasJwtHeader(token: string): boolean {
  try {
    const header: unknown = JSON.parse(
      Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'),
    );
    return typeof header === 'object' && header !== null && ('alg' in header || 'typ' in header);
  } catch {
    return false;
  }
}
