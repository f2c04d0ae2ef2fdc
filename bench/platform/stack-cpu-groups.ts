// Owns which processes the platform benches read CPU time of: each process the BFF's stack fixture
// started (the workers named apart from the services), the PostgreSQL backends of the stack's
// database and every PostgreSQL process, Redis on the stack's port, and the Kafka broker.
import type { Stack } from '../../apps/experience/bff/test/support/stack.fixture';
import { pidsMatching, type CpuGroup } from './process-cpu';

export function stackCpuGroups(stack: Stack, redisUrl: string): CpuGroup[] {
  const redisPort = new URL(redisUrl).port || '6379';
  const services: CpuGroup[] = stack.services.map((service) => ({
    name:
      service === stack.worker
        ? 'inference-worker'
        : service === stack.longWorker
          ? 'inference-worker (long)'
          : service.app,
    pids: () => (service.pid ? [service.pid] : []),
  }));
  return [
    ...services,
    {
      name: 'postgres (bench db)',
      pids: () =>
        pidsMatching((line) => line.startsWith('postgres: ') && line.includes(` ${stack.db.name} `)),
    },
    {
      name: 'postgres (server)',
      pids: () => pidsMatching((line) => line.startsWith('postgres') || /\/postgres -D /.test(line)),
    },
    {
      name: 'redis',
      pids: () => pidsMatching((line) => line.startsWith('redis-server') && line.includes(`:${redisPort}`)),
    },
    { name: 'kafka', pids: () => pidsMatching((line) => line.includes('kafka.Kafka')) },
  ];
}
