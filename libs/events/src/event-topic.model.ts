// Owns the pairing of a topic name with its event schema and dead-letter topic: producers,
// consumers and the outbox take an EventTopic, so a topic can never be used with the wrong schema.
import type { z } from 'zod';

import { EventValidationError } from './event-validation.error';
import type { EventEnvelope } from './event.schemas';

export const DEAD_LETTER_SUFFIX = '.dlq';

export interface EventTopic<TSchema extends z.ZodType<EventEnvelope> = z.ZodType<EventEnvelope>> {
  readonly name: string;
  readonly deadLetter: string;
  readonly schema: TSchema;
}

export type EventOf<T extends EventTopic> = z.output<T['schema']>;
export type EventInputOf<T extends EventTopic> = z.input<T['schema']>;

export function defineTopic<TSchema extends z.ZodType<EventEnvelope>>(
  name: string,
  schema: TSchema,
): EventTopic<TSchema> {
  return { name, deadLetter: `${name}${DEAD_LETTER_SUFFIX}`, schema };
}

/** Parses an event for a topic, throwing an EventValidationError that names each bad field. */
export function parseEvent<T extends EventTopic>(topic: T, event: unknown): EventOf<T> {
  const result = topic.schema.safeParse(event);
  if (!result.success) throw new EventValidationError(topic.name, result.error.issues);
  return result.data as EventOf<T>;
}
