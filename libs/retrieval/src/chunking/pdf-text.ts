// Extracts the text of a PDF page by page with unpdf (a serverless build of Mozilla's PDF.js), loaded
// through Node's native ESM loader. Pages are joined with blank lines; the offsets of each page are
// kept so a chunk can name the pages it came from (citations).
import { dirname, join } from 'node:path';

import { definePDFJSModule, extractText, getDocumentProxy } from 'unpdf';

import { importEsm } from '../esm/native-import.util';

export interface PdfText {
  readonly text: string;
  /** Char offset in `text` where each page starts (page n+1 starts at pageStarts[n]). */
  readonly pageStarts: readonly number[];
}

let configured: Promise<void> | undefined;

function configurePdfJs(): Promise<void> {
  // unpdf's own loader uses import(), which Jest cannot run without flags; hand it the module instead.
  configured ??= definePDFJSModule(() => importEsm(join(dirname(require.resolve('unpdf')), 'pdfjs.mjs')));
  return configured;
}

export async function extractPdfText(bytes: Uint8Array): Promise<PdfText> {
  await configurePdfJs();
  // PDF.js detaches the buffer it is given: pass a copy so the caller's bytes stay usable.
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
  try {
    const { text: pages } = await extractText(pdf, { mergePages: false });
    const pageStarts: number[] = [];
    let text = '';
    for (const page of pages) {
      if (text) text += '\n\n';
      pageStarts.push(text.length);
      text += page.replace(/[ \t]+\n/g, '\n').trim();
    }
    return { text, pageStarts };
  } finally {
    await pdf.destroy();
  }
}
