// The structured output guard against a real worker: output requested under a JSON schema is
// validated when complete (output_valid on the last message), and outputs that do not validate, here
// one cut short by max_tokens, are counted per model.
import { commonV1 } from '@hearth/contracts';
import { freePort } from '@hearth/testing';

import { status } from '@grpc/grpc-js';

import { GatewayMetrics } from '../src/metrics/gateway.metrics';
import { generateRequest } from './support/gateway-requests.fixture';
import { registryModel, startGateway, TEST_ROUTING, type GatewayFixture } from './support/gateway.fixture';
import { writeTinyModel, type TinyModel } from './support/tiny-model.fixture';
import { WorkerProcess } from './support/worker.process';

jest.setTimeout(60_000);

const schema = {
  type: 'object',
  properties: { answer: { enum: ['yes', 'no'] } },
  required: ['answer'],
  additionalProperties: false,
};
const jsonSchema = (schemaJson: string): commonV1.ResponseFormat => ({
  type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
  schemaName: 'verdict',
  schemaJson,
  strict: true,
});

describe('Model gateway structured output guard', () => {
  let model: TinyModel;
  let worker: WorkerProcess;
  let fixture: GatewayFixture;
  let metricsPort: number;

  const failuresOf = async (modelId: string) =>
    (await fixture.gateway.app.get(GatewayMetrics).structuredOutputFailures.get()).values.find(
      (v) => v.labels.model === modelId,
    )?.value ?? 0;

  beforeAll(async () => {
    model = await writeTinyModel({});
    worker = await WorkerProcess.start({ modelPath: model.path, modelId: 'tiny', sha256: model.sha256 });
    metricsPort = await freePort();
    fixture = await startGateway(
      {
        version: 1,
        routing: TEST_ROUTING,
        models: [
          registryModel('tiny', model.sha256, [worker.address], {
            aliases: ['fast'],
            capabilities: ['chat', 'json_schema'],
          }),
        ],
      },
      { env: { METRICS_PORT: String(metricsPort) } },
    );
  });

  afterAll(async () => {
    await fixture?.close();
    await worker?.stop();
    await model?.remove();
  });

  it('marks a complete output that validates against the schema', async () => {
    const outcome = await fixture.generate(
      generateRequest({
        requestId: 'schema-ok',
        responseFormat: jsonSchema(JSON.stringify(schema)),
        sampling: { temperature: 0, stop: [], maxTokens: 200 },
      }),
    );

    expect(outcome.error).toBeUndefined();
    expect(JSON.parse(outcome.text)).toEqual({ answer: expect.stringMatching(/^(yes|no)$/) });
    expect(outcome.last).toMatchObject({
      finishReason: commonV1.FinishReason.FINISH_REASON_STOP,
      outputValid: true,
    });
    expect(await failuresOf('tiny')).toBe(0);
  });

  it('marks and counts an output that does not validate', async () => {
    const outcome = await fixture.generate(
      generateRequest({
        requestId: 'schema-cut',
        responseFormat: jsonSchema(JSON.stringify(schema)),
        sampling: { temperature: 0, stop: [], maxTokens: 2 },
      }),
    );

    expect(outcome.error).toBeUndefined();
    expect(outcome.last).toMatchObject({
      finishReason: commonV1.FinishReason.FINISH_REASON_LENGTH,
      outputValid: false,
    });
    expect(await failuresOf('tiny')).toBe(1);
    const scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(scraped).toContain('gateway_structured_output_validation_failures_total{model="tiny"} 1');
  });

  it('rejects a schema that is not valid JSON Schema before using a worker', async () => {
    const outcome = await fixture.generate(
      generateRequest({ requestId: 'schema-bad', responseFormat: jsonSchema('{"type": 12}') }),
    );

    expect(outcome.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(outcome.error?.message).toMatch(/^response_format\.json_schema\.schema: not a valid JSON Schema/);
  });

  it('leaves output_valid unset when no format was requested', async () => {
    const outcome = await fixture.generate(
      generateRequest({ requestId: 'free-text', sampling: { temperature: 0, stop: [], maxTokens: 4 } }),
    );

    expect(outcome.last?.outputValid).toBeUndefined();
  });
});
