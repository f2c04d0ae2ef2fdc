// Medium spec of the local infrastructure (deploy/local/infra.sh): the shared PostgreSQL, Redis,
// Kafka and model answer as the contract says, a dedicated KafkaBroker really starts, serves, stops
// and restarts with its data kept, and private PostgreSQL and Redis servers can be crashed, hung and
// started again.
import { open } from 'node:fs/promises';

import Redis from 'ioredis';
import { Kafka, logLevel, Partitioners, type Consumer, type KafkaConfig } from 'kafkajs';
import { Client } from 'pg';

import { infraEnv, InfraEnvError, KafkaBroker, PrivateServer } from '../src/infra';

const KAFKA_TEST_TIMEOUT_MS = 120_000;

function kafkaClient(brokers: string[], overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'infra-spec',
    brokers,
    // Retriable errors (e.g. the group coordinator while __consumer_offsets is created) are logged
    // by kafkajs at ERROR; the assertions below are what matters.
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    ...overrides,
  });
}

function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
}

async function produce(kafka: Kafka, topic: string, key: string, value: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key, value }] });
  } finally {
    await producer.disconnect();
  }
}

/** Reads the first message of a topic with a fresh consumer group; fails after timeoutMs. */
async function consumeFirst(
  kafka: Kafka,
  topic: string,
  timeoutMs = 30_000,
): Promise<{ key: string; value: string }> {
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('infra-spec') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no message on ${topic} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

describe('local infrastructure', () => {
  const env = infraEnv();

  it('PostgreSQL answers as the hearth superuser', async () => {
    const client = new Client({ connectionString: env.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ user: string; superuser: boolean }>(
        "SELECT current_user AS user, current_setting('is_superuser') = 'on' AS superuser",
      );
      expect(rows).toEqual([{ user: 'hearth', superuser: true }]);
    } finally {
      await client.end();
    }
  });

  it('PostgreSQL refuses a wrong password', async () => {
    const url = new URL(env.databaseUrl);
    url.password = 'wrong';
    const client = new Client({ connectionString: url.toString() });
    await expect(client.connect()).rejects.toThrow(/password authentication failed/);
  });

  it('Redis answers PING and keeps a value', async () => {
    const redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      const key = uniqueName('infra-spec');
      expect(await redis.ping()).toBe('PONG');
      await redis.set(key, 'value', 'EX', 30);
      expect(await redis.get(key)).toBe('value');
    } finally {
      redis.disconnect();
    }
  });

  it(
    'Kafka round-trips a message',
    async () => {
      const kafka = kafkaClient(env.kafkaBrokers);
      const topic = uniqueName('infra-spec');
      await produce(kafka, topic, 'k', 'hello');
      await expect(consumeFirst(kafka, topic)).resolves.toEqual({ key: 'k', value: 'hello' });
    },
    KAFKA_TEST_TIMEOUT_MS,
  );

  it.each([
    ['HEARTH_MODEL_PATH', () => env.modelPath],
    ['HEARTH_CHAT_MODEL_PATH', () => env.chatModelPath],
  ])('%s is a GGUF file', async (_name, path) => {
    const file = await open(path());
    try {
      const { buffer } = await file.read(Buffer.alloc(4), 0, 4, 0);
      expect(buffer.toString('ascii')).toBe('GGUF');
    } finally {
      await file.close();
    }
  });
});

describe(infraEnv.name, () => {
  it('returns the parsed settings', () => {
    const sut = infraEnv({
      DATABASE_URL: 'postgresql://hearth:hearth@127.0.0.1:55432/hearth',
      REDIS_URL: 'redis://127.0.0.1:56379',
      KAFKA_BROKERS: '127.0.0.1:59092, 127.0.0.1:59094',
      HEARTH_MODEL_PATH: __filename,
      HEARTH_CHAT_MODEL_PATH: __filename,
    });
    expect(sut).toEqual({
      databaseUrl: 'postgresql://hearth:hearth@127.0.0.1:55432/hearth',
      redisUrl: 'redis://127.0.0.1:56379',
      kafkaBrokers: ['127.0.0.1:59092', '127.0.0.1:59094'],
      modelPath: __filename,
      chatModelPath: __filename,
    });
  });

  it('names every missing or bad variable and how to get them', () => {
    const read = () => infraEnv({ DATABASE_URL: 'mysql://x', HEARTH_MODEL_PATH: '/nonexistent/model.gguf' });
    expect(read).toThrow(InfraEnvError);
    expect(read).toThrow(
      /DATABASE_URL: expected a postgresql:\/\/ URL\n\s*REDIS_URL: not set\n\s*KAFKA_BROKERS: not set\n\s*HEARTH_MODEL_PATH: no file at this path\n\s*HEARTH_CHAT_MODEL_PATH: not set/,
    );
    expect(read).toThrow(/npm test/);
  });
});

