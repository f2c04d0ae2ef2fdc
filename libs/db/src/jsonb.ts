// PostgreSQL's jsonb cannot hold U+0000 nor an unpaired UTF-16 surrogate (and a text column cannot hold
// U+0000), both of which a JavaScript string, and so a client's JSON, can carry; writing one fails the
// whole statement. Client text headed for a jsonb or text column goes through jsonbSafe first, which
// puts U+FFFD (the replacement character) in their place.

/** `value` with every string made storable in jsonb (keys included); other values are kept as they are. */
export function jsonbSafe<T>(value: T): T {
  if (typeof value === 'string') return safeString(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => jsonbSafe(item)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [safeString(key), jsonbSafe(item)]),
    ) as T;
  }
  return value;
}

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function safeString(text: string): string {
  return text.replaceAll('\u0000', '\ufffd').replace(UNPAIRED_SURROGATE, '\ufffd');
}
