// Owns the errors a publisher gets when an event can be neither sent to Kafka nor kept in the spool.
// Either way the event was not accepted: nothing is dropped behind the caller's back, the caller
// holds the event and decides (retry, refuse its own request, log it in full).

/** The spool holds its configured maximum: accepting more would grow Redis without bound. */
export class EventSpoolFullError extends Error {
  override readonly name = 'EventSpoolFullError';

  constructor(
    readonly spool: string,
    readonly maxRecords: number,
    readonly refused: number,
  ) {
    super(
      `Event spool ${spool} is full (${maxRecords} records waiting for Kafka); ${refused} event(s) refused`,
    );
  }
}

/** Kafka refused the events and Redis could not store them either. */
export class EventSpoolUnavailableError extends Error {
  override readonly name = 'EventSpoolUnavailableError';

  constructor(
    readonly spool: string,
    readonly refused: number,
    cause: unknown,
  ) {
    super(
      `Event spool ${spool} is unreachable and Kafka refused the events; ${refused} event(s) refused: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}
