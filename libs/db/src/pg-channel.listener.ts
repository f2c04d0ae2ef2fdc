// Owns one LISTEN on a PostgreSQL channel: a dedicated connection (outside the Prisma pool: a
// listening connection must stay checked out) whose notifications go to `onNotification`. When the
// connection fails it reconnects every second, and every (re)connect and every loss calls
// `onConnectionChange`, since notifications sent while nobody listened are gone: the caller re-reads
// what it waits on (or polls faster while `listening` is false).
import pg from 'pg';

const RECONNECT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 5_000;

export interface PgChannelListenerOptions {
  databaseUrl: string;
  channel: string;
  /** application_name of the listening connection (shows in pg_stat_activity). */
  applicationName: string;
  logger: { warn(fields: object, message: string): void };
  onNotification(payload: string | undefined): void;
  /** Called after every (re)connect and every loss of the connection. */
  onConnectionChange(): void;
}

export class PgChannelListener {
  private client?: pg.Client;
  private stopped = true;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(private readonly options: PgChannelListenerOptions) {}

  /** True while a connection listens. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Connects and listens; rejects when PostgreSQL cannot be reached (and retries nothing). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  /** Connects in the background, retrying until it listens or stop() is called. */
  startInBackground(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.reconnect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private reconnect(): void {
    this.connect().catch((error: unknown) => {
      this.options.logger.warn({ err: error }, `LISTEN ${this.options.channel}: could not connect`);
      this.scheduleReconnect();
    });
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: this.options.applicationName,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    client.on('notification', (message) => this.options.onNotification(message.payload));
    client.on('error', (error: Error) => {
      this.options.logger.warn({ err: error }, `LISTEN ${this.options.channel}: connection failed`);
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.options.channel}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.options.onConnectionChange();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.options.onConnectionChange();
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.reconnect(), RECONNECT_MS);
    this.reconnectTimer.unref();
  }
}
