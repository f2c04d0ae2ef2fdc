import { QueueFullError } from '../engine.errors';
import { RequestPriority } from '../generation.types';
import { AdmissionQueue, QueueEntry } from './admission-queue';

interface Entry extends QueueEntry {
  readonly id: string;
}
const entry = (id: string, priority: RequestPriority = 'normal'): Entry => ({ id, priority, enqueuedAt: 0 });
const ids = (sut: AdmissionQueue<Entry>): string[] => {
  const out: string[] = [];
  for (let e = sut.shift(); e; e = sut.shift()) out.push(e.id);
  return out;
};

describe(AdmissionQueue.name, () => {
  const make = (capacity: number) =>
    new AdmissionQueue<Entry>({ capacity, estimateWaitMs: (position) => 1500 * (position + 1) });

  it('serves higher tiers first and FIFO within a tier', () => {
    const sut = make(10);
    ['a', 'b'].forEach((id) => sut.enqueue(entry(id, 'low')));
    ['c', 'd'].forEach((id) => sut.enqueue(entry(id, 'normal')));
    sut.enqueue(entry('e', 'high'));
    expect(ids(sut)).toEqual(['e', 'c', 'd', 'a', 'b']);
  });

  it('counts free slots as extra room, so a burst at an idle worker is not refused', () => {
    let freeSlots = 2;
    const sut = new AdmissionQueue<Entry>({
      capacity: 1,
      headroom: () => freeSlots,
      estimateWaitMs: () => 1000,
    });
    ['a', 'b', 'c'].forEach((id) => sut.enqueue(entry(id)));
    expect(() => sut.enqueue(entry('d'))).toThrow(QueueFullError);
    freeSlots = 0;
    sut.shift();
    sut.shift();
    expect(() => sut.enqueue(entry('e'))).toThrow(QueueFullError);
    expect(sut.size).toBe(1);
  });

  it('refuses when full with a QueueFullError carrying a retry hint', () => {
    const sut = make(2);
    sut.enqueue(entry('a'));
    sut.enqueue(entry('b'));
    const error = (() => {
      try {
        sut.enqueue(entry('c'));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(QueueFullError);
    expect(error).toMatchObject({ queueDepth: 2, retryAfterMs: 4500 });
    expect(sut.size).toBe(2);
  });

  it('sheds the newest lower-tier waiter to admit a higher tier', () => {
    const sut = make(2);
    sut.enqueue(entry('low-old', 'low'));
    sut.enqueue(entry('low-new', 'low'));
    const shed = sut.enqueue(entry('urgent', 'high'));
    expect(shed?.id).toBe('low-new');
    expect(ids(sut)).toEqual(['urgent', 'low-old']);
  });

  it('does not shed an equal tier', () => {
    const sut = make(1);
    sut.enqueue(entry('a', 'high'));
    expect(() => sut.enqueue(entry('b', 'high'))).toThrow(QueueFullError);
  });

  it('removes a waiter (cancelled or expired) and drains the rest', () => {
    const sut = make(5);
    const [a, b, c] = [entry('a'), entry('b', 'low'), entry('c')];
    [a, b, c].forEach((e) => sut.enqueue(e));
    expect(sut.remove(b)).toBe(true);
    expect(sut.remove(b)).toBe(false);
    expect(sut.drain().map((e) => e.id)).toEqual(['a', 'c']);
    expect(sut.size).toBe(0);
  });

  it('never hints less than a second', () => {
    const sut = new AdmissionQueue<Entry>({ capacity: 1, estimateWaitMs: () => 10 });
    expect(sut.retryAfterMs()).toBe(1000);
  });
});
