// Tells a real credential value from the placeholders, references and identifiers that fill
// documentation and code samples ("your_api_key_here", "${TOKEN}", "process.env.SECRET", "self.password").
import { characterClasses, shannonEntropy } from './entropy.util';

const PLACEHOLDER =
  /^(?:<[^>]*>|\[[^\]]*\]|\{\{.*\}\}|\$\{?[\w.]+\}?|%[\w]+%|x{4,}.*|.*x{6,}.*|\*+|\.{3,}|(?:your|my|the|some|a)[_-].*|.*(?:example|placeholder|changeme|change_me|redacted|dummy|sample|here|insert|replace|todo|fixme|secret_?key_?name).*|null|none|nil|true|false|undefined|password\d{0,3}|secret\d{0,3}|token\d{0,3}|test\d{0,3}|admin\d{0,3}|12345678\d*|abc123\w{0,3}|qwerty\w{0,3})$/i;
const CODE_REFERENCE =
  /^(?:[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+|(?:process\.env|os\.environ|env|getenv|config|settings|secrets|vault)\b.*)$/;
const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z_-]*$/;

/** True for values that stand in for a secret rather than being one. */
export function isPlaceholderValue(value: string): boolean {
  if (PLACEHOLDER.test(value)) return true;
  const distinct = new Set(value.toLowerCase()).size;
  return distinct <= 3;
}

/** True when a value found after a key-like name is random enough to be a credential. */
export function looksLikeCredential(value: string): boolean {
  if (value.length < 8 || isPlaceholderValue(value)) return false;
  if (CODE_REFERENCE.test(value) || PLAIN_IDENTIFIER.test(value)) return false;
  const classes = characterClasses(value);
  if (classes >= 3) return true;
  return classes >= 2 && value.length >= 12 && shannonEntropy(value) >= 3.0;
}
