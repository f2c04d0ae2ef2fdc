// Owns our fix of kafkajs 2.2.4's idle timer loop (tulios/kafkajs#1556 and #1704; the fix, #1667, was
// never released). RequestQueue.scheduleCheckPendingRequests arms setTimeout(throttledUntil - now)
// even when no request waits and the connection is not throttled: the negative delay fires after
// 1 ms and re-arms itself, so every open broker connection spins a 1 ms timer for the life of the
// process (an idle producer with one connection: 1.65 % of a core). The replacement behaves as the
// original whenever a request waits or the broker throttles, and arms nothing otherwise: a request
// pushed later, or the response of one in flight, checks the queue itself (the paths kafkajs already
// has). Installed once, by the Kafka client factory; written against 2.2.4 only, so an upgrade that
// changes the class fails loudly here instead of running a stale copy.
import { createRequire } from 'node:module';

const FIXED_VERSION = '2.2.4';
/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL (not exported). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

let installed = false;

/** The kafkajs RequestQueue class, as the fix and its spec see it. */
export function kafkaRequestQueueClass(): new (...args: never[]) => RequestQueueInternals {
  const load = createRequire(__filename);
  return load('kafkajs/src/network/requestQueue') as new (...args: never[]) => RequestQueueInternals;
}

export function installKafkaRequestQueueFix(): void {
  if (installed) return;
  const load = createRequire(__filename);
  const { version } = load('kafkajs/package.json') as { version: string };
  if (version !== FIXED_VERSION)
    throw new Error(
      `kafka-request-queue.fix.ts was written for kafkajs ${FIXED_VERSION}, found ${version}: check whether the idle timer loop is fixed upstream, then remove or adapt it`,
    );
  const RequestQueue = kafkaRequestQueueClass();
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(
    this: RequestQueueInternals,
  ): void {
    if (this.throttleCheckTimeoutId) return;
    let delayMs = this.throttledUntil - Date.now();
    if (this.pending.length > 0) {
      delayMs = delayMs > 0 ? delayMs : CHECK_PENDING_REQUESTS_INTERVAL_MS;
    } else if (delayMs <= 0) {
      return; // nothing waits and nothing throttles: no timer
    }
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delayMs);
  };
  installed = true;
}
