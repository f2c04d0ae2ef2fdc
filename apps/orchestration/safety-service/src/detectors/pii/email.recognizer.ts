// E-mail addresses, including the "name [at] domain [dot] com" spelling people use to dodge scrapers.
// A user@host that is a login rather than a mailbox is left alone: a URL's user part
// (`ssh://git@host/`), an SSH or scp target or shell prompt (`git@host:org/repo`, `root@host:~#`),
// a host on a private-use top-level domain (`ubuntu@ip-10-0-1-5.ec2.internal`), file names
// (`logo@2x.png`, `theme@2x.css`, `backup@2025-03-14.tar`) and systemd template units
// (`getty@tty1.service`). Nor is the target of a remote-login, file-copy or Kerberos command (`ssh
// deploy@build-7.example.net`, `sftp -P 2022 uploads@files.example.com`, `kinit svc@CORP.EXAMPLE.COM`),
// a database client's user (`psql -U admin@server`), a login with a port (`ops@jump.example.net:2222`)
// or a message identifier (`Message-ID: <2025...@mx1.example.com>`). The spelled-out form obeys the same
// rules for its last label: "user [at] host [dot] local" and "me [at] 10 [dot] 30" are no addresses.
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
// After a login: a path (`:~`, `:/srv`, `:org/repo`), which is how SSH, scp and shell prompts write
// it, or a port (`ops@jump.example.net:2222`): no mailbox has a port.
const LOGIN_PATH_AFTER = /^:(?:[~/]|[\w.-]+\/|\d{1,5}(?![\w.]))/;
// A command that takes a login as its argument, at the start of a command line or after a shell
// separator or prompt: its user@host arguments are logins, whatever the domain. Only up to the next
// separator or a sentence's punctuation: `ssh host cmd || mail -s failed ana@example.org` still mails
// an address, and so does "kinit svc@REALM fails, can you check? ana@example.org".
const LOGIN_COMMAND =
  /(?:^|[\n;|&(`]|\$\s)\s*(?:sudo\s+(?:-\S+\s+)*)?(?:ssh|scp|sftp|rsync|mosh|autossh|sshfs|ssh-copy-id|slogin|kinit|kvno|ksu)\s(?:(?![,.?!]\s)[^\n;|&`])*$/;
// A database client's user flag: `psql -U admin@server`, `mysql --user=ops@db-host`.
const DB_USER_FLAG =
  /(?:^|[\n;|&(`]|\$\s)\s*(?:psql|pg_dump|pg_dumpall|pg_restore|mysql|mysqldump|mariadb|mongosh|mongo|mongodump|redis-cli|sqlcmd|clickhouse-client)(?:(?![,.?!]\s)[^\n;|&`])*?(?:\s-U\s*|\s-u\s*|\s--username[= ]|\s--user[= ]|\buser=)["']?$/;
// Header lines whose <...@...> values are message identifiers, not mailboxes.
const MESSAGE_ID_LINE =
  /^\s*(?:message-id|in-reply-to|references|content-id|resent-message-id|x-message-id)\s*:/i;

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
    if (isLogin(text, start) || isMessageId(text, start)) continue;
    if (isServicePrincipal(text, start, domain[0])) continue;
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

/** True when the user@host at `start` is an argument a login command or a client's user flag takes. */
function isLogin(text: string, start: number): boolean {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const before = text.slice(Math.max(lineStart, start - 256), start);
  return LOGIN_COMMAND.test(before) || DB_USER_FLAG.test(before);
}

// `HTTP/web01.corp.example.com@CORP.EXAMPLE.COM`: a Kerberos service principal (service/host@REALM,
// the realm in capitals), not a mailbox.
const SERVICE_BEFORE = /(?:^|[\s"'(<=,])[A-Za-z][\w-]*\/$/;

function isServicePrincipal(text: string, start: number, domain: string): boolean {
  return domain === domain.toUpperCase() && SERVICE_BEFORE.test(text.slice(Math.max(0, start - 32), start));
}

/** True when the "@" at `start` stands in a Message-ID, In-Reply-To or References header, or a `cid:`. */
function isMessageId(text: string, start: number): boolean {
  if (text.slice(Math.max(0, start - 4), start).toLowerCase() === 'cid:') return true;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  return MESSAGE_ID_LINE.test(text.slice(lineStart, start));
}

function email(start: number, end: number, value: string): Detection {
  return { ruleId: 'pii.email', category: 'pii', start, end, label: 'EMAIL', canonical: value.toLowerCase() };
}
