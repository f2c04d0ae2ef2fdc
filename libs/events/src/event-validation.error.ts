// Owns the error raised when an event does not match its topic's schema: it names the topic and
// every offending field path, so the caller (or the dead-letter header) says exactly what is wrong.
import type { z } from 'zod';

export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';

  constructor(
    readonly topic: string,
    readonly issues: z.core.$ZodIssue[],
  ) {
    super(`Invalid ${topic} event: ${describeIssues(issues)}`);
  }
}

export function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
