// The one UUID check of the gRPC edge: the canonical 8-4-4-4-12 hex form PostgreSQL's uuid columns
// accept (any version), so an id that passes never fails a query as malformed.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
