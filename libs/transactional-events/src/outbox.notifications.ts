// Owns the outbox relay's LISTEN on `outbox_events`: one dedicated PostgreSQL connection (outside the
// Prisma pool: a listening connection must stay checked out) whose notifications, sent at commit by a
// trigger on every insert into outbox_events with the writer's application_name as payload, wake the
// relay. Notifications of other services' writes are ignored (their own relays publish them; the slow
// poll is the safety net), so one commit wakes one service's relays rather than all of them. When the
// connection fails it reconnects, and every (re)connect and loss wakes the relay too: rows may have
// landed while nobody listened, and while it is not listening the relay polls at its fast pace.
import type { Logger } from '@hearth/telemetry';

import pg from 'pg';

export const OUTBOX_CHANNEL = 'outbox_events';
const RECONNECT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 5_000;

export interface OutboxNotificationsOptions {
  databaseUrl: string;
  /**
   * The application_name of the service's Prisma pool: only inserts made under this name wake the
   * relay. Unset: every insert does.
   */
  applicationName?: string;
  logger: Logger;
  /** Called on a matching notification and whenever the connection is made or lost. */
  wake: () => void;
}

export class OutboxNotifications {
  private client?: pg.Client;
  private stopped = true;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(private readonly options: OutboxNotificationsOptions) {}

  /** True while a connection listens: the relay may then poll slowly. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Connects in the background, retrying until it listens or stop() is called. */
  start(): void {
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
      this.options.logger.warn({ err: error }, 'outbox notification listener could not connect; polling');
      this.scheduleReconnect();
    });
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: `${this.options.applicationName ?? 'outbox'}-listen`,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    client.on('notification', (message) => {
      const writer = message.payload;
      if (!this.options.applicationName || !writer || writer === this.options.applicationName)
        this.options.wake();
    });
    client.on('error', (error: Error) => {
      this.options.logger.warn({ err: error }, 'outbox notification listener failed');
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
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
    this.options.wake();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.options.wake();
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
