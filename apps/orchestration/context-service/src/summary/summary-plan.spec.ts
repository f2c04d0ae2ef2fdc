// When a background summary is due and how far it reaches: the verbatim part flexes between the low
// and the high mark (so one summary per block of turns), folds only whole turns, never the newest
// turn, and covers whatever an assembly had to leave out for the budget.
import { planSummaryCut, turnsOf, type VerbatimMessage } from './summary-plan';

/** `turns` turns of a user message and an answer, seqs from `firstSeq`. */
function conversation(turns: number, firstSeq = 1): VerbatimMessage[] {
  return Array.from({ length: turns }, (_, t) => [
    { seq: firstSeq + 2 * t, startsTurn: true },
    { seq: firstSeq + 2 * t + 1, startsTurn: false },
  ]).flat();
}

const marks = { lowTurns: 8, highTurns: 12, mustCoverSeq: 0 };

describe(planSummaryCut.name, () => {
  it('writes nothing while the verbatim part is below the high mark', () => {
    for (let turns = 0; turns < 12; turns++) {
      expect(planSummaryCut({ ...marks, messages: conversation(turns) })).toBeUndefined();
    }
  });

  it('folds the oldest turns down to the low mark once the high mark is reached', () => {
    // 12 turns (seq 1..24): the first 4 turns (seq 1..8) are folded, 8 stay verbatim.
    expect(planSummaryCut({ ...marks, messages: conversation(12) })).toBe(8);
  });

  it('is due once per block: after a summary the verbatim part grows back to the high mark first', () => {
    const cuts: number[] = [];
    let summarizedTo = 0;
    for (let turns = 1; turns <= 32; turns++) {
      const after = conversation(turns).filter((m) => m.seq > summarizedTo);
      const cut = planSummaryCut({ ...marks, messages: after });
      if (cut !== undefined) {
        cuts.push(turns);
        summarizedTo = cut;
      }
    }
    expect(cuts).toEqual([12, 16, 20, 24, 28, 32]);
  });

  it('folds a backlog (no summary yet, or summaries that fell behind) down to the low mark at once', () => {
    expect(planSummaryCut({ ...marks, messages: conversation(30) })).toBe(2 * 22);
  });

  it('covers what an assembly left out for the budget, down to the low mark', () => {
    // 6 turns, below the high mark, but seq 5 (turn 3) did not fit: turns 1-3 are folded.
    expect(planSummaryCut({ ...marks, lowTurns: 2, messages: conversation(6), mustCoverSeq: 5 })).toBe(8);
    expect(planSummaryCut({ ...marks, messages: conversation(6), mustCoverSeq: 5 })).toBe(6);
  });

  it('never folds the newest turn', () => {
    expect(planSummaryCut({ ...marks, messages: conversation(3), mustCoverSeq: 6 })).toBe(4);
    expect(planSummaryCut({ lowTurns: 0, highTurns: 1, mustCoverSeq: 0, messages: conversation(1) })).toBe(
      undefined,
    );
  });

  it('ends a summary only where a turn ends (tool rounds stay with their turn)', () => {
    const messages: VerbatimMessage[] = [
      { seq: 1, startsTurn: true },
      { seq: 2, startsTurn: false }, // assistant tool call
      { seq: 3, startsTurn: false }, // tool result
      { seq: 4, startsTurn: false }, // answer
      ...conversation(2, 5),
    ];
    expect(planSummaryCut({ lowTurns: 2, highTurns: 3, mustCoverSeq: 0, messages })).toBe(4);
  });
});

describe(turnsOf.name, () => {
  it('starts a turn at each user message and joins a leading partial turn to the first one', () => {
    const turns = turnsOf([
      { seq: 3, startsTurn: false },
      { seq: 4, startsTurn: true },
      { seq: 5, startsTurn: false },
      { seq: 6, startsTurn: true },
    ]);
    expect(turns.map((turn) => turn.map((m) => m.seq))).toEqual([[3, 4, 5], [6]]);
  });
});
