// The standard grpc.health.v1.Health service on NestJS's gRPC transport, answering from
// GrpcHealthService. Semantics follow gRPC's health-checking protocol: Check on an unknown service is
// NOT_FOUND, Watch on one streams SERVICE_UNKNOWN without failing, List caps at 100 services.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { map, Observable } from 'rxjs';

import {
  HealthCheckRequest,
  HealthCheckResponse,
  HealthController,
  HealthControllerMethods,
  HealthListResponse,
} from '../gen/grpc/health/v1/health';
import { GrpcHealthService } from './grpc-health.service';

const MAX_LISTED_SERVICES = 100;

@Controller()
@HealthControllerMethods()
export class GrpcHealthController implements HealthController {
  // Explicit token: esbuild-based runners (tsx) emit no decorator metadata to infer it from.
  constructor(@Inject(GrpcHealthService) private readonly health: GrpcHealthService) {}

  check(request: HealthCheckRequest): HealthCheckResponse {
    const status = this.health.getStatus(request.service);
    if (status === undefined) {
      throw new RpcException({ code: GrpcStatus.NOT_FOUND, message: `unknown service "${request.service}"` });
    }
    return { status };
  }

  list(): HealthListResponse {
    const statuses = this.health.list();
    if (statuses.size > MAX_LISTED_SERVICES) {
      throw new RpcException({
        code: GrpcStatus.RESOURCE_EXHAUSTED,
        message: `more than ${MAX_LISTED_SERVICES} services`,
      });
    }
    return { statuses: Object.fromEntries([...statuses].map(([service, status]) => [service, { status }])) };
  }

  watch(request: HealthCheckRequest): Observable<HealthCheckResponse> {
    return this.health.watch(request.service).pipe(map((status) => ({ status })));
  }
}
