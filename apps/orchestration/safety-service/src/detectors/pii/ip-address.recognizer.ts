// IP addresses (v4 and v6) that can point at a host or a person's connection. Loopback, unspecified,
// netmask, network (x.x.x.0) and broadcast (x.x.x.255) values identify nobody and are left alone, as
// are dotted numbers that the words around them call something else: versions ("v1.2.3.4",
// "firmware 4.1.0.12", `<AssemblyVersion>1.0.0.0`, "bumps rails from 7.1.3.2 to 7.1.3.4"), object
// identifiers ("OID 2.5.4.3") and section numbers ("section 4.2.1.3").
import { isIPv4, isIPv6 } from 'node:net';

import type { Detection } from '../detection.model';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`\\b${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g');
const IPV6 = /(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:)(?![\w:])/g;
const IPV6_HINT = /[0-9A-Fa-f]:[0-9A-Fa-f]*:/;

// Words that say the dotted number right after them is not an address: versioned things and
// identifier schemes ("firmware 4.1.0.12", "Version=8.0.0.0", "<FileVersion>4.2.0.17", "OID 2.5.4.3").
const NAMED_BEFORE =
  '(?:v|ver|version|release|build|rev|revision|firmware|fw|bios|driver|kernel|sdk|runtime|framework|assembly|assemblyversion|fileversion|productversion|chrome|chromium|firefox|safari|python|java|jdk|ruby|rails|php|perl|dotnet|ios|ipados|macos|android|windows|ubuntu|debian|oid|section|clause|chapter|paragraph|figure|table|step|article|rfc)';
const CUE_BEFORE = new RegExp(`(?:^|[^\\w.])${NAMED_BEFORE}(?:\\s*[=:>"']+\\s*|\\s+)$`, 'i');
// A version change, up to three words after its verb: "bumps rails from 7.1.3.2", "upgrade the
// agent from 7.2.0.14". Only with "from": "update the record to 10.0.0.7" may well be an address.
const CHANGE_BEFORE =
  /(?:^|[^\w.])(?:upgrade|upgraded|upgrades|upgrading|downgrade|downgraded|bump|bumps|bumped|update|updated|updates|updating|migrate|migrated)\s+(?:[\w.+-]+\s+){0,3}from\s+["']?$/i;
// Between two dotted numbers of one list or range ("7.2.0.14 to 7.2.1.3", "7.2.0.14 → 7.2.1.3").
const LIST_JOINER = /^\s*(?:,|and|or|to|->|→|=>|-|–|\.\.)\s*["']?$/i;
const CLAUSE_BREAK = /[.!?;\n](?:\s|$)/;

export function recognizeIpAddresses(text: string): Detection[] {
  const found: Detection[] = [];
  let previousNonAddress: { end: number } | undefined;
  for (const match of text.matchAll(IPV4)) {
    const value = match[0];
    if (match.index > 0 && text[match.index - 1] === '.') continue;
    if (!isIPv4(value) || !identifiesAHost(value)) {
      if (isIPv4(value)) previousNonAddress = { end: match.index + value.length };
      continue;
    }
    if (
      calledSomethingElse(text, match.index) ||
      (previousNonAddress && LIST_JOINER.test(text.slice(previousNonAddress.end, match.index)))
    ) {
      previousNonAddress = { end: match.index + value.length };
      continue;
    }
    previousNonAddress = undefined;
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

/** True when the words before `start`, within its clause, say the number is a version or an id. */
function calledSomethingElse(text: string, start: number): boolean {
  let before = text.slice(Math.max(0, start - 64), start);
  const lastBreak = lastIndexOfPattern(before, CLAUSE_BREAK);
  if (lastBreak >= 0) before = before.slice(lastBreak + 1);
  return CUE_BEFORE.test(before) || CHANGE_BEFORE.test(before);
}

function lastIndexOfPattern(text: string, pattern: RegExp): number {
  let last = -1;
  for (const m of text.matchAll(new RegExp(pattern.source, 'g'))) last = m.index;
  return last;
}

function identifiesAHost(ipv4: string): boolean {
  const octets = ipv4.split('.').map(Number);
  // 0.x and 127.x name no remote host, 255.x is a netmask; a last octet of 0 or 255 is the network
  // or broadcast address of a /24 (or smaller) subnet, never one machine.
  return octets[0] !== 0 && octets[0] !== 127 && octets[0] !== 255 && octets[3] !== 0 && octets[3] !== 255;
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
