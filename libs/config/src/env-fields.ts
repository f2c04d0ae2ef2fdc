// Reusable env-var field parsers and the fragments most services share (logging, telemetry, gRPC, stores).
import { z } from 'zod';

export const port = () => z.coerce.number().int().min(1).max(65535);
export const positiveInt = () => z.coerce.number().int().positive();
export const flag = () =>
  z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/** `host:port` of a gRPC peer. */
export const grpcAddress = () =>
  z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:50051');

/** Comma-separated `host:port` list (Kafka bootstrap servers). */
export const addressList = () =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(grpcAddress()).min(1, 'expected at least one host:port'));

export const postgresUrl = () =>
  z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgresql:// URL' });
export const redisUrl = () => z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' });

export const baseEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** The OpenTelemetry variables (same names and values as the SDK's own). */
  OTEL_SDK_DISABLED: flag().default(false),
  OTEL_TRACES_SAMPLER: z
    .enum([
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ])
    .default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
};

export const grpcServerEnv = {
  GRPC_HOST: z.string().min(1).default('0.0.0.0'),
  GRPC_PORT: port(),
};

/** Unset: no /metrics listener (tests); 0 lets the OS pick a port. */
export const metricsEnv = { METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional() };

export const databaseEnv = { DATABASE_URL: postgresUrl() };
export const redisEnv = { REDIS_URL: redisUrl() };
export const kafkaEnv = { KAFKA_BROKERS: addressList() };

type BaseEnv = z.output<z.ZodObject<typeof baseEnv>>;
type GrpcServerEnv = z.output<z.ZodObject<typeof grpcServerEnv>>;

export const toBase = (env: BaseEnv, service: string) => ({
  service,
  logLevel: env.LOG_LEVEL,
  otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  tracing: {
    disabled: env.OTEL_SDK_DISABLED,
    sampler: { name: env.OTEL_TRACES_SAMPLER, ratio: env.OTEL_TRACES_SAMPLER_ARG },
  },
});

export const toGrpcServer = (env: GrpcServerEnv) => ({ host: env.GRPC_HOST, port: env.GRPC_PORT });