describe(KafkaBroker.name, () => {
  let sut: KafkaBroker;

  beforeAll(() => {
    sut = new KafkaBroker();
  });

  afterAll(async () => {
    await sut.destroy();
  }, KAFKA_TEST_TIMEOUT_MS);

  it('has no address before it starts', () => {
    expect(() => new KafkaBroker().brokers).toThrow(/start\(\)/);
  });

  it(
    'serves, stops for real, and restarts with its data kept',
    async () => {
      await sut.start();
      expect(sut.brokers).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(infraEnv().kafkaBrokers).not.toContain(sut.brokers);

      const topic = uniqueName('outage');
      await produce(kafkaClient([sut.brokers]), topic, 'before', 'the outage');
      await expect(consumeFirst(kafkaClient([sut.brokers]), topic)).resolves.toEqual({
        key: 'before',
        value: 'the outage',
      });

      await sut.stop();
      const down = kafkaClient([sut.brokers], { retry: { retries: 0 }, connectionTimeout: 1_000 });
      const admin = down.admin();
      await expect(admin.connect()).rejects.toThrow(/ECONNREFUSED|Connection error/);

      await sut.start();
      await expect(consumeFirst(kafkaClient([sut.brokers]), topic)).resolves.toEqual({
        key: 'before',
        value: 'the outage',
      });
    },
    4 * KAFKA_TEST_TIMEOUT_MS,
  );
});

describe(PrivateServer.name, () => {
  const servers: PrivateServer[] = [];

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.destroy()));
  }, KAFKA_TEST_TIMEOUT_MS);

  async function started(kind: 'postgres' | 'redis'): Promise<PrivateServer> {
    const server = new PrivateServer(kind);
    servers.push(server);
    await server.start();
    return server;
  }

  it(
    'PostgreSQL: crashed with SIGKILL, refuses connections; started again, keeps committed rows',
    async () => {
      const sut = await started('postgres');
      expect(sut.url).not.toBe(infraEnv().databaseUrl);
      const client = (options: { connectionTimeoutMillis?: number } = {}) => {
        const pg = new Client({ connectionString: sut.url, ...options });
        pg.on('error', () => undefined); // a crash or the final stop ends the connection
        return pg;
      };
      const before = client();
      await before.connect();
      await before.query('CREATE TABLE kept (v text)');
      await before.query("INSERT INTO kept VALUES ('before the crash')");

      await sut.crash();
      await expect(client({ connectionTimeoutMillis: 1_000 }).connect()).rejects.toThrow(/ECONNREFUSED/);

      await sut.start();
      const after = client();
      await after.connect();
      try {
        await expect(after.query('SELECT v FROM kept')).resolves.toMatchObject({
          rows: [{ v: 'before the crash' }],
        });
      } finally {
        await after.end();
      }
    },
    KAFKA_TEST_TIMEOUT_MS,
  );

  it(
    'Redis: SIGSTOP hangs it (a command gets no answer), SIGCONT answers it',
    async () => {
      const sut = await started('redis');
      const client = new Redis(sut.url, { maxRetriesPerRequest: null, lazyConnect: true });
      await client.connect();
      await client.set('k', 'v');

      sut.signal('SIGSTOP');
      const pending = client.get('k');
      const outcome = await Promise.race([
        pending.then(() => 'answered'),
        new Promise((resolve) => setTimeout(() => resolve('hung'), 500)),
      ]);
      expect(outcome).toBe('hung');

      sut.signal('SIGCONT');
      await expect(pending).resolves.toBe('v');
      client.disconnect();
    },
    KAFKA_TEST_TIMEOUT_MS,
  );
});
