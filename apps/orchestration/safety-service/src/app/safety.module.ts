// Wires the safety service: engine, check services, auditor and the gRPC controller behind the shared
// gRPC edge (exception filter, server hooks), with the outside world (policies, audit sink, logger,
// limits, moderation adapter) passed in, so tests can swap the sink.
import { GrpcHealthModule } from '@hearth/contracts';
import { grpcServerProviders } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import { DynamicModule, Module } from '@nestjs/common';

import { AUDIT_SINK, type AuditSink } from '../audit/audit.sink';
import { SafetyAuditor } from '../audit/safety-auditor';
import { InputCheckService } from '../checks/input-check.service';
import { OutputCheckService } from '../checks/output-check.service';
import { OutputStreamService } from '../checks/output-stream.service';
import { SafetyEngine } from '../checks/safety.engine';
import { SafetyController } from '../grpc/safety.controller';
import { MODERATION_PORT, type ModerationPort } from '../moderation/moderation.port';
import type { PolicyStore } from '../policy/policy.store';
import { POLICY_STORE, SAFETY_LIMITS, SAFETY_LOGGER, type SafetyLimits } from './safety.constants';

export interface SafetyModuleOptions {
  policies: PolicyStore;
  auditSink: AuditSink;
  logger: Logger;
  limits: SafetyLimits;
  /** Harmful-content moderation: the rule-based adapter, or a guard model behind the gateway. */
  moderation: ModerationPort;
}

@Module({})
export class SafetyModule {
  static register(options: SafetyModuleOptions): DynamicModule {
    return {
      module: SafetyModule,
      imports: [GrpcHealthModule],
      controllers: [SafetyController],
      providers: [
        { provide: POLICY_STORE, useValue: options.policies },
        { provide: AUDIT_SINK, useValue: options.auditSink },
        { provide: SAFETY_LOGGER, useValue: options.logger },
        { provide: SAFETY_LIMITS, useValue: options.limits },
        { provide: MODERATION_PORT, useValue: options.moderation },
        ...grpcServerProviders({
          useFactory: (logger: Logger) => ({ logger, domain: 'safety-service' }),
          inject: [SAFETY_LOGGER],
        }),
        SafetyEngine,
        SafetyAuditor,
        InputCheckService,
        OutputCheckService,
        OutputStreamService,
      ],
    };
  }
}
