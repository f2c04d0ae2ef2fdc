// `npm start`: installs what is missing, starts the local infrastructure, applies database migrations and
// says what is running. Services join here as their issues land.
import { capture, ensureDependencies, generateCode, run, startInfrastructure, step } from './lib.mjs';

ensureDependencies();
generateCode();
const env = startInfrastructure();

step('Applying database migrations');
run('npm', ['run', '--silent', 'db:migrate'], {
  env: { ...process.env, ...env },
});

const status = capture('bash', ['deploy/local/infra.sh', 'status']);
console.log(`\n${status.stdout.trim()}`);
console.log(`
Hearth's local infrastructure is up. Connect with:
  DATABASE_URL=${env.DATABASE_URL}
  REDIS_URL=${env.REDIS_URL}
  KAFKA_BROKERS=${env.KAFKA_BROKERS}
  HEARTH_MODEL_PATH=${env.HEARTH_MODEL_PATH}
Stop everything with: npm run infra -- down`);
