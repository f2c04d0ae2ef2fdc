// Cuts a document into chunks for embedding: sniff the type from the bytes, turn it into text with
// structure (Markdown as is, HTML converted, PDF text per page), split into structural blocks, split
// blocks that exceed the budget (code by lines, lists by items, prose by sentences, then by halving
// at whitespace), and pack consecutive pieces up to `maxTokens`, starting a new chunk at every
// heading and carrying up to `overlapTokens` of the previous chunk's tail. Tokens are counted by the
// embedding model's own tokenizer, passed in, in a few batched calls. Every chunk is a contiguous
// span of the document text, so its char offsets (and PDF pages) are exact citations.
import { createHash } from 'node:crypto';

import { status } from '@grpc/grpc-js';

import { sniffContentType, type SupportedContentType } from './content-sniffer';
import { htmlToMarkdown } from './html-to-markdown';
import { extractPdfText } from './pdf-text';
import { markdownBlocks, plainTextBlocks, type Span, type TextBlock } from './text-blocks';

export type CountTokens = (texts: string[]) => Promise<number[]>;

export interface ChunkerOptions {
  readonly maxTokens: number;
  readonly overlapTokens: number;
  readonly countTokens: CountTokens;
}

export interface Chunk {
  readonly index: number;
  readonly text: string;
  readonly tokenCount: number;
  /** sha256 (hex) of `text`. */
  readonly contentHash: string;
  readonly headingPath: readonly string[];
  /** Offsets of `text` in the document text (`ChunkedDocument.text`), end exclusive. */
  readonly charStart: number;
  readonly charEnd: number;
  /** 1-based pages a PDF chunk spans. */
  readonly pages?: { readonly first: number; readonly last: number };
}

export interface ChunkedDocument {
  readonly contentType: SupportedContentType;
  /** The text the chunks are spans of (HTML converted to Markdown, PDF text joined by pages). */
  readonly text: string;
  readonly chunks: readonly Chunk[];
}

export class UnsupportedContentError extends Error {
  readonly code = status.INVALID_ARGUMENT;
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedContentError';
  }
}

interface Piece extends Span {
  readonly tokens: number;
  readonly headingPath: readonly string[];
  /** True for the first piece of a heading's section: a chunk never runs across it. */
  readonly sectionStart: boolean;
}

const MAX_SPLIT_ROUNDS = 16;

export class Chunker {
  constructor(private readonly options: ChunkerOptions) {
    if (!Number.isInteger(options.maxTokens) || options.maxTokens < 8)
      throw new RangeError('maxTokens must be an integer >= 8');
    if (
      !Number.isInteger(options.overlapTokens) ||
      options.overlapTokens < 0 ||
      options.overlapTokens >= options.maxTokens / 2
    ) {
      throw new RangeError('overlapTokens must be an integer in [0, maxTokens / 2)');
    }
  }

