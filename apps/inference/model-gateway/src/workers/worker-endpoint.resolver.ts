// Owns turning a pool definition into worker addresses: a static list as written, or every address a
// DNS name resolves to (a Kubernetes headless service has one record per ready pod), re-resolved
// periodically so scaled-up workers join and removed ones leave.
import { lookup } from 'node:dns/promises';
import { isIPv6 } from 'node:net';

import type { WorkerPoolDefinition } from '../registry/model-registry.schema';

export type DnsLookup = (hostname: string) => Promise<string[]>;

const systemLookup: DnsLookup = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** Splits `host:port`, accepting `[v6]:port`. */
export function splitHostPort(value: string): { host: string; port: number } {
  const index = value.lastIndexOf(':');
  const host = value.slice(0, index).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(value.slice(index + 1)) };
}

export function joinHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The addresses of a pool right now, sorted and deduplicated (a failed lookup rejects). */
export async function resolveWorkerAddresses(
  pool: WorkerPoolDefinition,
  dnsLookup: DnsLookup = systemLookup,
): Promise<string[]> {
  if ('endpoints' in pool) return [...new Set(pool.endpoints)].sort();
  const { host, port } = splitHostPort(pool.dns);
  const addresses = await dnsLookup(host);
  return [...new Set(addresses.map((address) => joinHostPort(address, port)))].sort();
}

/** How often a pool is re-resolved; static pools never change. */
export function refreshIntervalMs(pool: WorkerPoolDefinition): number | undefined {
  return 'dns' in pool ? pool.refreshMs : undefined;
}
