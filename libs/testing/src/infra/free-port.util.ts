// Owns picking loopback ports nobody listens on, for extra servers a test starts itself.
//
// A port the OS picks for `listen(0)` comes from the ephemeral range, where every outgoing connection
// and every other process's `listen(0)` draws too: a port probed free, closed and handed to a child
// could be taken by someone else before the child bound it (two jest workers starting stacks at once
// did, and a service died with EADDRINUSE). So ports come from below the ephemeral range instead, from a
// slice of it owned by this jest worker, in sequence from a random start, each probed before it is
// given out. Two workers of a run never share a slice, and the OS never hands these ports out itself.
import { createServer } from 'node:net';

/** Below Linux's default ephemeral range (32768–60999), above the well-known services. */
const RANGE_START = 20_000;
const RANGE_END = 32_768;
const SLICES = 16;
const SLICE_SIZE = Math.floor((RANGE_END - RANGE_START) / SLICES);

const slice = (Number(process.env['JEST_WORKER_ID'] ?? process.pid) || 0) % SLICES;
let offset = Math.floor(Math.random() * SLICE_SIZE);

/** A TCP port free on 127.0.0.1 now, from this process's slice; not handed out again by this process. */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < SLICE_SIZE; tried++) {
    const port = RANGE_START + slice * SLICE_SIZE + (offset++ % SLICE_SIZE);
    if (await canListen(port)) return port;
  }
  throw new Error(
    `no free port in ${RANGE_START + slice * SLICE_SIZE}–${RANGE_START + (slice + 1) * SLICE_SIZE}`,
  );
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
