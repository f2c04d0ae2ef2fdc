// Wires the ledger: the writer, the consumers that hand it each event (started when the app boots,
// stopped, offsets committed, when it closes), and the standard gRPC health service: the ledger
// serves no API of its own; probes and `npm start` ask it whether the consumers run. The budget
// reconciler runs beside the consumers. The outside
// world (PostgreSQL, Kafka, the dead-letter producer, metrics) is passed in, opened by the factory.
import { GrpcHealthModule } from '@hearth/contracts';

import { Module, type DynamicModule } from '@nestjs/common';

import { BudgetReconciler } from '../budgets/budget-reconciler.service';
import { LedgerWriter } from '../ledger/ledger.writer';
import { LedgerConsumers, type LedgerModuleOptions } from './ledger-consumers.service';
import { LEDGER_OPTIONS } from './ledger.constants';

@Module({})
export class LedgerModule {
  static register(options: LedgerModuleOptions): DynamicModule {
    return {
      module: LedgerModule,
      imports: [GrpcHealthModule],
      providers: [
        { provide: LEDGER_OPTIONS, useValue: options },
        LedgerWriter,
        LedgerConsumers,
        {
          provide: BudgetReconciler,
          useFactory: () =>
            new BudgetReconciler({
              prisma: options.prisma,
              redis: options.redis,
              probe: options.probe,
              metrics: options.metrics,
              logger: options.logger,
              usageGroup: `${options.config.consumerGroup}.usage`,
              intervalMs: options.config.reconcileIntervalMs,
            }),
        },
      ],
    };
  }
}
