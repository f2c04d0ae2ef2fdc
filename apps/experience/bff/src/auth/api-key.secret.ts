// Owns the shape of API key secrets: `sk-` plus 43 random base64url characters (256 bits). Only the
// SHA-256 of a secret is stored; its first characters (the prefix) are kept in clear so users can
// tell keys apart in listings and revoke one by it.
import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX_LENGTH = 12;
const SECRET_PATTERN = /^sk-[A-Za-z0-9_-]{43}$/;

export interface NewApiKeySecret {
  secret: string;
  hash: string;
  prefix: string;
}

export function generateApiKeySecret(): NewApiKeySecret {
  const secret = `sk-${randomBytes(32).toString('base64url')}`;
  return { secret, hash: hashApiKey(secret), prefix: secret.slice(0, API_KEY_PREFIX_LENGTH) };
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Cheap shape check, so garbage never reaches the database. */
export function looksLikeApiKey(secret: string): boolean {
  return SECRET_PATTERN.test(secret);
}
