import { ToolCallWatchers } from './tool-call.watchers';

const call = { tenantId: 't1', requestId: 'req-1', callId: 'call_1' };
const FAR = () => Date.now() + 60_000;

/** Settles after every already-settled promise: a watch that was woken has resolved by then. */
const settled = (promise: Promise<void>) =>
  Promise.race([
    promise.then(() => 'woken'),
    new Promise((resolve) => setImmediate(() => resolve('waiting'))),
  ]);

describe(ToolCallWatchers.name, () => {
  it('wakes the watch of the changed call only', async () => {
    const sut = new ToolCallWatchers();
    const watched = sut.watch(call);
    const other = sut.watch({ ...call, callId: 'call_2' });
    const waiting = [watched.next(FAR()), other.next(FAR())];

    sut.changed(call);

    expect(await settled(waiting[0] as Promise<void>)).toBe('woken');
    expect(await settled(waiting[1] as Promise<void>)).toBe('waiting');
    watched.close();
    other.close();
  });

  it('keeps a change that lands while nobody waits, for the next wait only', async () => {
    const sut = new ToolCallWatchers();
    const watch = sut.watch(call);

    sut.changed(call);

    expect(await settled(watch.next(FAR()))).toBe('woken');
    expect(await settled(watch.next(FAR()))).toBe('waiting');
    watch.close();
  });

  it('wakes every watch when changes may have been missed, and forgets closed ones', async () => {
    const sut = new ToolCallWatchers();
    const watch = sut.watch(call);
    const waiting = watch.next(FAR());

    sut.changedAll();

    expect(await settled(waiting)).toBe('woken');
    watch.close();
    expect(sut.size).toBe(0);
  });

  it('returns at the deadline or when the signal aborts', async () => {
    const sut = new ToolCallWatchers();
    const watch = sut.watch(call);
    const abort = new AbortController();
    const started = Date.now();

    await watch.next(Date.now() + 50);
    const aborted = watch.next(FAR(), abort.signal);
    abort.abort();

    expect(await settled(aborted)).toBe('woken');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    watch.close();
  });
});
