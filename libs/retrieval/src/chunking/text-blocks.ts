// Splits a document's text into structural blocks with char offsets: Markdown through markdown-it's
// block tokens (their line maps give exact offsets), plain text by blank lines. Each block knows its
// heading path, so a chunk can say which section it came from.
import MarkdownIt from 'markdown-it';

export type BlockKind = 'heading' | 'code' | 'list' | 'table' | 'paragraph';

export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface TextBlock extends Span {
  readonly kind: BlockKind;
  /** Headings enclosing the block (a heading block includes itself). */
  readonly headingPath: readonly string[];
  /** Top-level list items (only for lists): where an oversized list may be cut. */
  readonly items?: readonly Span[];
}

const markdown = new MarkdownIt('commonmark');

export function markdownBlocks(text: string): TextBlock[] {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineSpan = (map: [number, number]): Span => {
    const start = lineStarts[map[0]];
    const end = map[1] < lineStarts.length ? lineStarts[map[1]] : text.length;
    return { start, end: trimEnd(text, start, end) };
  };

  const tokens = markdown.parse(text, {});
  const blocks: TextBlock[] = [];
  const headings: { level: number; title: string }[] = [];
  let list: { span: Span; items: Span[] } | undefined;

  tokens.forEach((token, i) => {
    if (list && token.level === 1 && token.type === 'list_item_open' && token.map)
      list.items.push(lineSpan(token.map));
    if (token.level !== 0 || !token.map) {
      if (
        list &&
        token.level === 0 &&
        (token.type === 'bullet_list_close' || token.type === 'ordered_list_close')
      ) {
        blocks.push({
          kind: 'list',
          ...list.span,
          headingPath: headings.map((h) => h.title),
          items: list.items,
        });
        list = undefined;
      }
      return;
    }
    const span = lineSpan(token.map);
    switch (token.type) {
      case 'heading_open': {
        const level = Number(token.tag.slice(1));
        while (headings.length > 0 && headings[headings.length - 1].level >= level) headings.pop();
        headings.push({ level, title: tokens[i + 1]?.content.trim() ?? '' });
        blocks.push({ kind: 'heading', ...span, headingPath: headings.map((h) => h.title) });
        return;
      }
      case 'bullet_list_open':
      case 'ordered_list_open':
        list = { span, items: [] };
        return;
      case 'fence':
      case 'code_block':
        blocks.push({ kind: 'code', ...span, headingPath: headings.map((h) => h.title) });
        return;
      case 'paragraph_open':
      case 'blockquote_open':
      case 'html_block':
        blocks.push({
          kind: isTable(text.slice(span.start, span.end)) ? 'table' : 'paragraph',
          ...span,
          headingPath: headings.map((h) => h.title),
        });
        return;
      default:
        // hr and other separators carry no text of their own.
        return;
    }
  });
  return blocks.filter((b) => b.end > b.start);
}

/** Plain text (and PDF text): paragraphs separated by blank lines, no headings. */
export function plainTextBlocks(text: string): TextBlock[] {
  const blocks: TextBlock[] = [];
  const separator = /\n[ \t]*\n/g;
  let start = 0;
  const push = (end: number) => {
    const s = start + (text.slice(start, end).length - text.slice(start, end).trimStart().length);
    const e = trimEnd(text, s, end);
    if (e > s) blocks.push({ kind: 'paragraph', start: s, end: e, headingPath: [] });
  };
  for (let match = separator.exec(text); match; match = separator.exec(text)) {
    push(match.index);
    start = match.index + match[0].length;
  }
  push(text.length);
  return blocks;
}

function isTable(text: string): boolean {
  // CommonMark has no tables: GFM tables parse as paragraphs whose lines are pipe rows.
  const lines = text.split('\n');
  return lines.length >= 2 && lines.every((l) => l.trim().startsWith('|'));
}

function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /\s/.test(text[end - 1])) end--;
  return end;
}
