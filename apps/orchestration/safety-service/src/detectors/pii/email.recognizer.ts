// E-mail addresses, including the "name [at] domain [dot] com" spelling people use to dodge scrapers.
// A user@host that is a login rather than a mailbox is left alone: a URL's user part
// (`ssh://git@host/`), an SSH or scp target or shell prompt (`git@host:org/repo`, `root@host:~#`),
// a host on a private-use top-level domain (`ubuntu@ip-10-0-1-5.ec2.internal`), file names
// (`logo@2x.png`, `theme@2x.css`, `backup@2025-03-14.tar`) and systemd template units
// (`getty@tty1.service`). The spelled-out form obeys the same rules for its last label: "user [at]
// host [dot] local" and "me [at] 10 [dot] 30" are no addresses.
import type { Detection } from '../detection.model';

// Anchored on "@": scanning from every word start for a local part would cost O(words x length).
const LOCAL_CHAR = /[A-Za-z0-9._%+'-]/;
const DOMAIN = /(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])/y;
const SPELLED_OUT_EMAIL =
  /\b[A-Za-z0-9._%+-]{1,64}\s*[[(<{]\s*at\s*[\])>}]\s*[A-Za-z0-9-]{1,63}(?:\s*[[(<{]\s*dot\s*[\])>}]\s*[A-Za-z0-9-]{1,63})+\b/gi;

// `logo@2x.png` is an image name (the retina-asset convention), not an address; neither is a name
// ending in a file extension or a systemd unit type (`getty@tty1.service`, `backup@daily.timer`)
// that is no top-level domain. Extensions that are also country codes (.sh, .py, .rs, .md, .pl)
// stay addresses.
const FILE_EXTENSIONS = new Set([
  'css',
  'scss',
  'less',
  'js',
  'mjs',
  'cjs',
  'jsx',
  'tsx',
  'json',
  'map',
  'html',
  'htm',
  'xml',
  'yml',
  'yaml',
  'toml',
  'txt',
  'woff',
  'woff2',
  'ttf',
  'otf',
  'lock',
  'png',
  'jpg',
  'jpeg',
  'gif',
  'svg',
  'webp',
  'ico',
  'bmp',
  'tif',
  'tiff',
  'avif',
  'tar',
  'gz',
  'tgz',
  'bz2',
  'xz',
  'zst',
  'rar',
  'bak',
  'log',
  'csv',
  'tsv',
  'pdf',
  'sql',
  'sqlite',
  'db',
  'iso',
  'img',
  'exe',
  'dll',
  'deb',
  'rpm',
  'whl',
  'jar',
  'war',
  'ini',
  'cfg',
  'conf',
  // systemd unit types
  'service',
  'socket',
  'timer',
  'mount',
  'automount',
  'target',
  'slice',
  'scope',
  'swap',
]);
// Names reserved for private networks (RFC 6762, RFC 8375, ICANN's .internal): no mailbox on the
// internet is reachable there, so `user@host.internal` is a login on a machine.
const PRIVATE_USE_TLDS = new Set([
  'internal',
  'local',
  'localdomain',
  'localhost',
  'lan',
  'intranet',
  'corp',
  'home',
]);
// A pixel-density descriptor right after the "@" (`icon@2x`, `banner@1.5x`) names an image variant.
const DENSITY_DESCRIPTOR = /^\d+(?:\.\d+)?x\./i;
// The top-level domain of a spelled-out address once "[dot]" is a dot: "me [at] 10 [dot] 30" has none.
const SPELLED_OUT_TLD = /\.([A-Za-z]{2,24})$/;
// After a login: a path (`:~`, `:/srv`, `:org/repo`), which is how SSH, scp and shell prompts write it.
const LOGIN_PATH_AFTER = /^:(?:[~/]|[\w.-]+\/)/;

export function recognizeEmails(text: string): Detection[] {
  const found: Detection[] = [];
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && at - start < 64 && LOCAL_CHAR.test(text[start - 1])) start--;
    // The local part starts and ends with a letter or digit (no leading dot or quote).
    while (start < at && !/[A-Za-z0-9]/.test(text[start])) start++;
    if (start === at || text[at - 1] === '.') continue;
    DOMAIN.lastIndex = at + 1;
    const domain = DOMAIN.exec(text);
    if (!domain) continue;
    const end = at + 1 + domain[0].length;
    const tld = domain[1].toLowerCase();
    if (FILE_EXTENSIONS.has(tld) || PRIVATE_USE_TLDS.has(tld)) continue;
    if (DENSITY_DESCRIPTOR.test(domain[0])) continue;
    // `git@github.com:org/repo.git`, `root@web-01.corp:~#`: a login on a host, not someone's address.
    if (LOGIN_PATH_AFTER.test(text.slice(end, end + 64))) continue;
    // `ssh://git@host/repo`, `https://user@host/`: the user part of a URL.
    if (text.slice(Math.max(0, start - 3), start) === '://') continue;
    found.push(email(start, end, text.slice(start, end)));
  }
  for (const match of text.matchAll(SPELLED_OUT_EMAIL)) {
    const canonical = match[0]
      .replace(/\s*[[(<{]\s*at\s*[\])>}]\s*/i, '@')
      .replace(/\s*[[(<{]\s*dot\s*[\])>}]\s*/gi, '.');
    // Spelled out or not, an address ends in a top-level domain: letters, on the public internet.
    const tld = SPELLED_OUT_TLD.exec(canonical)?.[1].toLowerCase();
    if (!tld || FILE_EXTENSIONS.has(tld) || PRIVATE_USE_TLDS.has(tld)) continue;
    found.push(email(match.index, match.index + match[0].length, canonical));
  }
  return found;
}

function email(start: number, end: number, value: string): Detection {
  return { ruleId: 'pii.email', category: 'pii', start, end, label: 'EMAIL', canonical: value.toLowerCase() };
}
