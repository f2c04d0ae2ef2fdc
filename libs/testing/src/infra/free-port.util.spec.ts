import { createServer, type Server } from 'node:net';

import { freePort } from './free-port.util';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('freePort', () => {
  it('hands out distinct ports below the ephemeral range that a server can then bind', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32_768);
    }
    const servers = await Promise.all(ports.map(listen));
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('skips a port somebody already listens on', async () => {
    // Occupy the port after the next one; the sequence must step over it.
    const first = await freePort();
    const taken = await listen(first + 2);
    try {
      const next = [await freePort(), await freePort()];
      expect(next).not.toContain(first + 2);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});
