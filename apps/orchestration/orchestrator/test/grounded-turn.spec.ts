// Grounded answers end to end: a file uploaded through the real context service (IngestFile, ingested
// in its process: chunked and embedded through the gateway on the tiny GGUF with mean pooling) is
// retrieved by a turn, the prompt numbers the chunks and asks for citations, and the turn ends with a
// `citations` event validated against what was retrieved (the scripted reply cites [1] and a bogus
// [7]). Files still processing or failed, and searches that find nothing, are answered without a
// model call; another tenant's file is never retrieved nor cited; bad retrieval options are
// INVALID_ARGUMENT. The grounding instruction is a versioned prompt: the trace names the version and
// the prompt variant that served the turn, and a request may name a variant of the rollout.
import { createHash, randomUUID } from 'node:crypto';

import { commonV1, contextV1, orchestratorV1 } from '@hearth/contracts';
import { promptCatalog } from '@hearth/prompts';

import { status } from '@grpc/grpc-js';

import { NO_SOURCES_ANSWER } from '../src/turns/grounding';
import { TurnRun } from '../src/turns/turn.run';
import {
  startOrchestratorStack,
  userMessage,
  type FilesClient,
  type OrchestratorStack,
  type Tenant,
  type TurnOutcome,
} from './support/orchestrator.fixture';

jest.setTimeout(180_000);

/** A rollout of 0%: every turn is `control` unless it names the variant. */
const PROMPT_VARIANTS = {
  '*': {
    rollout: 0,
    variants: [{ name: 'cite-example', prompts: { grounding: 'grounding@v2', system: 'concise@v1' } }],
  },
};

/** The tiny model's answer to anything: one valid marker and one that no retrieved chunk has. */
const REPLY = 'Dough rises [1] and [7]';

const GUIDE = `# Field guide

## Cats
Cats are small domestic felines. They purr when content and sleep most of the day.

## Volcanoes
Volcanoes erupt when magma rises through the crust. Lava flows and ash clouds follow an eruption.

## Bread
Bread dough rises because yeast ferments sugar. Bakers knead the dough before baking.
`;

const OTHER = `# Other tenant notes

## Bread
Secret bakery recipe: dough rises overnight because yeast ferments sugar slowly in the cold.
`;

const { GroundingStatus } = orchestratorV1;
const { FileStatus } = contextV1;

function kindsOf(outcome: TurnOutcome): string[] {
  return outcome.events.map(
    (event) => Object.keys(event).find((key) => event[key as keyof typeof event] != null) ?? '',
  );
}

function citationsOf(outcome: TurnOutcome): orchestratorV1.TurnCitations | undefined {
  return outcome.events.find((event) => event.citations)?.citations ?? undefined;
}

