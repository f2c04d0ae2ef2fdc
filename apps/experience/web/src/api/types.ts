// The public API's shapes as the web app reads them (OpenAI's objects plus Hearth's documented
// extensions). Only what the app uses is typed; everything else is ignored.

export interface Model {
  id: string;
  owned_by?: string;
  aliases?: string[];
  context_length?: number;
  capabilities?: string[];
  available?: boolean;
}

export interface Conversation {
  id: string;
  title: string | null;
  created_at: number;
  updated_at: number;
}

export interface Page<T> {
  data: T[];
  has_more?: boolean;
  next_cursor?: string | null;
}

export type MessageStatus = 'streaming' | 'complete' | 'incomplete' | 'blocked';

/** A message as GET /v1/conversations/{id}/messages stores it. */
export interface StoredMessage {
  id: string;
  seq: number;
  role: string;
  content: unknown;
  status: MessageStatus;
  model: string | null;
  finish_reason: string | null;
  created_at: number;
}

export interface Citation {
  marker: number;
  file_id: string;
  filename: string;
  chunk_id: string;
  page: number | null;
  position: number;
  excerpt: string;
  start_offset: number;
  end_offset: number;
  /** The answer wrote no marker: the platform matched this source to one of its sentences. */
  attributed: boolean;
  answer_offset: number | null;
}

export interface Grounding {
  status: 'grounded' | 'files_not_ready' | 'files_failed' | 'no_sources';
  retrieved_chunks: number;
  dropped_markers: number[];
  unavailable_files: { file_id: string; status: string; reason: string }[];
}

export type ToolStage = 'started' | 'pending_confirmation' | 'succeeded' | 'failed' | 'rejected';

export interface ToolProgress {
  tool_call_id: string;
  name: string;
  stage: ToolStage;
  round: number;
  message: string;
  elapsed_ms: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
}

export interface UploadedFile {
  id: string;
  filename: string;
  bytes: number;
  status: 'uploaded' | 'processed' | 'error';
  status_details?: string;
  processing_status?: 'uploaded' | 'processing' | 'ready' | 'failed';
}

export interface ChatMessageInput {
  role: 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessageInput[];
  conversation_id?: string;
  file_ids?: string[];
  server_tools?: string[];
  tool_choice?: { type: 'function'; function: { name: string } };
  max_tool_rounds?: number;
}

/** What one streamed answer reports, in order. */
export type ChatEvent =
  | { type: 'started'; id: string; model: string; messageId?: string }
  | { type: 'delta'; text: string }
  | { type: 'tool'; progress: ToolProgress }
  | { type: 'finish'; reason: string; citations: Citation[]; grounding?: Grounding; messageId?: string }
  | { type: 'usage'; usage: Usage };

/** GET …/messages/{id}/trace: the orchestrator's turn trace in snake_case (enums as numbers). */
export interface TurnTrace {
  turn_id?: string;
  request_id?: string;
  requested_model?: string;
  rounds?: TraceRound[];
  tool_executions?: { tool_call_id?: string; name?: string; status?: number; latency_ms?: number }[];
  safety_events?: { stage?: number; decision?: number; rule_ids?: string[] }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    total_tokens?: number;
    cached_tokens?: number;
  };
  finish_reason?: number;
  started_at?: string;
  finished_at?: string;
  citations?: { citations?: { marker?: number; file_name?: string; excerpt?: string }[] };
}

export interface TraceRound {
  round?: number;
  prompt?: TraceItem[];
  output_text?: string;
  finish_reason?: number;
  usage?: { prompt_tokens?: number; completion_tokens?: number; cached_tokens?: number };
  served_by?: { model_id?: string; model_sha256?: string; worker_id?: string };
}

export interface TraceItem {
  message?: { role?: number; content?: { text?: string }[] };
  provenance?: {
    layer?: number;
    trust?: number;
    source_id?: string;
    seq_start?: number | string;
    seq_end?: number | string;
  };
  token_count?: number;
}

/** One bucket of OpenAI's organization usage API (GET /v1/organization/usage/completions). */
export interface UsageBucket {
  start_time: number;
  end_time: number;
  results: {
    input_tokens?: number;
    output_tokens?: number;
    input_cached_tokens?: number;
    num_model_requests?: number;
    model?: string | null;
  }[];
}

export interface RateLimitSnapshot {
  limitRequests?: number;
  remainingRequests?: number;
  limitTokens?: number;
  remainingTokens?: number;
  seenAt: number;
}
