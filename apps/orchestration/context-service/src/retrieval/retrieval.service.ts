// Owns document retrieval: the Retrieve rpc and the RETRIEVAL slot of an assembly. A search embeds the
// query with the embedding model, runs vector and keyword search in the store under the caller's
// tenant and ACL filter (their own files and tenant-wide ones; applied inside the store), fuses the
// two rankings (RRF), keeps chunks that still exist in PostgreSQL (and, when file ids are given, only
// theirs), cuts to top-k under the token budget, and sends the texts through the safety service's
// injection check before anything is returned. Requested files that are not ready are reported
// (FILES_NOT_READY / FILES_FAILED) instead of silently answering from nothing.
import { randomUUID } from 'node:crypto';

import { commonV1, contextV1 } from '@hearth/contracts';
import type { PrismaClient } from '@hearth/db';
import { invalidArgument, isUuid, validateCaller } from '@hearth/grpc';
import { reciprocalRankFusion, VectorStoreError, type ScoredPoint } from '@hearth/retrieval';

import { status } from '@grpc/grpc-js';

import { toFileStatus } from '../files/file.mapper';
import type { FileRepository } from '../files/file.repository';
import { fileNotFound } from '../files/file.service';
import type { EmbedderService } from './embedder.service';
import { checkUntrusted, type SafetyClient } from './untrusted-text';
import { userPrincipal, type VectorIndex } from './vector-index';

export interface ChunkForContext {
  chunk: contextV1.RetrievedChunk;
}

export interface RetrievalServiceOptions {
  prisma: PrismaClient;
  files: FileRepository;
  embedder: EmbedderService;
  index: VectorIndex;
  safety: SafetyClient;
  topK: number;
  tokenBudget: number;
}

interface SearchRequest {
  query: string;
  topK: number;
  fileIds: readonly string[];
  minScore: number;
  tokenBudget: number;
}

export interface RetrievalResult {
  chunks: contextV1.RetrievedChunk[];
  report: contextV1.RetrievalReport;
}

const MAX_TOP_K = 50;
const MAX_QUERY_CHARS = 8_000;
const EXCERPT_CHARS = 200;
// Candidates per side before fusion; larger when results are post-filtered to a few files.
const CANDIDATES_FACTOR = 4;
const FILE_FILTER_CANDIDATES = 400;

export class RetrievalService {
  constructor(private readonly options: RetrievalServiceOptions) {}

  /** Chunks for an assembly's retrieval slot, best first, with what retrieval did. */
  async chunksFor(
    caller: commonV1.Caller,
    options: contextV1.RetrievalOptions,
    query: string,
    tokenBudget: number,
  ): Promise<{ chunks: ChunkForContext[]; report: contextV1.RetrievalReport }> {
    const result = await this.search(caller, {
      query,
      topK: this.topKOf(options.topK),
      fileIds: this.fileIdsOf(options.fileIds),
      minScore: 0,
      tokenBudget,
    });
    return { chunks: result.chunks.map((chunk) => ({ chunk })), report: result.report };
  }

  async retrieve(request: contextV1.RetrieveRequest): Promise<contextV1.RetrieveResponse> {
    const caller = validateCaller(request.caller);
    const query = request.query.trim();
    if (!query) throw invalidArgument('query is required');
    if (!Number.isFinite(request.minScore) || request.minScore < -1 || request.minScore > 1) {
      throw invalidArgument('min_score must be within [-1, 1]');
    }
    const result = await this.search(caller, {
      query,
      topK: this.topKOf(request.topK),
      fileIds: this.fileIdsOf(request.fileIds),
      minScore: request.minScore,
      tokenBudget: this.options.tokenBudget,
    });
    return { chunks: result.chunks, report: result.report };
  }

  private topKOf(topK: number): number {
    if (topK > MAX_TOP_K) throw invalidArgument(`top_k must be at most ${MAX_TOP_K}`);
    return topK || this.options.topK;
  }

  private fileIdsOf(fileIds: readonly string[]): string[] {
    for (const id of fileIds) if (!isUuid(id)) throw fileNotFound(id);
    return [...new Set(fileIds)];
  }

