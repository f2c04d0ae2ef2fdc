// Owns the orchestrator's LISTEN on `tool_call_status`: one dedicated PostgreSQL connection (outside
// the Prisma pool: a listening connection must stay checked out) whose notifications, sent by a
// trigger on every status change of a tool_calls row, wake the turns waiting on that call. When the
// connection fails it reconnects, and after every (re)connect all waiters re-read their calls, since a
// change may have landed while nobody listened.
import type { Logger } from '@hearth/telemetry';

import pg from 'pg';

import type { ToolCallRef } from '../turns/tool-call.changes';
import type { ToolCallWatchers } from '../turns/tool-call.watchers';

const CHANNEL = 'tool_call_status';
const RECONNECT_MS = 1_000;

export class ToolCallStatusListener {
  private client?: pg.Client;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(
    private readonly databaseUrl: string,
    private readonly watchers: ToolCallWatchers,
    private readonly logger: Logger,
  ) {}

  /** Connects and listens; rejects when PostgreSQL cannot be reached. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    this.watchers.changedAll();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: 'orchestrator-listen',
    });
    client.on('notification', (message) => this.onNotification(message.payload));
    client.on('error', (error: Error) => {
      this.logger.warn({ err: error }, 'tool call status listener failed');
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    this.watchers.changedAll();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.watchers.changedAll();
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch((error: unknown) => {
        this.logger.warn({ err: error }, 'tool call status listener reconnect failed');
        this.scheduleReconnect();
      });
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }

  private onNotification(payload: string | undefined): void {
    if (!payload) return;
    try {
      const call = JSON.parse(payload) as Partial<ToolCallRef>;
      if (call.tenantId && call.requestId && call.callId)
        this.watchers.changed({ tenantId: call.tenantId, requestId: call.requestId, callId: call.callId });
    } catch (error) {
      this.logger.warn({ err: error }, 'unreadable tool call status notification');
    }
  }
}
