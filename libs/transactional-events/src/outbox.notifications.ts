// Owns the outbox relay's LISTEN on `outbox_events` (through libs/db's PgChannelListener): the
// notifications, sent at commit by a trigger on every insert into outbox_events with the writer's
// application_name as payload, wake the relay. Notifications of other services' writes are ignored
// (their own relays publish them; the slow poll is the safety net), so one commit wakes one service's
// relays rather than all of them. Every (re)connect and loss wakes the relay too: rows may have landed
// while nobody listened, and while it is not listening the relay polls at its fast pace.
import { PgChannelListener } from '@hearth/db';
import type { Logger } from '@hearth/telemetry';

export const OUTBOX_CHANNEL = 'outbox_events';

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
  private readonly listener: PgChannelListener;

  constructor(options: OutboxNotificationsOptions) {
    this.listener = new PgChannelListener({
      databaseUrl: options.databaseUrl,
      channel: OUTBOX_CHANNEL,
      applicationName: `${options.applicationName ?? 'outbox'}-listen`,
      logger: options.logger,
      onNotification: (writer) => {
        if (!options.applicationName || !writer || writer === options.applicationName) options.wake();
      },
      onConnectionChange: options.wake,
    });
  }

  /** True while a connection listens: the relay may then poll slowly. */
  get listening(): boolean {
    return this.listener.listening;
  }

  /** Connects in the background, retrying until it listens or stop() is called. */
  start(): void {
    this.listener.startInBackground();
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }
}
