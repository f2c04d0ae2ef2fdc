// What the load driver drives: anything that streams a chat completion and says when each token arrived.
export interface StreamRequest {
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  maxTokens: number;
  /** Requests in one multi-turn conversation share it, so a server may reuse their cached prefix. */
  cacheKey?: string;
}

export interface StreamResult {
  /** ms from send to the first content token. */
  ttftMs: number;
  /** ms between consecutive content chunks. */
  interTokenMs: number[];
  completionTokens: number;
  promptTokens: number;
  cachedPromptTokens: number;
  totalMs: number;
  text: string;
}

export interface StreamTarget {
  readonly name: string;
  stream(request: StreamRequest): Promise<StreamResult>;
  /** Batch occupancy (mean sequences per decode) since the last reset, when the target reports it. */
  occupancy?(): Promise<number | undefined>;
  close(): Promise<void>;
}
