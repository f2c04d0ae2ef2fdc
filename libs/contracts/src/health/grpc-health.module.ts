// Adds the standard gRPC health service to an app: import GrpcHealthModule in the root module, include
// PROTO_PACKAGES.healthV1 in the transport's packages, and inject GrpcHealthService to set statuses.
import { Module } from '@nestjs/common';

import { GrpcHealthController } from './grpc-health.controller';
import { GrpcHealthService } from './grpc-health.service';

@Module({
  controllers: [GrpcHealthController],
  providers: [GrpcHealthService],
  exports: [GrpcHealthService],
})
export class GrpcHealthModule {}
