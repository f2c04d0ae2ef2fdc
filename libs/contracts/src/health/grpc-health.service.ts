// Serving status per gRPC service for the standard health protocol (grpc.health.v1): what Kubernetes
// gRPC probes and the model gateway's worker health checks read. Apps flip statuses as they warm up
// and drain; shutdown marks everything NOT_SERVING first so load balancers stop routing before the
// server closes.
import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { concat, defer, distinctUntilChanged, filter, map, Observable, of, Subject } from 'rxjs';

import { HealthCheckResponse_ServingStatus as ServingStatus } from '../gen/grpc/health/v1/health';
import type { ProtoPackage } from '../proto-paths';

/** The name health checks use for a service: `<package>.<Service>`, e.g. `hearth.inference.v1.InferenceWorkerService`. */
export function qualifiedServiceName(pkg: ProtoPackage, serviceName: string): string {
  return `${pkg}.${serviceName}`;
}

/** The empty name stands for the server as a whole. */
export const OVERALL_HEALTH = '';

@Injectable()
export class GrpcHealthService implements BeforeApplicationShutdown {
  private readonly statuses = new Map<string, ServingStatus>([[OVERALL_HEALTH, ServingStatus.SERVING]]);
  private readonly changes = new Subject<{ service: string; status: ServingStatus }>();

  /** Sets (and registers) the status of a service; watchers are told about changes. */
  setStatus(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    this.changes.next({ service, status });
  }

  /** Status of a service, or undefined when it was never registered. */
  getStatus(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** Every registered service with its status. */
  list(): ReadonlyMap<string, ServingStatus> {
    return new Map(this.statuses);
  }

  /** The current status, then every change; SERVICE_UNKNOWN while the service is not registered. */
  watch(service: string): Observable<ServingStatus> {
    return defer(() =>
      concat(
        of(this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN),
        this.changes.pipe(
          filter((change) => change.service === service),
          map((change) => change.status),
        ),
      ),
    ).pipe(distinctUntilChanged());
  }

  beforeApplicationShutdown(): void {
    for (const service of this.statuses.keys()) this.setStatus(service, ServingStatus.NOT_SERVING);
    // Ends open Watch streams so the gRPC server can close gracefully.
    this.changes.complete();
  }
}
