import { classifyText, sniffContentType } from './content-sniffer';

describe('sniffContentType', () => {
  it('tells PDF, HTML, Markdown and plain text apart from the bytes alone', async () => {
    const sut = sniffContentType;
    const enc = (t: string) => new TextEncoder().encode(t);
    expect(await sut(enc('%PDF-1.4\n%\u00e2\u00e3\n1 0 obj\n'))).toEqual({
      supported: true,
      contentType: 'application/pdf',
    });
    expect(await sut(enc('<!DOCTYPE html><html><body><p>x</p></body></html>'))).toEqual({
      supported: true,
      contentType: 'text/html',
    });
    expect(await sut(enc('# Title\n\n- a\n- b\n'))).toEqual({
      supported: true,
      contentType: 'text/markdown',
    });
    expect(await sut(enc('Just a note. Nothing # special here.'))).toEqual({
      supported: true,
      contentType: 'text/plain',
    });
    expect(await sut(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...new Array(60).fill(0)]))).toMatchObject({
      supported: false,
    });
  });

  it('keeps prose that mentions one tag as text and tag-dense fragments as HTML', () => {
    expect(classifyText('Use the <p> element for paragraphs in your page.')).toBe('text/plain');
    expect(classifyText('<div><p>One</p><p>Two</p><span>x</span></div>')).toBe('text/html');
  });
});