describe(TurnRun.name, () => {
  let stack: OrchestratorStack;
  let files: FilesClient;
  let owner: Tenant;
  let other: Tenant;
  let guideId: string;

  beforeAll(async () => {
    // Each retrieved chunk is wrapped as fenced data with its ids, which the tiny vocabulary spells out
    // nearly character by character: 2048 tokens of context leave room for three of them.
    stack = await startOrchestratorStack({
      reply: REPLY,
      files: true,
      contextSize: 2048,
      orchestratorEnv: { PROMPT_VARIANTS: JSON.stringify(PROMPT_VARIANTS) },
    });
    files = stack.files as FilesClient;
    [owner, other] = await Promise.all([stack.newTenant(), stack.newTenant()]);
    guideId = (await files.upload(owner.caller, 'guide.md', GUIDE)).fileId;
    await files.waitFor(owner.caller, guideId, FileStatus.FILE_STATUS_READY);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers from a ready file with a citation event before finish; the bogus marker [7] is dropped', async () => {
    const request = {
      caller: owner.caller,
      idempotencyKey: randomUUID(),
      messages: [userMessage('Why does bread dough rise before baking?')],
      retrieval: { enabled: true, fileIds: [guideId], topK: 3, query: '' },
    };

    const outcome = await stack.runTurn(request);

    expect(outcome.error).toBeUndefined();
    expect(outcome.failure).toBeUndefined();
    expect(outcome.text.trim()).toBe(REPLY);
    expect(kindsOf(outcome).slice(-3)).toEqual(['citations', 'usage', 'finish']);
    expect(outcome.finish?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_STOP);
    const citations = citationsOf(outcome) as orchestratorV1.TurnCitations;
    expect(citations.status).toBe(GroundingStatus.GROUNDING_STATUS_GROUNDED);
    expect(citations.droppedMarkers).toEqual([7]);
    expect(citations.retrievedChunks).toBeGreaterThanOrEqual(1);
    expect(citations.retrievedChunks).toBeLessThanOrEqual(3);
    expect(citations.citations).toHaveLength(1);
    const cited = citations.citations[0] as orchestratorV1.SourceCitation;
    // [1] is the first retrieved chunk of the prompt the model actually saw, labelled "Source [1]".
    const { trace } = await stack.getTurnTrace({
      caller: owner.caller,
      turnId: outcome.started?.turnId,
    });
    const prompt = trace?.rounds[0]?.prompt ?? [];
    const retrieved = prompt.filter(
      (item) => item.provenance?.layer === commonV1.ContextLayer.CONTEXT_LAYER_RETRIEVAL,
    );
    expect(retrieved).toHaveLength(citations.retrievedChunks);
    const first = retrieved[0] as commonV1.ContextMessage;
    expect(first.message?.content[0]?.text).toMatch(/^Source \[1\]:\n/);
    expect(cited).toMatchObject({
      marker: 1,
      chunkId: first.provenance?.sourceId,
      fileId: guideId,
      fileName: 'guide.md',
      page: 0,
    });
    expect(cited.excerpt.length).toBeGreaterThan(0);
    expect(GUIDE.slice(cited.startOffset, cited.endOffset)).toContain(cited.excerpt.slice(0, 20));
    const chunk = await stack.prisma.chunk.findUniqueOrThrow({ where: { id: cited.chunkId } });
    expect(chunk).toMatchObject({ fileId: guideId, position: cited.position });
    const grounding = promptCatalog().render('grounding@v1');
    expect(prompt.some((item) => item.message?.content[0]?.text === grounding)).toBe(true);
    expect(trace?.prompts).toEqual({ variant: 'control', experiment: '*', versions: ['grounding@v1'] });
    // The trace keeps the list as sent, dropped markers included.
    expect(trace?.citations).toEqual(citations);

    // A replay of the same request sends the stored citations again, without a model call.
    const before = await stack.gatewayRequests();
    const replay = await stack.runTurn({ ...request, requestId: randomUUID() });
    expect(replay.started?.replayed).toBe(true);
    expect(citationsOf(replay)).toEqual(citations);
    expect(kindsOf(replay).slice(-3)).toEqual(['citations', 'usage', 'finish']);
    expect(await stack.gatewayRequests()).toBe(before);
  });

  it('answers that a file still processing is not ready, without a model call', async () => {
    // What a file looks like while an ingestion worker holds it: processing, with a live lease.
    const pending = await stack.prisma.file.create({
      data: {
        tenantId: owner.tenantId,
        ownerId: owner.userId,
        name: 'slow.md',
        mimeType: 'text/markdown',
        sizeBytes: 10,
        sha256: createHash('sha256').update(randomUUID()).digest('hex'),
        status: 'processing',
        attempts: 1,
        leaseUntil: new Date(Date.now() + 3_600_000),
        storageKey: `${owner.tenantId}/none`,
      },
    });
    const before = await stack.gatewayRequests();

    const outcome = await stack.runTurn({
      caller: owner.caller,
      messages: [userMessage('What does the slow file say?')],
      retrieval: { enabled: true, fileIds: [guideId, pending.id], topK: 3, query: '' },
    });

    expect(outcome.failure).toBeUndefined();
    expect(outcome.text).toContain('still being processed');
    expect(outcome.text).toContain(pending.id);
    expect(outcome.finish?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_STOP);
    expect(citationsOf(outcome)).toEqual({
      status: GroundingStatus.GROUNDING_STATUS_FILES_NOT_READY,
      citations: [],
      droppedMarkers: [],
      retrievedChunks: 0,
      unavailableFiles: [{ fileId: pending.id, failed: false, reason: '' }],
    });
    expect(await stack.gatewayRequests()).toBe(before);
  });

  it('answers with the reason when a requested file failed ingestion', async () => {
    const failed = await stack.prisma.file.create({
      data: {
        tenantId: owner.tenantId,
        ownerId: owner.userId,
        name: 'broken.pdf',
        mimeType: 'application/pdf',
        sizeBytes: 10,
        sha256: createHash('sha256').update(randomUUID()).digest('hex'),
        status: 'failed',
        failureReason: 'the PDF has no extractable text',
        storageKey: `${owner.tenantId}/none`,
      },
    });

    const outcome = await stack.runTurn({
      caller: owner.caller,
      messages: [userMessage('Summarise the broken file')],
      retrieval: { enabled: true, fileIds: [failed.id], topK: 0, query: '' },
    });

    expect(outcome.text).toContain('the PDF has no extractable text');
    expect(outcome.finish?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_STOP);
    expect(citationsOf(outcome)?.status).toBe(GroundingStatus.GROUNDING_STATUS_FILES_FAILED);
  });

  it("never retrieves nor cites another tenant's file", async () => {
    // Without files of its own, the other tenant's search finds nothing: the fixed answer, no model call.
    const before = await stack.gatewayRequests();
    const empty = await stack.runTurn({
      caller: other.caller,
      messages: [userMessage('Why does bread dough rise before baking?')],
      retrieval: { enabled: true, fileIds: [], topK: 3, query: '' },
    });
    expect(empty.text).toBe(NO_SOURCES_ANSWER);
    expect(citationsOf(empty)?.status).toBe(GroundingStatus.GROUNDING_STATUS_NO_SOURCES);
    expect(await stack.gatewayRequests()).toBe(before);

    // With a file of its own, only that file is retrieved and cited.
    const ownId = (await files.upload(other.caller, 'notes.md', OTHER)).fileId;
    await files.waitFor(other.caller, ownId, FileStatus.FILE_STATUS_READY);
    const outcome = await stack.runTurn({
      caller: other.caller,
      messages: [userMessage('Why does bread dough rise before baking?')],
      retrieval: { enabled: true, fileIds: [], topK: 3, query: '' },
    });
    const citations = citationsOf(outcome) as orchestratorV1.TurnCitations;
    expect(citations.status).toBe(GroundingStatus.GROUNDING_STATUS_GROUNDED);
    expect(citations.citations.map((c) => c.fileId)).toEqual([ownId]);
    const { trace } = await stack.getTurnTrace({
      caller: other.caller,
      turnId: outcome.started?.turnId,
    });
    const retrievedFiles = (trace?.rounds[0]?.prompt ?? [])
      .filter((item) => item.provenance?.layer === commonV1.ContextLayer.CONTEXT_LAYER_RETRIEVAL)
      .map((item) => item.provenance?.citation?.fileId);
    expect(retrievedFiles.length).toBeGreaterThan(0);
    expect(new Set(retrievedFiles)).toEqual(new Set([ownId]));

    // Naming the owner's file is NOT_FOUND, as for a file that does not exist.
    const foreign = await stack.runTurn({
      caller: other.caller,
      messages: [userMessage('Why does bread dough rise?')],
      retrieval: { enabled: true, fileIds: [guideId], topK: 3, query: '' },
    });
    expect(foreign.failure).toMatchObject({ code: status.NOT_FOUND, reason: 'FILE_NOT_FOUND' });
    expect(citationsOf(foreign)).toBeUndefined();
  });

  it('refuses bad retrieval options before anything is stored', async () => {
    const badId = await stack.runTurn({
      caller: owner.caller,
      messages: [userMessage('Hi')],
      retrieval: { enabled: true, fileIds: ['not-a-uuid'], topK: 3, query: '' },
    });
    expect(badId.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(badId.error?.message).toContain('retrieval.file_ids[0]');

    const badTopK = await stack.runTurn({
      caller: owner.caller,
      messages: [userMessage('Hi')],
      retrieval: { enabled: true, fileIds: [], topK: 21, query: '' },
    });
    expect(badTopK.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(badTopK.events).toEqual([]);
  });

  it('serves a variant the request names: its system prompt first, its grounding version, both in the trace', async () => {
    const outcome = await stack.runTurn({
      caller: owner.caller,
      promptVariant: 'cite-example',
      messages: [userMessage('Why does bread dough rise before baking?')],
      retrieval: { enabled: true, fileIds: [guideId], topK: 3, query: '' },
    });

    expect(outcome.error).toBeUndefined();
    const { trace } = await stack.getTurnTrace({ caller: owner.caller, turnId: outcome.started?.turnId });
    expect(trace?.prompts).toEqual({
      variant: 'cite-example',
      experiment: '*',
      versions: ['concise@v1', 'grounding@v2'],
    });
    const prompt = trace?.rounds[0]?.prompt ?? [];
    expect(prompt[0]?.message?.content[0]?.text).toBe(promptCatalog().render('concise@v1'));
    expect(prompt[0]?.provenance).toMatchObject({
      layer: commonV1.ContextLayer.CONTEXT_LAYER_INSTRUCTIONS,
      sourceId: 'concise@v1',
    });
    const texts = prompt.map((item) => item.message?.content[0]?.text);
    expect(texts).toContain(promptCatalog().render('grounding@v2'));
    expect(texts).not.toContain(promptCatalog().render('grounding@v1'));
  });

  it('refuses a prompt variant the model has none of before anything is stored', async () => {
    const outcome = await stack.runTurn({
      caller: owner.caller,
      promptVariant: 'no-such-variant',
      messages: [userMessage('Hi')],
    });
    expect(outcome.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(outcome.error?.message).toContain('prompt variant "no-such-variant" is not defined');
    expect(outcome.events).toEqual([]);
  });
});
