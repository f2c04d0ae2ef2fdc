import { PDFDocument, StandardFonts } from 'pdf-lib';

import { Chunker, UnsupportedContentError, type CountTokens } from '../src';

/** Whitespace tokenizer standing in for the embedding model's (called over gRPC by the service). */
const countWords: CountTokens = async (texts) => texts.map((t) => t.split(/\s+/).filter(Boolean).length);

const utf8 = (text: string) => new TextEncoder().encode(text);

const words = (n: number, word = 'lorem') => Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ');

const MARKDOWN = `# Guide

Intro paragraph about the product.

## Install

${words(30, 'install')}. ${words(30, 'setup')}.

\`\`\`bash
npm install hearth
npm start
\`\`\`

## Usage

- first item ${words(5)}
- second item ${words(5)}
`;

describe(Chunker.name, () => {
  const sut = new Chunker({ maxTokens: 40, overlapTokens: 8, countTokens: countWords });

  it('chunks Markdown along headings, keeps a fitting code fence whole, records positions and hashes', async () => {
    const doc = await sut.chunkFile(utf8(MARKDOWN));
    expect(doc.contentType).toBe('text/markdown');
    for (const chunk of doc.chunks) {
      expect(chunk.tokenCount).toBeLessThanOrEqual(40);
      expect(doc.text.slice(chunk.charStart, chunk.charEnd)).toBe(chunk.text);
      expect(chunk.contentHash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(doc.chunks.map((c) => c.index)).toEqual(doc.chunks.map((_, i) => i));
    const fence = doc.chunks.filter((c) => c.text.includes('npm install hearth'));
    expect(fence).toHaveLength(1);
    expect(fence[0].text).toContain('```bash\nnpm install hearth\nnpm start\n```');
    expect(fence[0].headingPath).toEqual(['Guide', 'Install']);
    expect(doc.chunks.find((c) => c.text.includes('second item'))?.headingPath).toEqual(['Guide', 'Usage']);
    // No chunk mixes two sections.
    expect(doc.chunks.some((c) => c.text.includes('## Install') && c.text.includes('## Usage'))).toBe(false);
  });

  it('splits an oversized paragraph by sentences with overlap between consecutive chunks', async () => {
    const sentences = Array.from(
      { length: 12 },
      (_, i) => `Sentence ${i} has exactly seven words here.`,
    ).join(' ');
    const doc = await sut.chunkText(sentences, 'text/plain');
    expect(doc.chunks.length).toBeGreaterThan(1);
    for (let i = 1; i < doc.chunks.length; i++) {
      expect(doc.chunks[i].charStart).toBeLessThan(doc.chunks[i - 1].charEnd);
      expect(doc.chunks[i].charEnd).toBeGreaterThan(doc.chunks[i - 1].charEnd);
    }
    expect(doc.chunks.every((c) => c.tokenCount <= 40)).toBe(true);
    expect(doc.chunks[doc.chunks.length - 1].text).toContain('Sentence 11');
  });

  it('cuts a single word run longer than the budget instead of looping', async () => {
    const doc = await sut.chunkText(words(130), 'text/plain');
    expect(doc.chunks.every((c) => c.tokenCount <= 40)).toBe(true);
    expect(doc.chunks.map((c) => c.text).join(' ')).toContain('lorem129');
  });

  it('converts HTML to structured text, dropping scripts and styles, whatever the label would say', async () => {
    const html = `<!doctype html><html><head><title>t</title><style>p{}</style></head><body>
      <h1>Policies</h1><p>Refunds within <b>30 days</b>.</p><script>alert('x')</script>
      <h2>Shipping</h2><ul><li>EU: 3 days</li><li>US: 5 days</li></ul>
      <pre>curl -X POST /orders</pre><table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table></body></html>`;
    const doc = await sut.chunkFile(utf8(html));
    expect(doc.contentType).toBe('text/html');
    expect(doc.text).toBe(
      '# Policies\n\nRefunds within 30 days.\n\n## Shipping\n\n- EU: 3 days\n- US: 5 days\n\n```\ncurl -X POST /orders\n```\n\n| a | b |\n| 1 | 2 |',
    );
    expect(doc.text).not.toContain('alert');
    expect(doc.chunks.find((c) => c.text.includes('EU: 3 days'))?.headingPath).toEqual([
      'Policies',
      'Shipping',
    ]);
  });

  it('extracts PDF text with page numbers', async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    pdf.addPage().drawText('Quarterly report: revenue grew.', { x: 50, y: 700, size: 12, font });
    pdf.addPage().drawText('Appendix: methodology notes.', { x: 50, y: 700, size: 12, font });
    const doc = await sut.chunkFile(await pdf.save());
    expect(doc.contentType).toBe('application/pdf');
    expect(doc.text).toContain('Quarterly report: revenue grew.');
    const appendix = doc.chunks.find((c) => c.text.includes('Appendix'));
    expect(appendix?.pages?.last).toBe(2);
    expect(doc.chunks[0].pages?.first).toBe(1);
  });

  it('rejects binary formats other than PDF and broken PDFs with INVALID_ARGUMENT', async () => {
    const png = Uint8Array.from([
      0x89,
      0x50,
      0x4e,
      0x47,
      0x0d,
      0x0a,
      0x1a,
      0x0a,
      0,
      0,
      0,
      13,
      0x49,
      0x48,
      0x44,
      0x52,
      ...new Array(32).fill(0),
    ]);
    await expect(sut.chunkFile(png)).rejects.toThrow(UnsupportedContentError);
    await expect(sut.chunkFile(png)).rejects.toThrow(/image\/png/);
    await expect(sut.chunkFile(utf8('%PDF-1.7\nthis is not really a pdf'))).rejects.toThrow(/unreadable PDF/);
    await expect(sut.chunkFile(Uint8Array.from([0xff, 0xfe, 0x00, 0x41, 0x00]))).rejects.toMatchObject({
      code: 3,
    });
  });

  it('refuses options that cannot make progress', () => {
    expect(() => new Chunker({ maxTokens: 4, overlapTokens: 0, countTokens: countWords })).toThrow(
      RangeError,
    );
    expect(() => new Chunker({ maxTokens: 40, overlapTokens: 20, countTokens: countWords })).toThrow(
      RangeError,
    );
  });
});
