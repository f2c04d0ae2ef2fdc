// E-mail addresses, including the "name [at] domain [dot] com" spelling people use to dodge scrapers.
import type { Detection } from '../detection.model';

// Anchored on "@": scanning from every word start for a local part would cost O(words x length).
const LOCAL_CHAR = /[A-Za-z0-9._%+'-]/;
const DOMAIN = /(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])/y;
const SPELLED_OUT_EMAIL =
  /\b[A-Za-z0-9._%+-]{1,64}\s*[[(<{]\s*at\s*[\])>}]\s*[A-Za-z0-9-]{1,63}(?:\s*[[(<{]\s*dot\s*[\])>}]\s*[A-Za-z0-9-]{1,63})+\b/gi;

// `logo@2x.png` is an image name (the retina-asset convention), not an address.
const FILE_EXTENSIONS = new Set([
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
]);

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
    if (FILE_EXTENSIONS.has(domain[1].toLowerCase())) continue;
    // `git@github.com:org/repo.git` is an SSH remote (user "git" on a host), not someone's address.
    if (text.slice(start, at) === 'git' && text[end] === ':') continue;
    found.push(email(start, end, text.slice(start, end)));
  }
  for (const match of text.matchAll(SPELLED_OUT_EMAIL)) {
    const canonical = match[0]
      .replace(/\s*[[(<{]\s*at\s*[\])>}]\s*/i, '@')
      .replace(/\s*[[(<{]\s*dot\s*[\])>}]\s*/gi, '.');
    found.push(email(match.index, match.index + match[0].length, canonical));
  }
  return found;
}

function email(start: number, end: number, value: string): Detection {
  return { ruleId: 'pii.email', category: 'pii', start, end, label: 'EMAIL', canonical: value.toLowerCase() };
}
