// Turns HTML into Markdown-shaped text that keeps the structure the chunker cuts along: headings
// become "#" lines, <pre> becomes a fenced block, list items "- " lines, table rows "a | b" lines,
// paragraphs blank-line separated. Scripts, styles and other non-content elements are dropped.
// Parsing is htmlparser2's (forgiving of broken markup); the Markdown chunker then sees one format.
import type * as Htmlparser2 from 'htmlparser2' with { 'resolution-mode': 'import' };

import { importEsm } from '../esm/native-import.util';

/** The part of htmlparser2's DOM (domhandler nodes) this module reads. */
interface DomNode {
  readonly type: string;
  readonly name?: string;
  readonly data?: string;
  readonly children?: readonly DomNode[];
}

const isText = (node: DomNode): boolean => node.type === 'text';
// Script and style elements carry their own node types, so only "tag" nodes are walked into.
const isTag = (node: DomNode): boolean => node.type === 'tag';

function textContent(node: DomNode): string {
  if (isText(node)) return node.data ?? '';
  return (node.children ?? []).map(textContent).join('');
}

const SKIP = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'head',
  'svg',
  'canvas',
  'iframe',
  'object',
  'nav',
  'button',
  'form',
]);
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'header',
  'footer',
  'aside',
  'blockquote',
  'figure',
  'figcaption',
  'dl',
  'dt',
  'dd',
  'address',
  'details',
  'summary',
  'ul',
  'ol',
  'table',
]);

export async function htmlToMarkdown(html: string): Promise<string> {
  // htmlparser2 is ESM-only: load it through Node's loader (see native-import.util.ts).
  const { parseDocument } = await importEsm<typeof Htmlparser2>(require.resolve('htmlparser2'));
  const document = parseDocument(html, { decodeEntities: true });
  const blocks: string[] = [];
  let inline = '';

  const flush = () => {
    const text = inline.replace(/[ \t\r\n\f]+/g, ' ').trim();
    if (text) blocks.push(text);
    inline = '';
  };

  const walk = (nodes: readonly DomNode[]) => {
    for (const node of nodes) {
      if (isText(node)) {
        inline += node.data ?? '';
        continue;
      }
      if (!isTag(node)) continue;
      const name = (node.name ?? '').toLowerCase();
      const children = node.children ?? [];
      if (SKIP.has(name)) continue;
      const heading = /^h([1-6])$/.exec(name);
      if (heading) {
        flush();
        const text = textContent(node).replace(/\s+/g, ' ').trim();
        if (text) blocks.push(`${'#'.repeat(Number(heading[1]))} ${text}`);
      } else if (name === 'pre') {
        flush();
        const code = textContent(node).replace(/\n+$/, '');
        const fence = code.includes('```') ? '~~~~' : '```';
        blocks.push(`${fence}\n${code}\n${fence}`);
      } else if (name === 'li') {
        flush();
        walk(children);
        const text = inline.replace(/\s+/g, ' ').trim();
        inline = '';
        if (text) blocks.push(`- ${text}`);
      } else if (name === 'tr') {
        flush();
        const cells = children.filter(isTag).map((cell) => textContent(cell).replace(/\s+/g, ' ').trim());
        if (cells.some(Boolean)) blocks.push(`| ${cells.join(' | ')} |`);
      } else if (name === 'br') {
        inline += '\n';
      } else if (name === 'hr') {
        flush();
      } else if (BLOCK.has(name)) {
        flush();
        walk(children);
        flush();
      } else {
        walk(children);
      }
    }
  };

  walk(document.children as unknown as readonly DomNode[]);
  flush();
  return joinBlocks(blocks);
}

/** List items and table rows stay on consecutive lines (one list / table block); others get a blank line. */
function joinBlocks(blocks: readonly string[]): string {
  let out = '';
  blocks.forEach((block, i) => {
    if (i > 0) {
      const prev = blocks[i - 1];
      const sameRun =
        (prev.startsWith('- ') && block.startsWith('- ')) ||
        (prev.startsWith('| ') && block.startsWith('| '));
      out += sameRun ? '\n' : '\n\n';
    }
    out += block;
  });
  return out;
}
