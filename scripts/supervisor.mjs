// Keeps `npm start`'s services running the way Kubernetes keeps a pod's container running: a service
// that exits on its own (a crash, an OOM kill, a SIGKILL) is started again on its port after an
// exponential back-off (1 s, 2 s, 4 s … up to 30 s; the count resets once it stayed up a minute), while
// the other services keep serving. Only stop() (Ctrl-C) ends a service for good.

/** Back-off of restarts: the first after initialMs, doubling up to maxMs; reset after stableMs up. */
export const RESTART_BACKOFF = { initialMs: 1_000, maxMs: 30_000, stableMs: 60_000 };

/** Delay before the restart following `failures` consecutive exits (1-based). */
export function restartDelayMs(failures, policy = RESTART_BACKOFF) {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, failures - 1));
}

/**
 * Watches entry.child; when it exits unasked, calls respawn() after the back-off and watches the new
 * child (entry.child is replaced). Returns stop(): no more restarts, SIGTERM to the current child.
 */
export function supervise(entry, respawn, { log = console.error, policy = RESTART_BACKOFF } = {}) {
  let failures = 0;
  let startedAt = Date.now();
  let stopped = false;
  let timer;
  const watch = (child) =>
    child.once('exit', (code, signal) => {
      if (stopped) return;
      if (Date.now() - startedAt >= policy.stableMs) failures = 0;
      failures += 1;
      const delay = restartDelayMs(failures, policy);
      log(
        `✖ ${entry.name} exited (${code ?? signal}); restarting it in ${delay / 1000} s (restart ${failures})`,
      );
      timer = setTimeout(() => {
        if (stopped) return;
        startedAt = Date.now();
        entry.child = respawn();
        watch(entry.child);
      }, delay);
    });
  watch(entry.child);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      entry.child.kill('SIGTERM');
    },
  };
}
