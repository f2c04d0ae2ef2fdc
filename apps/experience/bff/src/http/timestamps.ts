// Unix seconds from whatever a Timestamp decodes to (a Date through ts-proto's wrapper, or the raw
// { seconds, nanos } object), so a loader difference can never turn `created` into NaN.
export function toUnixSeconds(value: unknown, fallback = Date.now()): number {
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Math.floor((Number.isNaN(ms) ? fallback : ms) / 1000);
  }
  if (value && typeof value === 'object' && 'seconds' in value)
    return Number((value as { seconds: unknown }).seconds);
  return Math.floor(fallback / 1000);
}
