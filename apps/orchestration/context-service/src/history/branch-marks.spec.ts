// The rules over one branch: drafts and blocked answers are never context, system messages are not
// history, seq ranges are inclusive, and the last N turns start at the N-th user message from the end.
import type { BranchMark } from '@hearth/db';

import { historyMarks, startOfLastTurnMarks, usableMarks, type Branch } from './branch-marks';

let next = 0;
function mark(role: BranchMark['role'], status: BranchMark['status'] = 'complete'): BranchMark {
  next += 1;
  return { id: `m${next}`, seq: next, role, status, parentId: next > 1 ? `m${next - 1}` : null };
}

function branchOf(...marks: BranchMark[]): Branch {
  return { leafId: marks[marks.length - 1]?.id ?? null, marks };
}

describe(historyMarks.name, () => {
  beforeEach(() => {
    next = 0;
  });

  it('keeps complete and incomplete messages, never a streaming draft or a blocked answer', () => {
    const branch = branchOf(
      mark('user'),
      mark('assistant', 'incomplete'),
      mark('user'),
      mark('assistant', 'blocked'),
      mark('user'),
      mark('assistant', 'streaming'),
    );
    expect(usableMarks(branch).map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm5']);
  });

  it('leaves pinned system messages out of history and applies the seq range inclusively', () => {
    const branch = branchOf(mark('system'), mark('user'), mark('assistant'), mark('user'), mark('assistant'));
    expect(historyMarks(branch).map((m) => m.id)).toEqual(['m2', 'm3', 'm4', 'm5']);
    expect(historyMarks(branch, 3, 4).map((m) => m.id)).toEqual(['m3', 'm4']);
    expect(historyMarks(branch, 6)).toEqual([]);
  });

  it('is empty for an empty branch (a conversation without messages)', () => {
    expect(historyMarks({ leafId: null, marks: [] })).toEqual([]);
  });
});

describe(startOfLastTurnMarks.name, () => {
  beforeEach(() => {
    next = 0;
  });

  it('finds where the last N turns start, and 0 when the branch has fewer', () => {
    const marks = [
      mark('user'),
      mark('assistant'),
      mark('user'),
      mark('tool'),
      mark('assistant'),
      mark('user'),
    ];
    expect(startOfLastTurnMarks(marks, 1)).toBe(5);
    expect(startOfLastTurnMarks(marks, 2)).toBe(2);
    expect(startOfLastTurnMarks(marks, 3)).toBe(0);
    expect(startOfLastTurnMarks(marks, 10)).toBe(0);
  });
});
