// Finds the parts of a text that a person reading it rendered would not see, or would read past as
// machine notes: HTML/XML comments, elements hidden by style or attribute, attribute text (alt,
// title, aria-label, meta content), markdown link titles and comments, code comments and docstrings,
// LaTeX comments, YAML front matter. A user who pastes a document pastes these too, and they are
// where instructions for an AI reader hide ("<!-- Note to the AI reviewing this: ... -->"), so the
// detector judges them as third-party text even inside the user's own message.

export interface HiddenRegion {
  readonly start: number;
  readonly end: number;
}

const MAX_REGION = 4_000;

// Each pattern's group 1 (or the whole match) is the region. All are bounded so a missing closer
// costs one bounded scan, not a quadratic one.
const PATTERNS: readonly RegExp[] = [
  /<!--([\s\S]{0,4000}?)-->/g,
  // An element hidden by inline style or attribute, up to its closing tag.
  /<(\w+)\b[^>]{0,400}?(?:style\s*=\s*["'][^"'>]{0,300}?(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*[01](?:\.\d+)?(?:px|pt|em|rem)?\b|opacity\s*:\s*0(?:\.0+)?\b|color\s*:\s*(?:#fff(?:fff)?\b|white\b|transparent\b))|\shidden\b|aria-hidden\s*=\s*["']true["'])[^>]{0,400}>([\s\S]{0,4000}?)<\/\1\s*>/gi,
  // Attribute text inside a tag.
  /<\w+\b[^>]{0,2000}?\s(?:alt|title|aria-label|aria-description|content|placeholder|summary|data-[\w-]+)\s*=\s*("[^"]{1,2000}"|'[^']{1,2000}')/gi,
  /<(desc|metadata)\b[^>]{0,200}>([\s\S]{0,4000}?)<\/\1\s*>/gi,
  // Markdown: a link or image title, a reference-style comment.
  /\]\([^)\s]{0,2000}\s+("[^"\n]{1,2000}"|'[^'\n]{1,2000}')\s*\)/g,
  /^\[(?:\/\/|comment)\]:\s*(?:#|<>)\s*\(([^\n]{1,2000})\)\s*$/gm,
  // Code comments: block, docstring, line comments (not the "//" of a URL), SQL "--", LaTeX "%".
  /\/\*([\s\S]{0,4000}?)\*\//g,
  /"""([\s\S]{0,4000}?)"""|'''([\s\S]{0,4000}?)'''/g,
  /(?:^|[^:\w"'/\\])\/\/([^\n]{1,2000})/gm,
  /(?:^|[ \t])#[ \t]([^\n]{1,2000})/gm,
  /(?:^|[ \t;])--[ \t]([^\n]{1,2000})/gm,
  /^[ \t]*%([^\n]{1,2000})/gm,
  // YAML front matter at the very start.
  /^---\n([\s\S]{0,4000}?)\n---(?:\n|$)/g,
];

// Characters that must occur for any pattern to match: texts without them are skipped cheaply.
const TRIGGER = /<|\/\/|\/\*|"""|'''|#|--|%|\]\(|\]:/;

export function findHiddenRegions(text: string): HiddenRegion[] {
  if (!TRIGGER.test(text)) return [];
  const regions: HiddenRegion[] = [];
  for (const pattern of PATTERNS) {
    pattern.lastIndex = 0;
    for (const match of text.matchAll(pattern)) {
      // The region is the last group that matched (the content), else the whole match.
      let value = match[0];
      for (let g = match.length - 1; g >= 1; g--) {
        if (match[g] !== undefined) {
          value = match[g];
          break;
        }
      }
      const offset = match[0].lastIndexOf(value);
      const start = match.index + Math.max(0, offset);
      regions.push({ start, end: Math.min(start + value.length, start + MAX_REGION) });
    }
  }
  return regions;
}
