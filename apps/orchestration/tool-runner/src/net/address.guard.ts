// Owns which network addresses the http tools may connect to, and which hosts they may name. An
// address is checked after DNS resolution (the one actually dialled), so a public name that resolves
// to a private, loopback, link-local or metadata address is refused: only global unicast passes.
// Loopback is allowed only when explicitly configured (local test servers), never other ranges.
import * as ipaddr from 'ipaddr.js';

export interface AddressPolicy {
  allowLoopback: boolean;
}

export type AddressVerdict = { allowed: true } | { allowed: false; range: string };

/** Decides whether an IP literal may be dialled. Unparseable input is refused. */
export function checkAddress(address: string, policy: AddressPolicy): AddressVerdict {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process(): IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is.
    parsed = ipaddr.process(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return { allowed: false, range: 'invalid' };
  }
  const range = parsed.range();
  if (range === 'unicast') return { allowed: true };
  if (range === 'loopback' && policy.allowLoopback) return { allowed: true };
  return { allowed: false, range };
}

/**
 * Whether `hostname` is on the allowlist: exact names (case-insensitive) or `*.example.com`, which
 * matches subdomains of example.com but not example.com itself.
 */
export function isHostAllowed(hostname: string, allowlist: readonly string[]): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\[|\]$/g, '');
  return allowlist.some((entry) => {
    const pattern = entry.toLowerCase();
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
    return host === pattern;
  });
}
