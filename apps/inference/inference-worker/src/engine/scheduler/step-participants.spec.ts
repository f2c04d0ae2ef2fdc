import type { RequestPriority } from '../generation.types';
import { stepParticipants } from './step-participants';

const run = (id: string, priority: RequestPriority, decoding: boolean) => ({ id, priority, decoding });
const ids = (items: readonly { id: string }[]) => items.map((item) => item.id);

describe(stepParticipants.name, () => {
  it('pauses low-priority work while an interactive prompt is prefilled', () => {
    const actives = [run('summary', 'low', true), run('turn', 'normal', false), run('prime', 'low', false)];
    expect(ids(stepParticipants(actives))).toEqual(['turn']);
  });

  it('lets everything run once the interactive prompt decodes', () => {
    const actives = [run('summary', 'low', true), run('turn', 'high', true), run('prime', 'low', false)];
    expect(ids(stepParticipants(actives))).toEqual(['summary', 'turn', 'prime']);
  });

  it('never pauses interactive work for a low-priority prefill', () => {
    const actives = [run('turn', 'normal', true), run('summary', 'low', false)];
    expect(ids(stepParticipants(actives))).toEqual(['turn', 'summary']);
  });

  it('runs low-priority work alone when nothing else is running', () => {
    expect(ids(stepParticipants([run('summary', 'low', false)]))).toEqual(['summary']);
    expect(stepParticipants([])).toEqual([]);
  });
});
