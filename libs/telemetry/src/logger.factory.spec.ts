import { Writable } from 'node:stream';

import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';

import { createLogger, REDACTED } from './logger.factory';
import { withSpan } from './span.helper';
import { startTelemetry, type TelemetryShutdown } from './telemetry-sdk.setup';

type LogLine = Record<string, unknown>;

function captureLogger() {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  const sut = createLogger({ service: 'logger-spec', level: 'debug', destination });
  return { sut, lines };
}

describe(createLogger.name, () => {
  let shutdown: TelemetryShutdown;

  beforeAll(() => {
    shutdown = startTelemetry({
      serviceName: 'logger-spec',
      spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
    });
  });

  afterAll(async () => {
    await shutdown();
  });

  it('stamps a line written inside an active span with its trace and span ids', async () => {
    const { sut, lines } = captureLogger();

    const ids = await withSpan('work', (span) => {
      sut.info('inside');
      return span.spanContext();
    });

    expect(lines[0]).toMatchObject({
      service: 'logger-spec',
      level: 'info',
      msg: 'inside',
      trace_id: ids.traceId,
      span_id: ids.spanId,
      trace_flags: '01',
    });
  });

  it('leaves trace fields out of a line written outside any span', () => {
    const { sut, lines } = captureLogger();

    sut.info('outside');

    expect(trace.getActiveSpan()).toBeUndefined();
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[0]).not.toHaveProperty('span_id');
  });

  it('logs a gRPC error with its code and details but without its circular metadata', () => {
    const { sut, lines } = captureLogger();
    const metadata: Record<string, unknown> = { authorization: 'Bearer sk-secret' };
    metadata['self'] = metadata;
    const error = Object.assign(new Error('14 UNAVAILABLE: no connection'), {
      code: 14,
      details: 'no connection',
      metadata,
    });

    sut.warn({ err: error }, 'upstream failed');

    expect(lines[0]['err']).toMatchObject({
      type: 'Error',
      message: '14 UNAVAILABLE: no connection',
      code: 14,
      details: 'no connection',
    });
    expect(lines[0]['err']).not.toHaveProperty('metadata');
    expect(JSON.stringify(lines[0])).not.toContain('sk-secret');
  });

  it('logs a non-error value under err unchanged', () => {
    const { sut, lines } = captureLogger();
    sut.warn({ err: 'plain text' }, 'odd failure');
    expect(lines[0]['err']).toBe('plain text');
  });

  it('censors credentials wherever they sit', () => {
    const { sut, lines } = captureLogger();

    sut.info(
      {
        req: {
          headers: {
            authorization: 'Bearer sk-live-1',
            'x-api-key': 'sk-live-2',
            accept: 'text/event-stream',
          },
        },
        apiKey: 'sk-live-3',
        db: { password: 'hunter2', host: 'db' },
        session: { refreshToken: 'r-1' },
      },
      'request',
    );

    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: REDACTED, 'x-api-key': REDACTED, accept: 'text/event-stream' } },
      apiKey: REDACTED,
      db: { password: REDACTED, host: 'db' },
      session: { refreshToken: REDACTED },
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/sk-live|hunter2|r-1/);
  });

  it('censors message bodies but keeps their shape', () => {
    const { sut, lines } = captureLogger();

    sut.info(
      {
        body: {
          model: 'gemma',
          messages: [
            { role: 'system', content: 'secret system prompt' },
            { role: 'user', content: 'my card is 4111' },
          ],
        },
        prompt: 'raw prompt',
        result: { choices: [{ message: { role: 'assistant', content: 'the answer' } }] },
        content: 'top-level text',
      },
      'turn',
    );

    expect(lines[0]).toMatchObject({
      body: {
        model: 'gemma',
        messages: [
          { role: 'system', content: REDACTED },
          { role: 'user', content: REDACTED },
        ],
      },
      prompt: REDACTED,
      result: { choices: [{ message: { role: 'assistant', content: REDACTED } }] },
      content: REDACTED,
    });
    expect(JSON.stringify(lines[0])).not.toMatch(
      /secret system prompt|4111|raw prompt|the answer|top-level text/,
    );
  });
});
