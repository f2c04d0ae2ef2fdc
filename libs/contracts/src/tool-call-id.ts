// Tool-call ids in OpenAI's form. Every response gets its own: clients, and the confirmations of
// calls waiting for a user, tell calls apart by them.
import { randomBytes } from 'node:crypto';

const ALPHANUMERICS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `call_` and 24 random alphanumerics. */
export function newToolCallId(): string {
  return `call_${[...randomBytes(24)].map((b) => ALPHANUMERICS[b % ALPHANUMERICS.length]).join('')}`;
}
