import { installKafkaRequestQueueFix, kafkaRequestQueueClass } from './kafka-request-queue.fix';

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe(installKafkaRequestQueueFix.name, () => {
  const RequestQueue = kafkaRequestQueueClass() as unknown as new (options: object) => {
    throttledUntil: number;
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    pending: unknown[];
    scheduleCheckPendingRequests(): void;
  };
  let sut: InstanceType<typeof RequestQueue>;

  beforeAll(() => installKafkaRequestQueueFix());

  beforeEach(() => {
    sut = new RequestQueue({
      maxInFlightRequests: 1,
      requestTimeout: 30_000,
      enforceRequestTimeout: true,
      clientId: 'request-queue-spec',
      broker: '127.0.0.1:9092',
      logger: silent,
    });
  });

  afterEach(() => clearTimeout(sut.throttleCheckTimeoutId ?? undefined));

  it('arms no timer while no request waits and the broker does not throttle', () => {
    sut.scheduleCheckPendingRequests();
    expect(sut.throttleCheckTimeoutId).toBeNull();
  });

  it('checks a waiting request again after the short interval, as kafkajs does', () => {
    sut.pending.push({});
    sut.scheduleCheckPendingRequests();
    expect(sut.throttleCheckTimeoutId).not.toBeNull();
  });

  it('checks again when a throttle ends, as kafkajs does', () => {
    sut.throttledUntil = Date.now() + 60_000;
    sut.scheduleCheckPendingRequests();
    expect(sut.throttleCheckTimeoutId).not.toBeNull();
  });

  it('is installed once: a second call keeps the same replacement', () => {
    const replaced = RequestQueue.prototype.scheduleCheckPendingRequests;
    installKafkaRequestQueueFix();
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).toBe(replaced);
  });
});
