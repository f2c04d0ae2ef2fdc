// Wires the ledger: the writer the consumers hand each event to, and the standard gRPC health service
// (the ledger serves no API of its own; probes and `npm start` ask it whether the consumers run).
import { GrpcHealthModule } from '@hearth/contracts';

import { Module } from '@nestjs/common';

import { LedgerWriter } from '../ledger/ledger.writer';

@Module({
  imports: [GrpcHealthModule],
  providers: [LedgerWriter],
  exports: [LedgerWriter],
})
export class LedgerModule {}
