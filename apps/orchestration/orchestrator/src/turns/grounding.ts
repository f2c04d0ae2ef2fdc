// Owns grounded answers: the system instruction that asks the model to cite (the variant's version), numbering the retrieved
// chunks of an assembled prompt ([1], [2], ... in prompt order), the deterministic answers for turns
// that cannot be grounded (files still processing, failed files, nothing retrieved — no model call),
// and validating the markers of an answer against the chunks the model was actually given: a marker
// that names no retrieved chunk is dropped from the citation list and counted. An answer that wrote
// no marker at all gets the sources its sentences are made of (citation-attribution.ts), marked as
// attributed.
import { commonV1, contextV1, orchestratorV1 } from '@hearth/contracts';
import type { PromptCatalog } from '@hearth/prompts';

import { attributeSources } from './citation-attribution';
import { textMessage } from './message.mapper';

const { ContextLayer } = commonV1;
const { GroundingStatus } = orchestratorV1;
const { RetrievalStatus } = contextV1;

/** What the turn answers when retrieval found no chunk at all (no model call: see README). */
export const NO_SOURCES_ANSWER =
  'I cannot answer that from the provided sources: nothing relevant was found in your files.';

/** Tokens a "Source [n]:" label may add to a chunk after the context service counted it. */
export const MARKER_TOKEN_SLACK = 6;
/** Chunks the context service places when the request names no top_k (its RETRIEVAL_TOP_K default). */
export const DEFAULT_TOP_K = 6;

/** A retrieved chunk as the model saw it, with its marker. */
export interface NumberedSource {
  marker: number;
  citation: commonV1.Citation;
  chunkId: string;
  /** The chunk's own text as given to the model (inside its `<document>` fence, if any). */
  text: string;
}

/**
 * The grounding prompt (a versioned file, libs/prompts), sent as a system message of the turn so the
 * context service counts it against the budget.
 */
export function groundingInstruction(catalog: PromptCatalog, ref: string): commonV1.ChatMessage {
  return textMessage(commonV1.Role.ROLE_SYSTEM, catalog.render(ref));
}

/**
 * Labels each retrieved item of the prompt with its marker (in prompt order, which is the context
 * service's best-first order) and returns the sources the answer may cite.
 */
export function numberSources(prompt: readonly commonV1.ContextMessage[]): {
  prompt: commonV1.ContextMessage[];
  sources: NumberedSource[];
} {
  const sources: NumberedSource[] = [];
  const numbered = prompt.map((item) => {
    if (item.provenance?.layer !== ContextLayer.CONTEXT_LAYER_RETRIEVAL || !item.message) return item;
    const marker = sources.length + 1;
    const citation = item.provenance.citation ?? emptyCitation(item.provenance.sourceId);
    const text = documentBody(item.message.content.map((part) => part.text ?? '').join(''));
    sources.push({ marker, citation, chunkId: citation.chunkId || item.provenance.sourceId, text });
    const [first, ...rest] = item.message.content;
    const label = `Source [${marker}]:\n`;
    const content =
      first?.text != null
        ? [{ ...first, text: label + first.text }, ...rest]
        : [{ text: label }, ...item.message.content];
    return { ...item, message: { ...item.message, content } };
  });
  return { prompt: numbered, sources };
}

/**
 * The document text of a retrieved item: the context service fences it as data behind a notice
 * (`<document id=…>…</document>`), whose words an answer must not be credited for echoing.
 */
function documentBody(text: string): string {
  return /<document\b[^>]*>\n([\s\S]*)\n<\/document>\s*$/.exec(text)?.[1] ?? text;
}

/** Markers such as [1] or [2, 3] in an answer, distinct, in order of first mention. */
export function markersIn(text: string): number[] {
  const seen = new Set<number>();
  for (const group of text.matchAll(/\[(\d{1,4}(?:\s*,\s*\d{1,4})*)\]/g)) {
    for (const part of (group[1] as string).split(',')) seen.add(Number(part.trim()));
  }
  return [...seen];
}

