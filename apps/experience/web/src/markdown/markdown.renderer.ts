// Owns turning model output (untrusted Markdown) into HTML. Raw HTML in the text is never parsed
// (`html: false` escapes it), images are not rendered (a Markdown image is a classic way to leak a
// conversation to a third-party server; the CSP forbids them too), links open in a new tab without a
// referrer, code blocks are highlighted by highlight.js (classes only), and citation markers like [1]
// become buttons that open their source. The output still goes through DOMPurify (safe-html.ts)
// before it reaches the page.
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import MarkdownIt from 'markdown-it';

const LANGUAGES = {
  bash,
  c,
  cpp,
  css,
  go,
  java,
  javascript,
  json,
  markdown,
  python,
  rust,
  sql,
  typescript,
  xml,
  yaml,
};
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
hljs.registerAliases(['sh', 'shell', 'zsh'], { languageName: 'bash' });
hljs.registerAliases(['js', 'jsx', 'mjs'], { languageName: 'javascript' });
hljs.registerAliases(['ts', 'tsx'], { languageName: 'typescript' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['py'], { languageName: 'python' });
hljs.registerAliases(['yml'], { languageName: 'yaml' });

export interface RenderOptions {
  /** Turn [n] markers into citation buttons (answers grounded on files). */
  citations?: boolean;
}

const md = new MarkdownIt({
  html: false,
  linkify: true,
  typographer: false,
  breaks: false,
  highlight(code, lang) {
    const language = lang && hljs.getLanguage(lang) ? lang : undefined;
    if (!language) return ''; // markdown-it escapes it
    return hljs.highlight(code, { language, ignoreIllegals: true }).value;
  },
});
md.disable('image');

const CITATION = /\[(\d{1,2})\]/g;

// Citation markers in ordinary text (never inside code) become buttons.
md.core.ruler.after('inline', 'hearth_citations', (state) => {
  if (!(state.env as RenderOptions | undefined)?.citations) return;
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    const children = [];
    for (const token of block.children) {
      if (token.type !== 'text' || !CITATION.test(token.content)) {
        children.push(token);
        continue;
      }
      CITATION.lastIndex = 0;
      let last = 0;
      for (const match of token.content.matchAll(CITATION)) {
        const index = match.index ?? 0;
        if (index > last) {
          const text = new state.Token('text', '', 0);
          text.content = token.content.slice(last, index);
          children.push(text);
        }
        const button = new state.Token('html_inline', '', 0);
        const n = match[1];
        button.content = `<button type="button" class="citation" aria-label="Source ${n}">[${n}]</button>`;
        children.push(button);
        last = index + match[0].length;
      }
      if (last < token.content.length) {
        const text = new state.Token('text', '', 0);
        text.content = token.content.slice(last);
        children.push(text);
      }
    }
    block.children = children;
  }
});

const defaultLinkOpen =
  md.renderer.rules['link_open'] ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules['link_open'] = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('target', '_blank');
  tokens[idx].attrSet('rel', 'noopener noreferrer nofollow');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** Markdown → HTML (not yet sanitized: see safe-html.ts). */
export function renderMarkdown(text: string, options: RenderOptions = {}): string {
  return md.render(text, { ...options });
}
