// Owns the safety service's decision metrics: every check's decision by check and outcome, and every
// finding by check, detector category and the action the policy took, so an operator sees what is
// blocked or redacted, and by which detector, without reading audit events.
import { METRIC_PREFIX, sharedMetricsRegistry } from '@hearth/telemetry';

import { Counter, type Registry } from 'prom-client';

import type { Decision, Finding } from '../checks/safety-decision.model';

export type SafetyCheck = 'input' | 'output' | 'output_stream';

export class SafetyMetrics {
  readonly decisions: Counter<'check' | 'decision'>;
  readonly findings: Counter<'check' | 'category' | 'action'>;

  constructor(registry: Registry) {
    this.decisions = new Counter({
      name: `${METRIC_PREFIX}safety_decisions_total`,
      help: 'Safety checks answered, by check (input, output, output_stream) and decision.',
      labelNames: ['check', 'decision'] as const,
      registers: [registry],
    });
    this.findings = new Counter({
      name: `${METRIC_PREFIX}safety_findings_total`,
      help: 'Detector findings, by check, detector category and the action the policy took.',
      labelNames: ['check', 'category', 'action'] as const,
      registers: [registry],
    });
  }

  record(
    check: SafetyCheck,
    decision: Decision,
    findings: readonly Pick<Finding, 'category' | 'action'>[],
  ): void {
    this.decisions.inc({ check, decision });
    for (const finding of findings)
      this.findings.inc({ check, category: finding.category, action: finding.action });
  }
}

let shared: SafetyMetrics | undefined;

/** The safety metrics on the process's shared registry. */
export function sharedSafetyMetrics(): SafetyMetrics {
  return (shared ??= new SafetyMetrics(sharedMetricsRegistry()));
}