/**
 * The citation list of a grounded answer: valid markers only, the others reported as dropped; an
 * answer without any marker gets the sources its sentences are made of, marked as attributed.
 */
export function citationsFor(text: string, sources: readonly NumberedSource[]): orchestratorV1.TurnCitations {
  const byMarker = new Map(sources.map((source) => [source.marker, source]));
  const markers = markersIn(text);
  const cited: { source: NumberedSource; answerOffset?: number }[] = [];
  const dropped: number[] = [];
  if (markers.length === 0) {
    for (const { marker, answerOffset } of attributeSources(text, sources))
      cited.push({ source: byMarker.get(marker) as NumberedSource, answerOffset });
  }
  for (const marker of markers) {
    const source = byMarker.get(marker);
    if (source) cited.push({ source });
    else dropped.push(marker);
  }
  return {
    status: GroundingStatus.GROUNDING_STATUS_GROUNDED,
    citations: cited.map(({ source, answerOffset }) => sourceCitation(source, answerOffset)),
    droppedMarkers: dropped,
    retrievedChunks: sources.length,
    unavailableFiles: [],
  };
}

function sourceCitation(
  source: NumberedSource,
  answerOffset: number | undefined,
): orchestratorV1.SourceCitation {
  const c = source.citation;
  return {
    marker: source.marker,
    chunkId: source.chunkId,
    fileId: c.fileId,
    fileName: c.fileName || c.title,
    page: c.page,
    position: c.position,
    excerpt: c.excerpt,
    startOffset: c.startOffset,
    endOffset: c.endOffset,
    attributed: answerOffset !== undefined,
    answerOffset: answerOffset ?? 0,
  };
}

/**
 * The answer for a turn whose requested files cannot be searched yet or ever, or that retrieved
 * nothing; undefined when the turn can go to the model.
 */
export function ungroundedAnswer(
  report: contextV1.RetrievalReport | null | undefined,
  sources: readonly NumberedSource[],
): { text: string; citations: orchestratorV1.TurnCitations } | undefined {
  const unavailable = (report?.files ?? []).map((file): orchestratorV1.UnavailableFile => ({
    fileId: file.fileId,
    failed: file.status === contextV1.FileStatus.FILE_STATUS_FAILED,
    reason: file.statusDetails,
  }));
  const base = { citations: [], droppedMarkers: [], retrievedChunks: 0, unavailableFiles: unavailable };
  if (report?.status === RetrievalStatus.RETRIEVAL_STATUS_FILES_NOT_READY) {
    const pending = unavailable.filter((file) => !file.failed).map((file) => file.fileId);
    return {
      text:
        `${pending.length === 1 ? 'The file' : 'The files'} ${pending.join(', ')} ` +
        `${pending.length === 1 ? 'is' : 'are'} still being processed, so I cannot answer from ` +
        `${pending.length === 1 ? 'it' : 'them'} yet. Please ask again in a moment.`,
      citations: { ...base, status: GroundingStatus.GROUNDING_STATUS_FILES_NOT_READY },
    };
  }
  if (report?.status === RetrievalStatus.RETRIEVAL_STATUS_FILES_FAILED) {
    const failed = unavailable.filter((file) => file.failed);
    return {
      text:
        'I cannot answer from the requested files because they could not be processed: ' +
        failed.map((file) => `${file.fileId} (${file.reason || 'unknown reason'})`).join('; ') +
        '.',
      citations: { ...base, status: GroundingStatus.GROUNDING_STATUS_FILES_FAILED },
    };
  }
  if (sources.length === 0)
    return {
      text: NO_SOURCES_ANSWER,
      citations: { ...base, status: GroundingStatus.GROUNDING_STATUS_NO_SOURCES },
    };
  return undefined;
}

function emptyCitation(chunkId: string): commonV1.Citation {
  return {
    fileId: '',
    chunkId,
    title: '',
    uri: '',
    page: 0,
    startOffset: 0,
    endOffset: 0,
    position: 0,
    excerpt: '',
    fileName: '',
  };
}
