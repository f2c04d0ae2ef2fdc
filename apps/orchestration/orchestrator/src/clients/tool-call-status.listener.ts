// Owns the orchestrator's LISTEN on `tool_call_status` (through libs/db's PgChannelListener): the
// notifications, sent by a trigger on every status change of a tool_calls row, wake the turns waiting
// on that call. After every (re)connect and loss all waiters re-read their calls, since a change may
// have landed while nobody listened.
import { PgChannelListener } from '@hearth/db';
import type { Logger } from '@hearth/telemetry';

import type { ToolCallRef } from '../turns/tool-call.changes';
import type { ToolCallWatchers } from '../turns/tool-call.watchers';

export class ToolCallStatusListener {
  private readonly listener: PgChannelListener;

  constructor(
    databaseUrl: string,
    private readonly watchers: ToolCallWatchers,
    private readonly logger: Logger,
  ) {
    this.listener = new PgChannelListener({
      databaseUrl,
      channel: 'tool_call_status',
      applicationName: 'orchestrator-listen',
      logger,
      onNotification: (payload) => this.onNotification(payload),
      onConnectionChange: () => this.watchers.changedAll(),
    });
  }

  /** Connects and listens; rejects when PostgreSQL cannot be reached. */
  start(): Promise<void> {
    return this.listener.start();
  }

  async stop(): Promise<void> {
    await this.listener.stop();
    this.watchers.changedAll();
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
