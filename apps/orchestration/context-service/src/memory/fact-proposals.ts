// Owns what a proposal generation may yield: the JSON schema the model's output is constrained to
// (`{"facts": ["…"]}`), parsing that output (anything else is a format error, counted by the caller),
// cleaning each candidate (whitespace collapsed, storable in PostgreSQL, 500 characters at most) and
// choosing the new ones: never a fact the user already has (proposed or approved, compared case- and
// punctuation-insensitively), never the same one twice, and no more than the caller allows.
import { jsonbSafe } from '@hearth/db';

/** What the proposal model must answer (the worker's grammar enforces it). */
export const PROPOSAL_SCHEMA = {
  type: 'object',
  properties: { facts: { type: 'array', items: { type: 'string' } } },
  required: ['facts'],
  additionalProperties: false,
} as const;

/** The same bound as a fact the user writes. */
export const MAX_FACT_CHARS = 500;
/** Candidates shorter than this are noise ("ok", "I"). */
const MIN_FACT_CHARS = 3;

export class ProposalFormatError extends Error {
  constructor(reason: string) {
    super(`the proposal model's output is not {"facts": [string]}: ${reason}`);
    this.name = 'ProposalFormatError';
  }
}

/** The candidate facts of one generation, cleaned, in the model's order (duplicates kept). */
export function parseProposedFacts(output: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(output);
  } catch {
    throw new ProposalFormatError('not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProposalFormatError('not an object');
  }
  const facts = (value as { facts?: unknown }).facts;
  if (!Array.isArray(facts)) throw new ProposalFormatError('"facts" is not an array');
  return facts
    .filter((fact): fact is string => typeof fact === 'string')
    .map((fact) => jsonbSafe(fact.replace(/\s+/g, ' ').trim()))
    .filter((fact) => fact.length >= MIN_FACT_CHARS && fact.length <= MAX_FACT_CHARS);
}

/** Two facts are the same when they differ only in case, spacing or punctuation. */
export function factKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The candidates that are new (not in `existing`, not repeated), the first `max` of them. */
export function selectNewFacts(
  candidates: readonly string[],
  existing: readonly string[],
  max: number,
): string[] {
  const seen = new Set(existing.map(factKey));
  const fresh: string[] = [];
  for (const candidate of candidates) {
    if (fresh.length >= max) break;
    const key = factKey(candidate);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    fresh.push(candidate);
  }
  return fresh;
}
