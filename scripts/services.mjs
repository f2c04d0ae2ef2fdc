// The platform's services as `npm start` runs them locally: one tsx process each, on loopback, started in
// dependency order and health-checked through grpc.health.v1 before the next one starts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { root } from './lib.mjs';

/** Each service: its entry point, its env beyond the infrastructure's, and its gRPC port. */
export function serviceDefinitions(infra) {
  return [
    {
      name: 'inference-worker',
      port: 50056,
      env: {
        MODEL_SOURCE: infra.HEARTH_MODEL_PATH,
        MODEL_ID: 'gemma-3-270m',
        WORKER_SLOTS: '4',
        METRICS_PORT: '9464',
      },
    },
    { name: 'safety-service', port: 50053, env: {} },
    {
      name: 'model-gateway',
      port: 50055,
      env: { MODEL_REGISTRY_PATH: 'deploy/local/model-registry.yaml', METRICS_PORT: '9465' },
    },
    { name: 'context-service', port: 50052, env: { MODEL_GATEWAY_ADDRESS: '127.0.0.1:50055' } },
    {
      name: 'tool-runner',
      port: 50054,
      // isolated-vm (the run_javascript sandbox) needs V8's startup snapshot off on Node >= 20.
      nodeFlags: ['--no-node-snapshot'],
      env: { CONTEXT_SERVICE_ADDRESS: '127.0.0.1:50052' },
    },
    {
      name: 'orchestrator',
      port: 50051,
      env: {
        MODEL_GATEWAY_ADDRESS: '127.0.0.1:50055',
        CONTEXT_SERVICE_ADDRESS: '127.0.0.1:50052',
        SAFETY_SERVICE_ADDRESS: '127.0.0.1:50053',
        TOOL_RUNNER_ADDRESS: '127.0.0.1:50054',
      },
    },
  ].filter((service) => existsSync(join(root, 'apps', service.name, 'src', 'main.ts')));
}

function waitForHealth(address, timeoutMs) {
  const script = `
    const grpc = require('@grpc/grpc-js');
    const loader = require('@grpc/proto-loader');
    const def = loader.loadSync('grpc/health/v1/health.proto', { includeDirs: [${JSON.stringify(join(root, 'proto'))}] });
    const Health = grpc.loadPackageDefinition(def).grpc.health.v1.Health;
    const client = new Health(${JSON.stringify(address)}, grpc.credentials.createInsecure());
    client.Check({ service: '' }, { deadline: Date.now() + 1000 }, (err, res) => process.exit(!err && (res.status === 1 || res.status === 'SERVING') ? 0 : 1));
  `;
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const probe = spawn(process.execPath, ['-e', script], { cwd: root, stdio: 'ignore' });
      probe.on('exit', (code) => {
        if (code === 0) resolve();
        else if (Date.now() > until)
          reject(new Error(`${address} did not report SERVING within ${timeoutMs} ms`));
        else setTimeout(attempt, 500);
      });
    };
    attempt();
  });
}

/** Starts every service; resolves with the child processes once all report SERVING. */
export async function startServices(infra) {
  const children = [];
  for (const service of serviceDefinitions(infra)) {
    const child = spawn(
      process.execPath,
      [...(service.nodeFlags ?? []), '--import', 'tsx', join('apps', service.name, 'src', 'main.ts')],
      {
        cwd: root,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: {
          ...process.env,
          ...infra,
          GRPC_HOST: '127.0.0.1',
          GRPC_PORT: String(service.port),
          ...service.env,
        },
      },
    );
    children.push({ ...service, child });
    const exited = new Promise((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`${service.name} exited with code ${code} during start-up`)),
      ),
    );
    await Promise.race([waitForHealth(`127.0.0.1:${service.port}`, 180_000), exited]);
    console.log(`✔ ${service.name} serving on 127.0.0.1:${service.port}`);
  }
  return children;
}
