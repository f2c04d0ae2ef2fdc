// Owns which running slots take part in a decode step. While an interactive request (normal or high
// priority) is still prefilling its prompt, low-priority work (background summaries, cache priming)
// sits the step out: its tokens would share the batch and the threads with the prompt a person is
// waiting on. It resumes, where it stopped, as soon as that prompt has its first token; a running
// low-priority stream is paused for a few steps, never dropped.
import type { RequestPriority } from '../generation.types';

export interface StepCandidate {
  readonly priority: RequestPriority;
  /** False while the prompt is still being prefilled. */
  readonly decoding: boolean;
}

export function stepParticipants<T extends StepCandidate>(actives: readonly T[]): T[] {
  const interactivePrefill = actives.some((a) => !a.decoding && a.priority !== 'low');
  return interactivePrefill ? actives.filter((a) => a.priority !== 'low') : [...actives];
}
