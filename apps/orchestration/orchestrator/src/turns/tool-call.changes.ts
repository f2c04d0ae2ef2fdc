// The port a turn waits on for a tool call's status to change (the user approved or rejected it, it
// expired, it finished). A watch is opened before the call's state is read, so a change that lands
// between the read and the wait is not lost: `next` then returns at once.
export interface ToolCallRef {
  tenantId: string;
  /** The turn's request id, as the tool runner stored it with the call. */
  requestId: string;
  /** The model's tool call id. */
  callId: string;
}

export interface ToolCallWatch {
  /**
   * Resolves on the next change of the call since the watch opened or since the last `next`, at `until`
   * (epoch ms) at the latest, or at once when `signal` aborts. Never rejects.
   */
  next(until: number, signal?: AbortSignal): Promise<void>;
  close(): void;
}

export interface ToolCallChanges {
  watch(call: ToolCallRef): ToolCallWatch;
}
