// Owns the turns of this process that wait on tool calls: each watch is woken by a change of its call
// (fed by the database listener) or by `changedAll` (the listener reconnected, so a change may have
// been missed and every waiter re-reads its call). A change that lands while nobody awaits `next` is
// kept, so the next `next` returns at once.
import type { ToolCallChanges, ToolCallRef, ToolCallWatch } from './tool-call.changes';

const keyOf = (call: ToolCallRef) => `${call.tenantId}\n${call.requestId}\n${call.callId}`;

class Watch implements ToolCallWatch {
  private changed = false;
  private wake?: () => void;

  constructor(private readonly onClose: (watch: Watch) => void) {}

  notify(): void {
    this.changed = true;
    this.wake?.();
  }

  next(until: number, signal?: AbortSignal): Promise<void> {
    if (this.changed || signal?.aborted || Date.now() >= until) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        this.changed = false;
        resolve();
      };
      const timer = setTimeout(done, until - Date.now());
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    this.wake?.();
    this.onClose(this);
  }
}

export class ToolCallWatchers implements ToolCallChanges {
  private readonly watches = new Map<string, Set<Watch>>();

  watch(call: ToolCallRef): ToolCallWatch {
    const key = keyOf(call);
    const watch = new Watch((closed) => {
      const set = this.watches.get(key);
      set?.delete(closed);
      if (set?.size === 0) this.watches.delete(key);
    });
    const set = this.watches.get(key) ?? new Set<Watch>();
    set.add(watch);
    this.watches.set(key, set);
    return watch;
  }

  /** The call's status changed. */
  changed(call: ToolCallRef): void {
    for (const watch of this.watches.get(keyOf(call)) ?? []) watch.notify();
  }

  /** Changes may have been missed: every waiter reads its call again. */
  changedAll(): void {
    for (const set of this.watches.values()) for (const watch of set) watch.notify();
  }

  get size(): number {
    return this.watches.size;
  }
}
