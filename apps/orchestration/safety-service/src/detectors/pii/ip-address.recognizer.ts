// IP addresses (v4 and v6) that can point at a host or a person's connection. Loopback, unspecified,
// link-local (169.254.x.x: the cloud metadata endpoint, self-assigned addresses), multicast and
// reserved, netmask, network (x.x.x.0) and broadcast (x.x.x.255) values identify nobody and are left
// alone, as are dotted numbers that the words around them call something else: versions
// ("v1.2.3.4", "firmware 4.1.0.12", `<AssemblyVersion>1.0.0.0`, "bumps rails from 7.1.3.2 to
// 7.1.3.4", "the 3.4.1.2 upgrade"), object identifiers ("OID 2.5.4.3", "X509v3 Basic Constraints
// (2.5.29.19)"; only a number whose first part is 0-2 can be one), section and requirement numbers ("section 4.2.1.3", "requirement 3.2.1.4"), and a
// dotted number inside a larger name (`app-1.4.7.212-linux.tar.gz`, `setup-1.4.7.212.msi`,
// `TC-3.2.1.4-a`), a git tag (`refs/tags/6.3.2.1`), and every other place the text writes a number
// it called a version once. Hex pairs joined by colons (WWNs, fingerprints) are bytes, not IPv6
// addresses. A version-shaped number ("2.0.1.7", "13.0.3.1": small first three parts) is
// an address only where the clause speaks of hosts or connections, or a port, prefix or URL marks it.
import { isIPv4, isIPv6 } from 'node:net';

