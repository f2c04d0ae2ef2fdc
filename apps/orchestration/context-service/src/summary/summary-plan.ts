// Owns when a rolling summary is due and how far it reaches, free of I/O so every rule is unit-tested.
// The verbatim part of a conversation (every message after its newest summary) flexes between a low
// and a high mark counted in turns (a turn starts at a user message): it grows by one turn per turn
// until it reaches the high mark, then its oldest turns are folded into a new summary, down to the
// low mark. So a summary is rewritten once per block of turns, never per turn. An assembly that had
// to leave verbatim messages out for the token budget asks for them to be covered: the summary then
// reaches at least through them (and, being due anyway, down to the low mark).

export interface VerbatimMessage {
  seq: number;
  /** True for a user message: it opens a turn. */
  startsTurn: boolean;
}

export interface SummaryPlanInput {
  /** Usable messages after the newest valid summary (all of them without one), oldest first. */
  messages: readonly VerbatimMessage[];
  /** Turns left verbatim once a summary is written. */
  lowTurns: number;
  /** Turns the verbatim part may reach before a summary is due (low mark + block). */
  highTurns: number;
  /** The newest seq an assembly left out for the budget (0: none): the summary must cover it. */
  mustCoverSeq: number;
}

/** Messages grouped into turns; messages before the first user message join the first turn. */
export function turnsOf(messages: readonly VerbatimMessage[]): VerbatimMessage[][] {
  const turns: VerbatimMessage[][] = [];
  for (const message of messages) {
    const current = turns[turns.length - 1];
    if (!current || message.startsTurn) turns.push([message]);
    else current.push(message);
  }
  if (turns.length > 1 && !(turns[0]?.[0] as VerbatimMessage).startsTurn) {
    // A leading partial turn (its user message is in the previous summary) is not a turn of its own.
    const [partial, next, ...rest] = turns;
    return [[...(partial as VerbatimMessage[]), ...(next as VerbatimMessage[])], ...rest];
  }
  return turns;
}

/** The last seq the next summary covers, or undefined when none is due. The newest turn is never folded. */
export function planSummaryCut({
  messages,
  lowTurns,
  highTurns,
  mustCoverSeq,
}: SummaryPlanInput): number | undefined {
  const turns = turnsOf(messages);
  const n = turns.length;
  let fold = 0;
  if (n >= highTurns) fold = n - lowTurns;
  if (mustCoverSeq > 0) {
    const covering = turns.findLastIndex((turn) => (turn[0] as VerbatimMessage).seq <= mustCoverSeq);
    if (covering >= 0) fold = Math.max(fold, covering + 1, n - lowTurns);
  }
  fold = Math.min(fold, n - 1);
  if (fold <= 0) return undefined;
  const lastTurn = turns[fold - 1] as VerbatimMessage[];
  return (lastTurn[lastTurn.length - 1] as VerbatimMessage).seq;
}
