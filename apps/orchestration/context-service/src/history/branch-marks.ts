// Owns the pure rules over a branch of a conversation (the path from its first message to a leaf,
// see @hearth/db's message tree): which of its messages are usable as context, its history in a seq
// range, and where its last turns start. No I/O, so every rule is unit-tested.
import type { BranchMark } from '@hearth/db';

/** A branch of a conversation: the message it ends at and the path to it, oldest first. */
export interface Branch {
  leafId: string | null;
  marks: BranchMark[];
}

/** Drafts still streaming and blocked turns are never context. */
const USABLE_STATUSES: ReadonlySet<string> = new Set(['complete', 'incomplete']);

/** Usable messages of a branch (system ones included), oldest first. */
export function usableMarks(branch: Branch): BranchMark[] {
  return branch.marks.filter((mark) => USABLE_STATUSES.has(mark.status));
}

/** Usable non-system messages of a branch with seq in [fromSeq, toSeq], oldest first. */
export function historyMarks(branch: Branch, fromSeq = 1, toSeq = Number.MAX_SAFE_INTEGER): BranchMark[] {
  return usableMarks(branch).filter(
    (mark) => mark.role !== 'system' && mark.seq >= fromSeq && mark.seq <= toSeq,
  );
}

/** Index of the first of the last `turns` turns in `marks` (a turn starts at a user message). */
export function startOfLastTurnMarks(marks: readonly BranchMark[], turns: number): number {
  let seen = 0;
  for (let i = marks.length - 1; i >= 0; i--) {
    if ((marks[i] as BranchMark).role === 'user' && ++seen === turns) return i;
  }
  return 0;
}
