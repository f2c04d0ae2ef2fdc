import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';

import type { AuditEventInput } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';

import { AuditBacklogFullError } from './audit-backlog-full.error';
import { summarizeFindings, type SafetyAuditFacts } from './audit-event.builder';
import type { AuditSink } from './audit.sink';
import { SafetyAuditor } from './safety-auditor';

/** A sink that fails every record with the given error. */
class RefusingSink implements AuditSink {
  constructor(private readonly error: Error) {}

  record(_event: AuditEventInput): void {
    throw this.error;
  }
}

function facts(): SafetyAuditFacts {
  return {
    action: 'safety.input_check',
    decision: 'blocked_input',
    caller: { tenantId: randomUUID(), userId: randomUUID(), apiKeyId: randomUUID() },
    requestId: 'req-1',
    policyVersion: 'v1',
    ...summarizeFindings([
      {
        ruleId: 'injection.v1',
        category: 'prompt_injection',
        itemId: 'u1',
        start: 0,
        end: 5,
        action: 'block',
      },
    ]),
  };
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { lines, logger: createLogger({ service: 'safety-auditor-spec', level: 'info', destination }) };
}

describe(SafetyAuditor.name, () => {
  it('lets a full audit backlog reach the check, so the decision is refused rather than unaudited', () => {
    const { lines, logger } = capture();
    const sut = new SafetyAuditor(new RefusingSink(new AuditBacklogFullError(10_000, 1_000)), logger);

    expect(() => sut.record(facts())).toThrow(AuditBacklogFullError);
    expect(lines).toEqual([]);
  });

  it('logs any other recording failure with ids only and lets the check answer', () => {
    const { lines, logger } = capture();
    const sut = new SafetyAuditor(new RefusingSink(new Error('builder bug')), logger);

    expect(() => sut.record(facts())).not.toThrow();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'could not record a safety audit event',
        requestId: 'req-1',
        decision: 'blocked_input',
      }),
    ]);
  });
});
