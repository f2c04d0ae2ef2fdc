import { renderMarkdown } from './markdown.renderer';

describe(renderMarkdown.name, () => {
  it('renders Markdown with highlighted code (classes only, no inline styles)', () => {
    const html = renderMarkdown('**bold** and `x`\n\n```js\nconst a = 1;\n```');

    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<code>x</code>');
    expect(html).toMatch(/<span class="hljs-keyword">const<\/span>/);
    expect(html).not.toContain('style=');
  });

  it('escapes raw HTML from the model instead of rendering it', () => {
    const html = renderMarkdown(
      '<img src=x onerror=alert(1)> <script>alert(2)</script>\n\n<iframe src="//evil">',
    );

    expect(html).not.toMatch(/<(img|script|iframe)\b/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
  });

  it('drops javascript: and data: links, renders images as nothing that loads, opens links safely', () => {
    expect(renderMarkdown('[a](javascript:alert(1)) [b](data:text/html,x)')).not.toMatch(
      /href="(javascript|data)/,
    );
    const image = renderMarkdown('![leak](https://evil.example/p.png?q=secret)');
    expect(image).not.toContain('<img');
    expect(renderMarkdown('[docs](https://example.com)')).toContain(
      '<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">docs</a>',
    );
  });

  it('turns citation markers into buttons only when asked, and never inside code', () => {
    const html = renderMarkdown('Polish it [1][2]. `[3]`', { citations: true });

    expect(html).toContain('<button type="button" class="citation" aria-label="Source 1">[1]</button>');
    expect(html).toContain('aria-label="Source 2"');
    expect(html).toContain('<code>[3]</code>');
    expect(renderMarkdown('Polish it [1].')).not.toContain('<button');
  });
});
