// IP addresses (v4 and v6) that can point at a host or a person's connection. Loopback, unspecified,
// broadcast and netmask values identify nobody and are left alone, as are dotted version numbers
// ("v1.2.3.4", "version 10.0.0.1").
import { isIPv4, isIPv6 } from 'node:net';

import type { Detection } from '../detection.model';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`\\b${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g');
const IPV6 = /(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:)(?![\w:])/g;
const IPV6_HINT = /[0-9A-Fa-f]:[0-9A-Fa-f]*:/;
const VERSION_PREFIX =
  /(?:\bv|\bversion|\bver\.?|\brelease|\bbuild|\brev|\bchrome|\bfirefox|\bsafari|\bnode|\bpython|\bjava)\s*$/i;

export function recognizeIpAddresses(text: string): Detection[] {
  const found: Detection[] = [];
  for (const match of text.matchAll(IPV4)) {
    const value = match[0];
    if (match.index > 0 && text[match.index - 1] === '.') continue;
    if (!isIPv4(value) || !identifiesAHost(value)) continue;
    if (VERSION_PREFIX.test(text.slice(Math.max(0, match.index - 12), match.index))) continue;
    found.push(ip(match.index, value, value));
  }
  if (!IPV6_HINT.test(text) && !text.includes('::')) return found;
  for (const match of text.matchAll(IPV6)) {
    const value = match[0];
    if (match.index > 0 && /[\w:.]/.test(text[match.index - 1])) continue;
    if (!isIPv6(value) || value === '::' || value === '::1') continue;
    if (value.split(':').filter(Boolean).length < 3) continue;
    found.push(ip(match.index, value, value.toLowerCase()));
  }
  return found;
}

function identifiesAHost(ipv4: string): boolean {
  const first = Number(ipv4.split('.')[0]);
  return first !== 0 && first !== 127 && first !== 255;
}

function ip(start: number, value: string, canonical: string): Detection {
  return {
    ruleId: 'pii.ip_address',
    category: 'pii',
    start,
    end: start + value.length,
    label: 'IP_ADDRESS',
    canonical,
  };
}
