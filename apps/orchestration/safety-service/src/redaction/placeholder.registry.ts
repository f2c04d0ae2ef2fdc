// Hands out stable placeholders within one turn: the same value always gets the same `[LABEL_n]`,
// different values of one label get consecutive numbers, and numbering continues from placeholders
// the turn already used (passed back by the orchestrator), so input and output redaction agree.
// The registry holds original values; it lives for one request and is never logged.

export interface PlaceholderValue {
  readonly placeholder: string;
  readonly original: string;
}

const PLACEHOLDER = /^\[([A-Z][A-Z0-9_]*)_(\d+)\]$/;

export class PlaceholderRegistry {
  private readonly byKey = new Map<string, string>();
  private readonly lastNumber = new Map<string, number>();
  private readonly added: PlaceholderValue[] = [];

  constructor(known: readonly PlaceholderValue[] = []) {
    for (const entry of known) {
      const parsed = PLACEHOLDER.exec(entry.placeholder);
      if (!parsed) continue;
      const [, label, number] = parsed;
      this.lastNumber.set(label, Math.max(this.lastNumber.get(label) ?? 0, Number(number)));
      this.byKey.set(rawKey(label, entry.original), entry.placeholder);
    }
  }

  /** The placeholder for a value: reused when the value (or its canonical form) was seen, else new. */
  placeholderFor(label: string, original: string, canonical: string = original): string {
    const canonicalKey = `${label}\u0000=${canonical}`;
    const existing = this.byKey.get(canonicalKey) ?? this.byKey.get(rawKey(label, original));
    if (existing) {
      this.byKey.set(canonicalKey, existing);
      return existing;
    }
    const number = (this.lastNumber.get(label) ?? 0) + 1;
    this.lastNumber.set(label, number);
    const placeholder = `[${label}_${number}]`;
    this.byKey.set(canonicalKey, placeholder);
    this.byKey.set(rawKey(label, original), placeholder);
    this.added.push({ placeholder, original });
    return placeholder;
  }

  /** Placeholders created by this registry (not the known ones it started with), oldest first. */
  takeAdded(): PlaceholderValue[] {
    return this.added.splice(0, this.added.length);
  }
}

function rawKey(label: string, original: string): string {
  return `${label}\u0000:${original}`;
}