import type { Detection } from '../detection.model';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`\\b${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g');
const IPV6 = /(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:)(?![\w:])/g;
const IPV6_HINT = /[0-9A-Fa-f]:[0-9A-Fa-f]*:/;

// Words that say the dotted number right after them is not an address: versioned things and
// identifier schemes ("firmware 4.1.0.12", "Version=8.0.0.0", "<FileVersion>4.2.0.17", "OID 2.5.4.3").
const NAMED_BEFORE =
  '(?:v|ver|version|release|build|rev|revision|firmware|fw|bios|driver|kernel|sdk|runtime|framework|assembly|assemblyversion|fileversion|productversion|chrome|chromium|firefox|safari|python|java|jdk|ruby|rails|php|perl|dotnet|ios|ipados|macos|android|windows|ubuntu|debian|oid|section|clause|chapter|paragraph|figure|table|step|article|rfc|requirement|req|annex|appendix)';
const CUE_BEFORE = new RegExp(`(?:^|[^\\w.])${NAMED_BEFORE}(?:\\s*[=:>"']+\\s*|\\s+)$`, 'i');
// A version change, up to three words after its verb: "bumps rails from 7.1.3.2", "upgrade the
// agent from 7.2.0.14". Only with "from": "update the record to 10.0.0.7" may well be an address.
const CHANGE_BEFORE =
  /(?:^|[^\w.])(?:upgrade|upgraded|upgrades|upgrading|downgrade|downgraded|bump|bumps|bumped|update|updated|updates|updating|migrate|migrated)\s+(?:[\w.+-]+\s+){0,3}from\s+["']?$/i;
// Between two dotted numbers of one list or range ("7.2.0.14 to 7.2.1.3", "7.2.0.14 → 7.2.1.3").
// The noun right after it says it is a version: "the 3.4.1.2 upgrade", "7.2.0.14 release notes".
const CUE_AFTER =
  /^\s+(?:upgrade|update|release|build|patch|hotfix|version|firmware|installer|rollout|changelog)s?\b/i;
// An object-identifier scheme named earlier in the clause: "X509v3 Subject Alternative Name
// (2.5.29.17)" (how openssl prints extensions), "the ASN.1 arc 2.5.4.6", "MIB object 1.3.6.1". Not
// "SNMP" or "X.509" alone: "the SNMP agent at 10.0.0.5" and "served by 10.0.0.5" are addresses.
const OID_CONTEXT = /\b(?:oids?|object identifiers?|x509v3|asn\.1|mib)\b/i;
// Glued to a name: `app-1.4.7.212-linux`, `TC-3.2.1.4-a`, `setup-1.4.7.212.msi`.
// Letters only: `10.0.0.1-10.0.0.254` is a range of addresses, not a name.
const GLUED_BEFORE = /[A-Za-z][-_]$/;
const GLUED_AFTER = /^(?:[-_][A-Za-z]|\.[A-Za-z])/;
// The last part of a git ref or a release path: `refs/tags/6.3.2.1`, `tags/5.4.0.2`, `releases/tag/...`.
const GIT_REF_BEFORE = /(?:\brefs\/(?:tags|heads)\/|\btags?\/|\breleases?\/(?:tag\/|download\/)?)$/i;
// Version-shaped numbers ("2.0.1.7") count as addresses only with one of these nearby: a word about
// hosts and connections, a port or prefix length after it, or a URL or login glued before it.
const VERSION_PART_MAX = 30;
const NETWORK_WORDS =
  /\b(?:ip|ips|ipv4|addr|address|addresses|host|hosts|hostname|server|servers|client|clients|peer|peers|remote|src|dst|source|destination|gateway|gw|dns|nameserver|resolver|proxy|router|route|subnet|ping|pinged|traceroute|tracert|nslookup|ssh|telnet|curl|wget|connect|connects|connected|connecting|connection|login|logins|logged|listen|listens|listening|bind|bound|nat|firewall|vpn|egress|ingress|endpoint|machine|box|instance|vm|blocked|banned|allowed|allowlist|whitelist|blocklist|blacklist|denied|attacker|visitor|origin|forwarded|reachable|unreachable|resolves|resolved|interface|eth\d|wlan\d|network|lan|wan)\b/i;
const NETWORK_AFTER = /^(?::\d{1,5}\b|\/\d{1,2}\b|\/)/;
const NETWORK_JOINED_BEFORE = /(?:\/\/|@|\bip=|\bsrc=|\bdst=|\bhost=)$/i;
const LIST_JOINER = /^\s*(?:,|and|or|to|->|→|=>|-|–|\.\.)\s*["']?$/i;
const CLAUSE_BREAK = /[.!?;\n](?:\s|$)/;

export function recognizeIpAddresses(text: string): Detection[] {
  const found: Detection[] = [];
  const matches = [...text.matchAll(IPV4)].filter((m) => m.index === 0 || text[m.index - 1] !== '.');
  // A dotted number the text calls a version or an id once is that throughout: `git push origin
  // refs/tags/6.3.2.1 && gh release create 6.3.2.1` names one tag twice.
  const calledElsewhere = new Set(
    matches
      .filter((m) => isIPv4(m[0]) && calledSomethingElse(text, m.index, m.index + m[0].length))
      .map((m) => m[0]),
  );
  let previousNonAddress: { end: number } | undefined;
  for (const match of matches) {
    const value = match[0];
    if (!isIPv4(value) || !identifiesAHost(value)) {
      if (isIPv4(value)) previousNonAddress = { end: match.index + value.length };
      continue;
    }
    const end = match.index + value.length;
    if (
      calledElsewhere.has(value) ||
      (previousNonAddress && LIST_JOINER.test(text.slice(previousNonAddress.end, match.index))) ||
      (versionShaped(value) && !networkEvidence(text, match.index, end))
    ) {
      previousNonAddress = { end };
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
    // Bytes written as hex pairs (a Fibre Channel WWN `50:06:01:60:3b:a0:12:34`, a key fingerprint or
    // certificate serial): an address's groups are not all two digits long with none left out.
    if (!value.includes('::') && value.split(':').every((group) => group.length === 2)) continue;
    found.push(ip(match.index, value, value.toLowerCase()));
  }
  return found;
}

/** True when the words around `start`..`end`, within its clause, say the number is a version or an id. */
function calledSomethingElse(text: string, start: number, end: number): boolean {
  const glued = text.slice(Math.max(0, start - 2), start);
  const after = text.slice(end, end + 24);
  if (GLUED_BEFORE.test(glued) || GLUED_AFTER.test(after) || CUE_AFTER.test(after)) return true;
  if (GIT_REF_BEFORE.test(text.slice(Math.max(0, start - 24), start))) return true;
  // A scheme name may stand a few OIDs back ("X509v3 Subject Alternative Name (2.5.29.17) and Basic
  // Constraints (2.5.29.19)"): a longer window for it than for the cue words right before.
  let clause = text.slice(Math.max(0, start - 128), start);
  const lastBreak = lastIndexOfPattern(clause, CLAUSE_BREAK);
  if (lastBreak >= 0) clause = clause.slice(lastBreak + 1);
  const before = clause.slice(-64);
  return (
    CUE_BEFORE.test(before) ||
    CHANGE_BEFORE.test(before) ||
    (OID_CONTEXT.test(clause) && couldBeAnOid(text.slice(start, end)))
  );
}

/**
 * An object identifier's first arc is 0, 1 or 2 (ITU-T, ISO, joint): "SNMP walk of OID 1.3.6.1.2.1.1.5
 * on 192.0.2.44" names an OID and then a host.
 */
function couldBeAnOid(ipv4: string): boolean {
  return Number(ipv4.slice(0, ipv4.indexOf('.'))) <= 2;
}

/**
 * True for a four-part number that reads as a version as readily as an address: small first three
 * parts ("2.0.1.7", "13.0.3.1", "5.0.0.2"), outside 10/8 (a private network, where such addresses are
 * common). About 0.2 % of the IPv4 space has this shape; most four-part versions do.
 */
function versionShaped(ipv4: string): boolean {
  const [a, b, c] = ipv4.split('.').map(Number);
  return a !== 10 && a <= VERSION_PART_MAX && b <= VERSION_PART_MAX && c <= VERSION_PART_MAX;
}

/** True when the clause around the number speaks of networks: a host word, a port, a prefix, a URL. */
function networkEvidence(text: string, start: number, end: number): boolean {
  if (
    NETWORK_AFTER.test(text.slice(end, end + 8)) ||
    NETWORK_JOINED_BEFORE.test(text.slice(Math.max(0, start - 8), start))
  ) {
    return true;
  }
  let clause = text.slice(Math.max(0, start - 64), start);
  const lastBreak = lastIndexOfPattern(clause, CLAUSE_BREAK);
  if (lastBreak >= 0) clause = clause.slice(lastBreak + 1);
  const after = text.slice(end, end + 48);
  const nextBreak = after.search(CLAUSE_BREAK);
  return NETWORK_WORDS.test(clause) || NETWORK_WORDS.test(nextBreak >= 0 ? after.slice(0, nextBreak) : after);
}

function lastIndexOfPattern(text: string, pattern: RegExp): number {
  let last = -1;
  for (const m of text.matchAll(new RegExp(pattern.source, 'g'))) last = m.index;
  return last;
}

function identifiesAHost(ipv4: string): boolean {
  const octets = ipv4.split('.').map(Number);
  // 0.x and 127.x name no remote host, 169.254.x.x is link-local (self-assigned, or the cloud
  // metadata endpoint every instance shares), 224-239.x is multicast (a group), 240-255.x reserved
  // or a netmask; a last octet of 0 or 255 is the network or broadcast address of a /24 (or smaller)
  // subnet, never one machine.
  if (octets[0] === 0 || octets[0] === 127 || octets[0] >= 224) return false;
  if (octets[0] === 169 && octets[1] === 254) return false;
  return octets[3] !== 0 && octets[3] !== 255;
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
