// Medium: the whole worker with WORKER_SPECULATIVE_DRAFTING=prompt_lookup on the tiny generated model,
// whose greedy chat reply is "Hello big world": a prompt that holds the reply lets the worker draft
// it, the stream is the one a worker without drafting sends, and /metrics counts the drafted tokens.
import { InferenceWorkerController } from '../src/grpc/inference-worker.controller';
import {
  generate,
  metricValue,
  scrapeMetrics,
  startTinyWorker,
  userMessage,
  WorkerFixture,
} from './worker-grpc.fixtures';

jest.setTimeout(30_000);

const greedy = { temperature: 0, stop: [] };

describe(`${InferenceWorkerController.name} with speculative decoding`, () => {
  let fixture: WorkerFixture;

  beforeAll(async () => {
    fixture = await startTinyWorker(
      { WORKER_SPECULATIVE_DRAFTING: 'prompt_lookup', WORKER_DRAFT_TOKENS: '4' },
      { reply: 'Hello big world' },
    );
  });

  afterAll(() => fixture?.close());

  it('streams a drafted reply as the same per-token deltas and counts the accepted drafts on /metrics', async () => {
    const messages = await generate(fixture.client, {
      messages: [userMessage('Hello big world')],
      sampling: greedy,
    });
    const body = await scrapeMetrics(fixture.worker.metricsPort);

    expect(messages.map((m) => m.text)).toEqual(['Hello', ' big', ' world', '']);
    const accepted = metricValue(body, 'hearth_inference_draft_tokens_accepted_total');
    expect(accepted).toBeGreaterThan(0);
    expect(metricValue(body, 'hearth_inference_draft_tokens_proposed_total')).toBeGreaterThanOrEqual(
      accepted,
    );
  });

  it('does not draft for a sampled request', async () => {
    const before = metricValue(
      await scrapeMetrics(fixture.worker.metricsPort),
      'hearth_inference_draft_tokens_proposed_total',
    );
    await generate(fixture.client, {
      messages: [userMessage('Hello big world')],
      sampling: { temperature: 0.8, seed: 5, stop: [] },
    });
    const after = metricValue(
      await scrapeMetrics(fixture.worker.metricsPort),
      'hearth_inference_draft_tokens_proposed_total',
    );

    expect(after).toBe(before);
  });
});
