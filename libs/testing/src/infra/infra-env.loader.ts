// Owns how a test finds the shared local infrastructure: the five variables `npm test` exports
// after `deploy/local/infra.sh up`, validated once with an error that says how to get them.
import { existsSync } from 'node:fs';

import { z } from 'zod';

export interface InfraEnv {
  /** postgresql://hearth:hearth@127.0.0.1:55432/hearth; the role may CREATE DATABASE. */
  databaseUrl: string;
  /** redis://127.0.0.1:56379 */
  redisUrl: string;
  /** Bootstrap servers of the shared broker, e.g. ['127.0.0.1:59092']. */
  kafkaBrokers: string[];
  /** Absolute path of the small real GGUF base model (Gemma 3 270M Q4_K_M; no chat template of its own). */
  modelPath: string;
  /** Absolute path of the small real chat model (SmolLM2 135M Instruct Q4_1; ChatML template in the GGUF). */
  chatModelPath: string;
}

const hostPort = z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'expected host:port');

const infraEnvSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgresql:// URL' }),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'expected a redis:// URL' }),
  KAFKA_BROKERS: z
    .string({ error: 'expected host:port[,host:port...]' })
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(hostPort).min(1, 'expected at least one host:port')),
  HEARTH_MODEL_PATH: z
    .string({ error: 'expected the path of the .gguf model' })
    .min(1)
    .refine((path) => existsSync(path), 'no file at this path'),
  HEARTH_CHAT_MODEL_PATH: z
    .string({ error: 'expected the path of the .gguf chat model' })
    .min(1)
    .refine((path) => existsSync(path), 'no file at this path'),
});

export const INFRA_ENV_HINT =
  'Run the tests with `npm test` (it starts the local infrastructure and exports these variables), ' +
  'or by hand: bash deploy/local/infra.sh up && eval "$(bash deploy/local/infra.sh env)"';

export class InfraEnvError extends Error {
  override readonly name = 'InfraEnvError';
}

/** Reads and validates the local infrastructure settings; throws InfraEnvError listing every bad key. */
export function infraEnv(env: NodeJS.ProcessEnv = process.env): InfraEnv {
  const parsed = infraEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      return `  ${key}: ${env[key] === undefined ? 'not set' : issue.message}`;
    });
    throw new InfraEnvError(
      `Local infrastructure settings missing or invalid:\n${problems.join('\n')}\n${INFRA_ENV_HINT}`,
    );
  }
  return {
    databaseUrl: parsed.data.DATABASE_URL,
    redisUrl: parsed.data.REDIS_URL,
    kafkaBrokers: parsed.data.KAFKA_BROKERS,
    modelPath: parsed.data.HEARTH_MODEL_PATH,
    chatModelPath: parsed.data.HEARTH_CHAT_MODEL_PATH,
  };
}
