// `npm start`: installs what is missing, builds every project into dist/, starts the local infrastructure,
// applies database migrations, then runs every service's compiled output in the foreground until Ctrl-C.
// With HEARTH_TRACING=1 it also runs a local Jaeger and every service exports its spans to it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  build,
  capture,
  ensureDependencies,
  generateCode,
  root,
  run,
  startInfrastructure,
  step,
} from './lib.mjs';
import { spawnService, startServices } from './services.mjs';
import { supervise } from './supervisor.mjs';
import { startTraceBackend } from './trace-backend.mjs';

const ADMIN_CLI = join('dist', 'apps', 'experience', 'bff', 'src', 'admin', 'admin.cli.js');

ensureDependencies();
generateCode();
build();
const infra = startInfrastructure();
const tracing = process.env.HEARTH_TRACING === '1' ? await startTraceBackend() : undefined;
const env = { ...infra, ...tracing?.env };

step('Applying database migrations');
run('npm', ['run', '--silent', 'db:migrate'], { env: { ...process.env, ...env } });

step('Building the web app (served by the BFF at /)');
run('npx', ['--no-install', 'nx', 'run', 'web:build', '--output-style=stream'], {
  env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
});

step('Starting the services');
let services = [];
let supervisors = [];
const stop = (code) => {
  if (supervisors.length > 0) for (const supervisor of supervisors) supervisor.stop();
  else for (const { child } of services) child.kill('SIGTERM');
  tracing?.stop();
  process.exitCode = code;
};
process.once('SIGINT', () => stop(0));
process.once('SIGTERM', () => stop(0));
try {
  services = await startServices(env);
  // From here a service that dies is started again with back-off while the others keep serving.
  supervisors = services.map((service) => supervise(service, () => spawnService(env, service)));
} catch (error) {
  console.error(`✖ ${error.message}`);
  stop(1);
  process.exit(1);
}

const status = capture('bash', ['deploy/local/infra.sh', 'status']);
console.log(`\n${status.stdout.trim()}`);
const bff = services.find((s) => s.name === 'bff');
const baseUrl = bff ? `http://127.0.0.1:${bff.port}/v1` : undefined;
const key = baseUrl ? await demoKey(baseUrl, env) : undefined;
console.log(`
Hearth is running. Services (loopback):
${services.map((s) => `  ${s.name.padEnd(18)} ${s.http ? 'http://' : ''}127.0.0.1:${s.port}`).join('\n')}
Infrastructure:
  DATABASE_URL=${env.DATABASE_URL}
  REDIS_URL=${env.REDIS_URL}
  KAFKA_BROKERS=${env.KAFKA_BROKERS}
  HEARTH_CHAT_MODEL_PATH=${env.HEARTH_CHAT_MODEL_PATH}
  HEARTH_MODEL_PATH=${env.HEARTH_MODEL_PATH}
${
  tracing
    ? `Traces: ${tracing.ui}  (Jaeger UI; search by service, or open /trace/<id> with the id of a
  response's traceparent header or of a message's trace)`
    : 'Traces: off (HEARTH_TRACING=1 npm start runs Jaeger and sends it every span)'
}
Metrics: each service's /metrics (ports 9464-9472); Grafana dashboards in helm/hearth/dashboards/
Ctrl-C stops the services; \`npm run infra -- down\` stops the infrastructure.`);
if (baseUrl && key) {
  console.log(`
Web app: http://127.0.0.1:${bff.port}/  (open it in a browser and paste the demo key)
OpenAI-compatible API: ${baseUrl}
Demo API key (tenant "demo", kept in .local/demo-key): ${key}

  curl ${baseUrl}/chat/completions \\
    -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\
    -d '{"model":"fast","messages":[{"role":"user","content":"Say hello"}],"stream":true}'

  // npm install openai
  import OpenAI from 'openai';
  const client = new OpenAI({ baseURL: '${baseUrl}', apiKey: '${key}' });
  const reply = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'Say hello' }] });
  console.log(reply.choices[0].message.content);

More keys: npm run admin -- keys create --tenant demo --user alice`);
}

/**
 * A working API key for the banner: the one kept in .local/demo-key while the BFF still accepts it,
 * else a fresh one for the "demo" tenant (created on first use) through the admin CLI.
 */
async function demoKey(baseUrl, infra) {
  const file = join(root, '.local', 'demo-key');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    const probe = await fetch(`${baseUrl}/models`, { headers: { authorization: `Bearer ${kept}` } }).catch(
      () => undefined,
    );
    if (probe?.ok) return kept;
  }
  // The compiled CLI directly: `npm run admin` would build first, which this run already did.
  const admin = (...args) =>
    capture(process.execPath, [ADMIN_CLI, ...args, '--json'], { env: { ...process.env, ...infra } });
  const tenants = admin('keys', 'list', '--tenant', 'demo');
  if (tenants.status !== 0) admin('tenants', 'create', 'Demo', '--slug', 'demo');
  const created = admin('keys', 'create', '--tenant', 'demo', '--user', 'demo', '--name', 'npm-start');
  if (created.status !== 0) {
    console.error(`✖ could not create a demo key: ${created.stderr.trim()}`);
    return undefined;
  }
  const { secret } = JSON.parse(created.stdout.trim().split('\n').pop());
  mkdirSync(join(root, '.local'), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