  /** Chunks a file from its bytes; the declared content type is deliberately not consulted. */
  async chunkFile(bytes: Uint8Array): Promise<ChunkedDocument> {
    const sniffed = await sniffContentType(bytes);
    if (!sniffed.supported) throw new UnsupportedContentError(sniffed.reason);
    if (sniffed.contentType === 'application/pdf') {
      const pdf = await extractPdfText(bytes).catch((error: unknown) => {
        throw new UnsupportedContentError(
          `unreadable PDF: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      const chunks = await this.chunkBlocks(pdf.text, plainTextBlocks(pdf.text));
      return {
        contentType: sniffed.contentType,
        text: pdf.text,
        chunks: chunks.map((c) => ({
          ...c,
          pages: pagesOf({ start: c.charStart, end: c.charEnd }, pdf.pageStarts),
        })),
      };
    }
    const raw = new TextDecoder('utf-8').decode(bytes).replace(/\r\n?/g, '\n');
    return this.chunkText(raw, sniffed.contentType);
  }

  async chunkText(
    raw: string,
    contentType: Exclude<SupportedContentType, 'application/pdf'>,
  ): Promise<ChunkedDocument> {
    const text = contentType === 'text/html' ? await htmlToMarkdown(raw) : raw;
    const blocks = contentType === 'text/plain' ? plainTextBlocks(text) : markdownBlocks(text);
    return { contentType, text, chunks: await this.chunkBlocks(text, blocks) };
  }

  private async chunkBlocks(text: string, blocks: readonly TextBlock[]): Promise<Chunk[]> {
    const pieces = await this.fitPieces(text, blocks);
    let spans = this.pack(pieces);
    // Packing adds pieces' counts; a tokenizer may merge or split across the joins, so verify the
    // real counts and split any chunk that overflows (bounded: each round halves the offenders).
    for (let round = 0; ; round++) {
      const counts = await this.count(spans.map((s) => text.slice(s.start, s.end)));
      const over = spans.findIndex(
        (_, i) => counts[i] > this.options.maxTokens && spans[i].pieces.length > 1,
      );
      if (over < 0 || round >= MAX_SPLIT_ROUNDS) {
        return spans.map((s, index) => {
          const chunkText = text.slice(s.start, s.end);
          return {
            index,
            text: chunkText,
            tokenCount: counts[index],
            contentHash: createHash('sha256').update(chunkText).digest('hex'),
            headingPath: s.headingPath,
            charStart: s.start,
            charEnd: s.end,
          };
        });
      }
      const offender = spans[over];
      const half = Math.ceil(offender.pieces.length / 2);
      spans = [
        ...spans.slice(0, over),
        ...this.pack(offender.pieces.slice(0, half)),
        ...this.pack(offender.pieces.slice(half)),
        ...spans.slice(over + 1),
      ];
    }
  }

  /** Blocks as pieces no larger than maxTokens each (structural splits first, then halving). */
  private async fitPieces(text: string, blocks: readonly TextBlock[]): Promise<Piece[]> {
    const counts = await this.count(blocks.map((b) => text.slice(b.start, b.end)));
    let pieces: (Piece & { kind?: TextBlock['kind']; items?: readonly Span[] })[] = blocks.map((b, i) => ({
      ...b,
      tokens: counts[i],
      sectionStart: b.kind === 'heading',
    }));
    for (
      let round = 0;
      round < MAX_SPLIT_ROUNDS && pieces.some((p) => p.tokens > this.options.maxTokens);
      round++
    ) {
      const next: typeof pieces = [];
      const pending: { at: number; spans: Span[]; from: Piece }[] = [];
      for (const piece of pieces) {
        if (piece.tokens <= this.options.maxTokens) {
          next.push(piece);
          continue;
        }
        const spans = round === 0 ? structuralSplit(text, piece) : halve(text, piece);
        pending.push({ at: next.length, spans, from: piece });
        next.push(piece); // placeholder, replaced below
      }
      const texts = pending.flatMap((p) => p.spans.map((s) => text.slice(s.start, s.end)));
      const pendingCounts = await this.count(texts);
      let cursor = 0;
      const replaced: typeof pieces = [];
      let pendingIndex = 0;
      next.forEach((piece, i) => {
        const entry = pending[pendingIndex];
        if (entry && entry.at === i) {
          pendingIndex++;
          entry.spans.forEach((span, j) => {
            replaced.push({
              ...span,
              tokens: pendingCounts[cursor++],
              headingPath: piece.headingPath,
              sectionStart: piece.sectionStart && j === 0,
            });
          });
        } else {
          replaced.push(piece);
        }
      });
      pieces = replaced;
    }
    return pieces;
  }

  /** Greedy packing of consecutive pieces into spans, never across a section start. */
  private pack(
    pieces: readonly Piece[],
  ): { start: number; end: number; headingPath: readonly string[]; pieces: Piece[] }[] {
    const { maxTokens, overlapTokens } = this.options;
    const out: { start: number; end: number; headingPath: readonly string[]; pieces: Piece[] }[] = [];
    let current: Piece[] = [];
    let tokens = 0;
    const close = () => {
      if (current.length === 0) return;
      const own = current.find((p) => !overlapOf.has(p)) ?? current[0];
      out.push({
        start: current[0].start,
        end: current[current.length - 1].end,
        headingPath: own.headingPath,
        pieces: current,
      });
    };
    const overlapOf = new Set<Piece>();
    for (const piece of pieces) {
      if (current.length > 0 && (piece.sectionStart || tokens + piece.tokens > maxTokens)) {
        close();
        // Carry the tail of the closed chunk (same section only) as overlap, if the new piece still fits.
        const carried: Piece[] = [];
        let carriedTokens = 0;
        if (!piece.sectionStart && overlapTokens > 0) {
          for (let i = current.length - 1; i > 0; i--) {
            const p = current[i];
            if (
              carriedTokens + p.tokens > overlapTokens ||
              carriedTokens + p.tokens + piece.tokens > maxTokens
            )
              break;
            carried.unshift(p);
            carriedTokens += p.tokens;
          }
        }
        overlapOf.clear();
        carried.forEach((p) => overlapOf.add(p));
        current = carried;
        tokens = carriedTokens;
      }
      current.push(piece);
      tokens += piece.tokens;
    }
    close();
    return out;
  }

  private async count(texts: string[]): Promise<number[]> {
    if (texts.length === 0) return [];
    const counts = await this.options.countTokens(texts);
    if (counts.length !== texts.length)
      throw new Error(`countTokens returned ${counts.length} counts for ${texts.length} texts`);
    return counts;
  }
}

/** Code by lines, lists by items, prose and tables by sentences (Intl.Segmenter) or lines. */
function structuralSplit(
  text: string,
  piece: Piece & { kind?: TextBlock['kind']; items?: readonly Span[] },
): Span[] {
  if (piece.kind === 'list' && piece.items && piece.items.length > 1)
    return piece.items.map((s) => ({ ...s }));
  if (piece.kind === 'code' || piece.kind === 'table') return splitBy(text, piece, /\n/g);
  const spans: Span[] = [];
  const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
  for (const { index, segment } of segmenter.segment(text.slice(piece.start, piece.end))) {
    const start = piece.start + index;
    const end = start + segment.trimEnd().length;
    if (end > start) spans.push({ start, end });
  }
  return spans.length > 1 ? spans : halve(text, piece);
}

function splitBy(text: string, span: Span, separator: RegExp): Span[] {
  const spans: Span[] = [];
  let start = span.start;
  const slice = text.slice(span.start, span.end);
  for (let m = separator.exec(slice); m; m = separator.exec(slice)) {
    const end = span.start + m.index;
    if (end > start) spans.push({ start, end });
    start = end + m[0].length;
  }
  if (span.end > start) spans.push({ start, end: span.end });
  return spans.length > 1 ? spans : halve(text, span);
}

/** Two halves cut at the whitespace nearest the middle (or mid-character run when there is none). */
function halve(text: string, span: Span): Span[] {
  const middle = Math.floor((span.start + span.end) / 2);
  let cut = -1;
  for (let d = 0; d < (span.end - span.start) / 2 && cut < 0; d++) {
    if (/\s/.test(text[middle + d] ?? '')) cut = middle + d;
    else if (/\s/.test(text[middle - d] ?? '')) cut = middle - d;
  }
  if (cut <= span.start || cut >= span.end) cut = middle;
  let rightStart = cut;
  while (rightStart < span.end && /\s/.test(text[rightStart])) rightStart++;
  return [
    { start: span.start, end: cut },
    { start: rightStart, end: span.end },
  ].filter((s) => s.end > s.start);
}

function pagesOf(chunk: Span, pageStarts: readonly number[]): { first: number; last: number } {
  const pageAt = (offset: number) => {
    let page = 1;
    for (let i = 0; i < pageStarts.length; i++) if (pageStarts[i] <= offset) page = i + 1;
    return page;
  };
  return { first: pageAt(chunk.start), last: pageAt(Math.max(chunk.start, chunk.end - 1)) };
}