  private async search(caller: commonV1.Caller, request: SearchRequest): Promise<RetrievalResult> {
    validateCaller(caller, { apiKey: 'query embeddings are metered to it' });
    const report: contextV1.RetrievalReport = {
      status: contextV1.RetrievalStatus.RETRIEVAL_STATUS_OK,
      files: [],
      neutralisedChunks: 0,
      droppedChunks: 0,
    };
    const query = request.query.slice(0, MAX_QUERY_CHARS);
    let onlyFiles: Set<string> | undefined;
    if (request.fileIds.length > 0) {
      const rows = await this.options.files.findVisibleMany(caller.tenantId, caller.userId, request.fileIds);
      const found = new Set(rows.map((r) => r.id));
      const unknown = request.fileIds.find((id) => !found.has(id));
      if (unknown) throw fileNotFound(unknown);
      const unready = rows.filter((r) => r.status !== 'ready');
      report.files = unready.map((r) => ({
        fileId: r.id,
        status: toFileStatus(r.status),
        statusDetails: r.status === 'failed' ? (r.failureReason ?? '') : '',
      }));
      if (unready.some((r) => r.status !== 'failed'))
        report.status = contextV1.RetrievalStatus.RETRIEVAL_STATUS_FILES_NOT_READY;
      else if (unready.length > 0) report.status = contextV1.RetrievalStatus.RETRIEVAL_STATUS_FILES_FAILED;
      onlyFiles = new Set(rows.filter((r) => r.status === 'ready').map((r) => r.id));
      if (onlyFiles.size === 0) return { chunks: [], report };
    }
    if (!query) return { chunks: [], report };

    const { embedder, index } = this.options;
    const model = await embedder.model(caller);
    const [vector] = await embedder.embed(caller, model, [query], `retrieve:${randomUUID()}`);
    const collection = index.nameOf(model.key, (vector as Float32Array).length);
    const filter = {
      tenantId: caller.tenantId,
      principals: caller.userId ? [userPrincipal(caller.userId)] : [],
    };
    const candidates = onlyFiles ? FILE_FILTER_CANDIDATES : Math.min(request.topK * CANDIDATES_FACTOR, 1000);
    let vectorHits: ScoredPoint[];
    let keywordHits: ScoredPoint[];
    try {
      [vectorHits, keywordHits] = await Promise.all([
        index.store.search(collection, { vector: vector as Float32Array, topK: candidates, filter }),
        index.store.keywordSearch(collection, { text: query, topK: candidates, filter }),
      ]);
    } catch (error) {
      // Nothing was ever indexed with this model: there is nothing to find.
      if (error instanceof VectorStoreError && error.code === status.NOT_FOUND) return { chunks: [], report };
      throw error;
    }
    const similarity = new Map(vectorHits.map((h) => [h.id, h.score]));
    const fused = reciprocalRankFusion([vectorHits, keywordHits]).filter(
      (hit) =>
        (!onlyFiles || onlyFiles.has(hit.payload.fileId)) &&
        (request.minScore <= 0 || (similarity.get(hit.id) ?? -1) >= request.minScore),
    );

    // PostgreSQL is the source of truth: a point whose chunk row is gone (a delete racing this search)
    // is never returned, and the row carries the citation details.
    const shortlist = fused.slice(0, request.topK * 3);
    const rows = await this.options.prisma.chunk.findMany({
      where: {
        id: { in: shortlist.map((h) => h.id) },
        file: { tenantId: caller.tenantId, deletedAt: null, status: 'ready' },
      },
      include: { file: { select: { name: true } } },
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const selected: { hit: (typeof shortlist)[number]; row: (typeof rows)[number] }[] = [];
    let tokens = 0;
    for (const hit of shortlist) {
      const row = byId.get(hit.id);
      if (!row || selected.length >= request.topK || tokens + row.tokenCount > request.tokenBudget) continue;
      selected.push({ hit, row });
      tokens += row.tokenCount;
    }

    const citations = selected.map(({ row }): commonV1.Citation => ({
      fileId: row.fileId,
      chunkId: row.id,
      title: row.heading ? `${row.file.name} — ${row.heading}` : row.file.name,
      uri: '',
      page: row.pageStart ?? 0,
      startOffset: row.charStart,
      endOffset: row.charEnd,
      position: row.position,
      // Filled from the checked text below: an excerpt never shows a cut-out injection.
      excerpt: '',
      fileName: row.file.name,
    }));
    const checked = await checkUntrusted(
      this.options.safety,
      caller,
      `retrieve:${randomUUID()}`,
      selected.map(({ row }, i) => ({
        id: row.id,
        text: row.text,
        citation: citations[i] as commonV1.Citation,
      })),
    );
    const chunks: contextV1.RetrievedChunk[] = [];
    selected.forEach(({ hit, row }, i) => {
      const safe = checked[i];
      if (!safe || safe.dropped) {
        report.droppedChunks += 1;
        return;
      }
      if (safe.decision === commonV1.SafetyDecision.SAFETY_DECISION_REDACTED) report.neutralisedChunks += 1;
      const excerpt = excerptOf(safe.text);
      chunks.push({
        chunkId: row.id,
        fileId: row.fileId,
        text: safe.text,
        score: similarity.get(hit.id) ?? 0,
        citation: { ...(citations[i] as commonV1.Citation), excerpt },
        tokenCount: row.tokenCount,
        position: row.position,
        safetyDecision: safe.decision,
        safetyRuleIds: safe.ruleIds,
        excerpt,
      });
    });
    return { chunks, report };
  }
}

function excerptOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= EXCERPT_CHARS ? flat : `${flat.slice(0, EXCERPT_CHARS - 1)}…`;
}
