// Grounded answers where a real model does the semantic work: the registry serves Gemma 3 270M (the
// infrastructure's HEARTH_MODEL_PATH, one thread, small context) for embeddings only, and chat stays on
// the tiny GGUF with a scripted reply citing [1]. Four short files on unrelated topics are ingested
// through IngestFile; each question is a paraphrase sharing no word with any file, so the keyword half
// of the hybrid search finds nothing (checked here with the same KeywordIndex the store uses) and only
// the embeddings can rank the right file first. Asked with the right file left out, the turn cites
// another file: what was found came from meaning, not from the request naming it.
import { commonV1, contextV1, orchestratorV1 } from '@hearth/contracts';
import { ACL_PUBLIC, KeywordIndex } from '@hearth/retrieval';
import { infraEnv } from '@hearth/testing';

import { TurnRun } from '../src/turns/turn.run';
import {
  startOrchestratorStack,
  userMessage,
  type FilesClient,
  type OrchestratorStack,
  type Tenant,
  type TurnOutcome,
} from './support/orchestrator.fixture';

jest.setTimeout(120_000);

const REPLY = 'See [1]';

// Each file is one chunk (under CHUNK_MAX_TOKENS in Gemma's tokens), so "the right chunk" is "the right file".
const CORPUS = {
  'sourdough.md':
    'Sourdough starter is a mix of flour and water that wild yeast ferments. Feed the starter daily, let the dough proof overnight, then bake the loaf in a hot Dutch oven.',
  'node-pools.md':
    'A Kubernetes node pool is a group of virtual machines with the same instance type. The cluster autoscaler adds nodes to a pool when pods cannot be scheduled and removes idle nodes.',
  'tax-deadlines.md':
    'Federal income tax returns are due on April 15. Taxpayers who need more time can file for an extension, but any tax owed must still be paid by the deadline to avoid penalties.',
  'tomatoes.md':
    'Tomato seedlings need full sun and regular watering. Transplant them into the garden after the last spring frost and stake the vines as they grow.',
} as const;
type FileName = keyof typeof CORPUS;

// Measured with Gemma 3 270M (cosine to the right file vs the best wrong one): 0.77 vs 0.63,
// 0.77 vs 0.49, 0.70 vs 0.40.
const QUESTIONS: readonly [string, FileName][] = [
  ['How do I make naturally leavened bread at home?', 'sourdough.md'],
  ['How does my container orchestration platform get extra compute capacity?', 'node-pools.md'],
  ['What date should yearly earnings paperwork reach IRS?', 'tax-deadlines.md'],
];

const { GroundingStatus } = orchestratorV1;

function citationsOf(outcome: TurnOutcome): orchestratorV1.TurnCitations | undefined {
  return outcome.events.find((event) => event.citations)?.citations ?? undefined;
}

describe(TurnRun.name, () => {
  let stack: OrchestratorStack;
  let files: FilesClient;
  let tenant: Tenant;
  const ids = new Map<FileName, string>();

  /** File ids of the first round's retrieved chunks, in the order the prompt numbers them. */
  async function retrievedFiles(outcome: TurnOutcome): Promise<(string | undefined)[]> {
    const { trace } = await stack.getTurnTrace({
      caller: tenant.caller,
      turnId: outcome.started?.turnId,
    });
    return (trace?.rounds[0]?.prompt ?? [])
      .filter((item) => item.provenance?.layer === commonV1.ContextLayer.CONTEXT_LAYER_RETRIEVAL)
      .map((item) => item.provenance?.citation?.fileId);
  }

  beforeAll(async () => {
    stack = await startOrchestratorStack({
      reply: REPLY,
      files: true,
      contextSize: 2048,
      embeddingModel: { path: infraEnv().modelPath, contextSize: 512 },
    });
    files = stack.files as FilesClient;
    tenant = await stack.newTenant();
    const names = Object.keys(CORPUS) as FileName[];
    const uploaded = await Promise.all(names.map((name) => files.upload(tenant.caller, name, CORPUS[name])));
    uploaded.forEach((file, i) => ids.set(names[i] as FileName, file.fileId));
    await Promise.all(
      uploaded.map((file) =>
        files.waitFor(tenant.caller, file.fileId, contextV1.FileStatus.FILE_STATUS_READY),
      ),
    );
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('shares no word with any file, so keyword search alone finds nothing', () => {
    const keywords = KeywordIndex.fromDocuments(
      Object.values(CORPUS).map((text, key) => ({ key, text, acl: [ACL_PUBLIC] })),
    );
    for (const [question] of QUESTIONS) expect(keywords.query(question, 10, [])).toEqual([]);
    // The same index does find a question that reuses the file's words.
    expect(keywords.query('sourdough starter', 10, [])).toHaveLength(1);
  });

  it.each(QUESTIONS)('answers %j from %s, retrieved first and cited', async (question, expected) => {
    const outcome = await stack.runTurn({
      caller: tenant.caller,
      messages: [userMessage(question)],
      retrieval: { enabled: true, fileIds: [], topK: 3, query: '' },
    });

    expect(outcome.failure).toBeUndefined();
    expect(outcome.text.trim()).toBe(REPLY);
    const citations = citationsOf(outcome) as orchestratorV1.TurnCitations;
    expect(citations.status).toBe(GroundingStatus.GROUNDING_STATUS_GROUNDED);
    expect(citations.citations).toHaveLength(1);
    expect(citations.citations[0]).toMatchObject({
      marker: 1,
      fileId: ids.get(expected),
      fileName: expected,
    });
    const retrieved = await retrievedFiles(outcome);
    expect(retrieved.length).toBeGreaterThan(1);
    expect(retrieved[0]).toBe(ids.get(expected));
  });

  it('cites another file when the right one is left out of the request', async () => {
    const [question, expected] = QUESTIONS[0] as [string, FileName];
    const others = [...ids].filter(([name]) => name !== expected).map(([, id]) => id);

    const outcome = await stack.runTurn({
      caller: tenant.caller,
      messages: [userMessage(question)],
      retrieval: { enabled: true, fileIds: others, topK: 3, query: '' },
    });

    const citations = citationsOf(outcome) as orchestratorV1.TurnCitations;
    expect(citations.status).toBe(GroundingStatus.GROUNDING_STATUS_GROUNDED);
    expect(others).toContain(citations.citations[0]?.fileId);
    const retrieved = await retrievedFiles(outcome);
    expect(retrieved).not.toContain(ids.get(expected));
  });
});
