import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { startTelemetry } from '../src';

const run = promisify(execFile);

interface ReceivedExport {
  path: string;
  body: string;
}

describe(`${startTelemetry.name} OTLP export`, () => {
  let collector: Server;
  let endpoint: string;
  const received: ReceivedExport[] = [];

  beforeAll(async () => {
    // A real HTTP listener standing in for an OTLP collector: it records what the exporter posts.
    collector = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => collector.close(resolve));
  });

  it('posts the span with the service name to <endpoint>/v1/traces on shutdown', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        join(__dirname, 'fixtures', 'export-one-span.fixture.ts'),
        endpoint,
        'exporting-service',
        'exported work',
      ],
      { cwd: join(__dirname, '..', '..', '..'), timeout: 30_000 },
    );
    const traceId = stdout.trim();

    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(received).toHaveLength(1);
    expect(received[0].path).toBe('/v1/traces');
    expect(received[0].body).toContain('exporting-service');
    expect(received[0].body).toContain('exported work');
    expect(received[0].body).toContain(traceId);
  }, 40_000);
});
