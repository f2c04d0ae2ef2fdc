// `npm start`: installs what is missing, starts the local infrastructure, applies database migrations,
// then runs every service of the platform in the foreground until Ctrl-C.
import { capture, ensureDependencies, generateCode, run, startInfrastructure, step } from './lib.mjs';
import { startServices } from './services.mjs';

ensureDependencies();
generateCode();
const env = startInfrastructure();

step('Applying database migrations');
run('npm', ['run', '--silent', 'db:migrate'], { env: { ...process.env, ...env } });

step('Starting the services');
let services = [];
const stop = (code) => {
  for (const { child } of services) child.kill('SIGTERM');
  process.exitCode = code;
};
process.once('SIGINT', () => stop(0));
process.once('SIGTERM', () => stop(0));
try {
  services = await startServices(env);
} catch (error) {
  console.error(`✖ ${error.message}`);
  stop(1);
  process.exit(1);
}

const status = capture('bash', ['deploy/local/infra.sh', 'status']);
console.log(`\n${status.stdout.trim()}`);
console.log(`
Hearth is running. Services (gRPC, loopback):
${services.map((s) => `  ${s.name.padEnd(18)} 127.0.0.1:${s.port}`).join('\n')}
Infrastructure:
  DATABASE_URL=${env.DATABASE_URL}
  REDIS_URL=${env.REDIS_URL}
  KAFKA_BROKERS=${env.KAFKA_BROKERS}
  HEARTH_MODEL_PATH=${env.HEARTH_MODEL_PATH}
Ctrl-C stops the services; \`npm run infra -- down\` stops the infrastructure.`);
for (const { name, child } of services) {
  child.on('exit', (code, signal) => {
    if (signal !== 'SIGTERM' && code !== 0) {
      console.error(`✖ ${name} exited (${code ?? signal}); stopping the others`);
      stop(1);
    }
  });
}
