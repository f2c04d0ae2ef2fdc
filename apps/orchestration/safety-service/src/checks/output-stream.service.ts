// CheckOutputStream: the orchestrator sends `start`, then deltas as the model produces them, then
// `end`. Every delta is answered with the text that may be released now; a block verdict answers
// with `stop` and closes the stream (the orchestrator then ends generation with content_filter).
// A client that half-closes without `end` is treated as having sent it. With a guard model as the
// moderation port, `end` waits for its verdict on the whole output before the last release.
import type { commonV1, safetyV1 } from '@hearth/contracts';
import { invalidArgument, validateCaller } from '@hearth/grpc';

import { Inject, Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';

import { POLICY_STORE, SAFETY_LIMITS, type SafetyLimits } from '../app/safety.constants';
import { isAudited } from '../audit/audit-event.builder';
import { SafetyAuditor } from '../audit/safety-auditor';
import type { RequestContext } from '../grpc/request-context';
import { toProtoDecision, toProtoFinding, toProtoPlaceholders } from '../grpc/safety-proto.mapper';
import { requireCanaries } from '../grpc/safety-request.validator';
import { sharedSafetyMetrics } from '../metrics/safety.metrics';
import { MODERATION_PORT, type ModerationPort } from '../moderation/moderation.port';
import { moderates, type PolicyStore } from '../policy/policy.store';
import { OutputStreamSession, type StreamStep } from './output-stream.session';
import { SafetyEngine } from './safety.engine';

interface OpenStream {
  readonly session: OutputStreamSession;
  readonly caller: commonV1.Caller;
  readonly requestId: string;
  bytes: number;
}

@Injectable()
export class OutputStreamService {
  constructor(
    @Inject(SafetyEngine) private readonly engine: SafetyEngine,
    @Inject(SafetyAuditor) private readonly auditor: SafetyAuditor,
    @Inject(POLICY_STORE) private readonly policies: PolicyStore,
    @Inject(SAFETY_LIMITS) private readonly limits: SafetyLimits,
    @Inject(MODERATION_PORT) private readonly moderation: ModerationPort,
  ) {}

  check(
    requests: Observable<safetyV1.CheckOutputStreamRequest>,
    context: RequestContext,
  ): Observable<safetyV1.CheckOutputStreamResponse> {
    return new Observable((subscriber) => {
      let stream: OpenStream | undefined;
      let done = false;
      const finish = (step: StreamStep | undefined) => {
        done = true;
        try {
          // Audited before the last answer goes out: a refused audit record fails the stream instead.
          if (stream) this.audit(stream, context);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        if (step) subscriber.next(toResponse(stream as OpenStream, step));
        subscriber.complete();
      };
      // `end` (or a half-close): the guard model's verdict on the whole output first, when there is one.
      const end = () => {
        done = true;
        if (!stream || !this.judgesWholeOutput(stream)) return finish(stream?.session.end());
        const open = stream;
        this.moderation
          .moderate([open.session.received], {
            caller: open.caller,
            requestId: open.requestId,
            stage: 'output',
          })
          .then(
            ([verdicts]) => finish(open.session.end(verdicts)),
            (error: unknown) => subscriber.error(error),
          );
      };
      const subscription = requests.subscribe({
        next: (message) => {
          if (done) return;
          try {
            if (!stream) {
              stream = this.open(message);
              return;
            }
            if (message.start != null) throw invalidArgument('`start` may only be the first message');
            if (message.end != null) return end();
            if (message.delta == null) throw invalidArgument('a message must carry start, delta or end');
            stream.bytes += Buffer.byteLength(message.delta, 'utf8');
            if (stream.bytes > this.limits.maxInputBytes) {
              throw invalidArgument(
                `the streamed output is over the ${this.limits.maxInputBytes}-byte limit of this service (SAFETY_MAX_INPUT_BYTES)`,
              );
            }
            const step = stream.session.push(message.delta);
            if (step.stop) return finish(step);
            subscriber.next(toResponse(stream, step));
          } catch (error) {
            done = true;
            subscriber.error(error);
          }
        },
        error: (error: unknown) => {
          done = true;
          subscriber.error(error);
        },
        complete: () => {
          if (!done) end();
        },
      });
      return () => subscription.unsubscribe();
    });
  }

  private open(message: safetyV1.CheckOutputStreamRequest): OpenStream {
    const start = message.start;
    if (start == null) throw invalidArgument('the first message must be `start`');
    const caller = validateCaller(start.caller);
    requireCanaries(start.canaries);
    const policy = this.policies.forTenant(caller.tenantId);
    const session = new OutputStreamSession(
      this.engine,
      policy,
      start.canaries,
      start.placeholders,
      moderates(policy, 'output'),
    );
    return { session, caller, requestId: start.requestId, bytes: 0 };
  }

  private judgesWholeOutput(stream: OpenStream): boolean {
    return (
      this.moderation.kind === 'guard' &&
      !stream.session.isStopped &&
      stream.session.length > 0 &&
      moderates(stream.session.policy, 'output')
    );
  }

  private audit(stream: OpenStream, context: RequestContext): void {
    const decision = stream.session.isStopped
      ? 'blocked_output'
      : stream.session.wasRedacted
        ? 'redacted'
        : 'allowed';
    const summary = stream.session.summary;
    sharedSafetyMetrics().decisions.inc({ check: 'output_stream', decision });
    if (!isAudited(decision, summary.flaggedCategories.length > 0 ? [{ action: 'flag' }] : [])) return;
    this.auditor.record({
      action: 'safety.output_stream_check',
      decision,
      caller: stream.caller,
      requestId: stream.requestId,
      traceId: context.traceId,
      policyVersion: stream.session.policy.version,
      ...summary,
    });
  }
}

function toResponse(stream: OpenStream, step: StreamStep): safetyV1.CheckOutputStreamResponse {
  const metrics = sharedSafetyMetrics();
  for (const finding of step.findings)
    metrics.findings.inc({ check: 'output_stream', category: finding.category, action: finding.action });
  return {
    decision: toProtoDecision(step.decision),
    findings: step.findings.map((f) => toProtoFinding(f, 'output')),
    policyVersion: stream.session.policy.version,
    releasedText: step.releasedText,
    stop: step.stop,
    placeholders: toProtoPlaceholders(step.placeholders),
    refusalMessage: step.refusal ?? '',
  };
}
