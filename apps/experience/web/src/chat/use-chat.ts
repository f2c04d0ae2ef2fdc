// Owns one open conversation on the screen: loading it, streaming an answer into it (deltas batched
// per animation frame), stopping, server tool confirmations, and edits/regenerations as branches (see
// branch-registry.ts for why a branch is a new conversation). After each answer the stored messages
// replace the local ones, so ids, statuses and texts are always the server's.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

import { ApiFailure } from '../api/api-failure';
import type { BranchRegistry } from '../api/branch-registry';
import type { HearthClient } from '../api/hearth-client';
import type { ChatMessageInput, ChatRequest, ToolProgress, Usage } from '../api/types';
import { localKey, mergeStreamDetails, toChatMessages, type ChatMessage } from './chat-message';

export interface SendOptions {
  model: string;
  fileIds: string[];
  /** A server tool the answer must use (the tool picker). */
  tool?: string;
}

export interface PendingTool {
  conversationId: string;
  progress: ToolProgress;
}

export interface ChatApi {
  conversationId?: string;
  messages: ChatMessage[];
  loading: boolean;
  streaming: boolean;
  /** The answer is being written by a request this page does not own (another tab, or before a reload). */
  resuming: boolean;
  pendingTool?: PendingTool;
  error?: unknown;
  dismissError(): void;
  open(conversationId: string | undefined): Promise<void>;
  send(text: string, options: SendOptions): Promise<void>;
  stop(): void;
  regenerate(index: number, options: SendOptions): Promise<void>;
  edit(index: number, text: string, options: SendOptions): Promise<void>;
  decideTool(decision: 'approve' | 'reject', reason?: string): Promise<void>;
}

export interface UseChatOptions {
  client: HearthClient;
  branches: BranchRegistry;
  /** The conversation list changed (a new conversation, a new title, a newer answer). */
  onConversationsChanged(): void;
  /** Where the open conversation lives in the URL. */
  onNavigate(conversationId: string | undefined): void;
  onUsage(model: string, usage: Usage): void;
  /** Title of a conversation the list knows (a branch takes its root's title). */
  titleOf(conversationId: string): string | undefined;
}

const RESUME_POLL_MS = 1000;
const RESUME_MAX_MS = 5 * 60_000;

export function useChat(options: UseChatOptions): ChatApi {
  const { client, branches } = options;
  const [conversationId, setConversationId] = useState<string>();
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [loading, setLoading] = useState(false);
  const [streaming, setStreaming] = useState(false);
  const [resuming, setResuming] = useState(false);
  const [pendingTool, setPendingTool] = useState<PendingTool>();
  const [error, setError] = useState<unknown>();
  const abort = useRef<AbortController | undefined>(undefined);
  const opened = useRef<string | undefined>(undefined);
  const latest = useRef(options);
  useLayoutEffect(() => {
    latest.current = options;
  });

  const reload = useCallback(
    async (id: string, keepLocal?: ChatMessage[]) => {
      const stored = toChatMessages(await client.messages(id));
      if (opened.current !== id) return stored;
      setMessages(keepLocal ? mergeStreamDetails(stored, keepLocal) : stored);
      return stored;
    },
    [client],
  );

  // An answer still being written elsewhere (another tab, or this page before a reload): the public
  // API cannot re-attach to a running stream yet, so the stored message is polled until it is done.
  const followRunning = useCallback(
    async (id: string) => {
      setResuming(true);
      const end = Date.now() + RESUME_MAX_MS;
      try {
        while (opened.current === id && Date.now() < end) {
          await new Promise((r) => setTimeout(r, RESUME_POLL_MS));
          const stored = await reload(id);
          if (!stored.some((m) => m.status === 'streaming')) break;
        }
      } catch (e) {
        setError(e);
      } finally {
        setResuming(false);
      }
    },
    [reload],
  );

  const open = useCallback(
    async (id: string | undefined) => {
      abort.current?.abort();
      opened.current = id;
      setConversationId(id);
      setPendingTool(undefined);
      setError(undefined);
      // Another conversation's messages must not stay on screen under this one's id while it loads:
      // their versions and actions would already be this conversation's.
      setMessages([]);
      if (!id) return;
      setLoading(true);
      try {
        const stored = await reload(id);
        if (stored.some((m) => m.status === 'streaming')) void followRunning(id);
      } catch (e) {
        if (opened.current === id) {
          setMessages([]);
          setError(e);
        }
      } finally {
        if (opened.current === id) setLoading(false);
      }
    },
    [reload, followRunning],
  );

  /** Streams one answer for `turn` into conversation `id`, whose visible history is `shown`. */
  const run = useCallback(
    async (id: string, shown: ChatMessage[], turn: ChatMessageInput[], send: SendOptions) => {
      const answerKey = localKey();
      let current: ChatMessage[] = [
        ...shown,
        { key: answerKey, role: 'assistant', text: '', status: 'streaming' },
      ];
      setMessages(current);
      setStreaming(true);
      setError(undefined);
      const controller = new AbortController();
      abort.current = controller;
      const update = (change: (m: ChatMessage) => ChatMessage) => {
        current = current.map((m) => (m.key === answerKey ? change(m) : m));
        if (opened.current === id) setMessages(current);
      };
      let pending = '';
      let frame = 0;
      const flush = () => {
        frame = 0;
        const text = pending;
        pending = '';
        if (text) update((m) => ({ ...m, text: m.text + text }));
      };
      const request: ChatRequest = {
        model: send.model,
        messages: turn,
        conversation_id: id,
        ...(send.fileIds.length > 0 && { file_ids: send.fileIds }),
        // "Use tool X" means one call: a forced tool_choice would otherwise force it every round.
        ...(send.tool && {
          server_tools: [send.tool],
          tool_choice: { type: 'function' as const, function: { name: send.tool } },
          max_tool_rounds: 1,
        }),
      };
      try {
        await client.streamChat(
          request,
          (event) => {
            switch (event.type) {
              case 'started':
                update((m) => ({ ...m, model: event.model }));
                break;
              case 'delta':
                pending += event.text;
                if (!frame) frame = requestAnimationFrame(flush);
                break;
              case 'tool': {
                const progress = event.progress;
                update((m) => ({
                  ...m,
                  tools: [
                    ...(m.tools ?? []).filter((t) => t.tool_call_id !== progress.tool_call_id),
                    progress,
                  ],
                }));
                if (progress.stage === 'pending_confirmation')
                  setPendingTool({ conversationId: id, progress });
                else
                  setPendingTool((p) => (p?.progress.tool_call_id === progress.tool_call_id ? undefined : p));
                break;
              }
              case 'finish':
                flush();
                update((m) => ({
                  ...m,
                  status: 'complete',
                  finishReason: event.reason,
                  citations: event.citations,
                  grounding: event.grounding,
                }));
                break;
              case 'usage':
                latest.current.onUsage(send.model, event.usage);
                break;
            }
          },
          controller.signal,
        );
        if (frame) cancelAnimationFrame(frame);
        flush();
        if (controller.signal.aborted)
          update((m) => ({ ...m, status: 'incomplete', finishReason: 'stopped' }));
      } catch (e) {
        if (frame) cancelAnimationFrame(frame);
        flush();
        update((m) => ({ ...m, status: 'incomplete' }));
        if (!controller.signal.aborted) setError(e);
      } finally {
        if (abort.current === controller) abort.current = undefined;
        setStreaming(false);
        setPendingTool(undefined);
      }
      // The stored messages carry the ids (trace, feedback) and the server's final status. A stopped
      // turn is finalized by the server just after the disconnect, so it is read until it settles:
      // quickly at first, then (a busy server) at the slower pace of an answer written elsewhere.
      let settled = true;
      try {
        for (let attempt = 0; attempt < 20; attempt++) {
          const stored = await reload(id, current);
          settled = !stored.some((m) => m.status === 'streaming');
          if (settled || opened.current !== id) break;
          await new Promise((r) => setTimeout(r, 250));
        }
      } catch (e) {
        if (!(e instanceof ApiFailure && e.isInvalidKey)) setError(e);
      }
      if (!settled && opened.current === id) await followRunning(id);
      latest.current.onConversationsChanged();
    },
    [client, reload, followRunning],
  );

  const send = useCallback(
    async (text: string, send: SendOptions) => {
      let id = opened.current;
      try {
        if (!id) {
          const created = await client.createConversation(titleFrom(text));
          id = created.id;
          opened.current = id;
          setConversationId(id);
          latest.current.onNavigate(id);
          latest.current.onConversationsChanged();
        }
      } catch (e) {
        setError(e);
        return;
      }
      const shown: ChatMessage[] = [...messages, { key: localKey(), role: 'user', text, status: 'complete' }];
      await run(id, shown, [{ role: 'user', content: text }], send);
    },
    [client, messages, run],
  );

  /** Forks the open conversation at `index`: a new conversation seeded with what came before. */
  const branch = useCallback(
    async (index: number, replacement: ChatMessage | undefined, send: SendOptions) => {
      const parent = opened.current;
      if (!parent) return;
      const history = messages.slice(0, index);
      const shown = replacement ? [...history, replacement] : history;
      let id: string;
      try {
        const title = latest.current.titleOf(branches.root(parent));
        id = (await client.createConversation(title ?? titleFrom(shown[0]?.text ?? 'Branch'))).id;
      } catch (e) {
        setError(e);
        return;
      }
      branches.add({ id, parent, forkIndex: index, createdAt: Date.now() });
      opened.current = id;
      setConversationId(id);
      latest.current.onNavigate(id);
      const turn = shown.map((m) => ({ role: m.role, content: m.text }));
      await run(id, shown, turn, send);
    },
    [branches, client, messages, run],
  );

  const regenerate = useCallback(
    (index: number, send: SendOptions) => branch(index, undefined, send),
    [branch],
  );

  const edit = useCallback(
    (index: number, text: string, send: SendOptions) =>
      branch(index, { key: localKey(), role: 'user', text, status: 'complete' }, send),
    [branch],
  );

  const stop = useCallback(() => abort.current?.abort(), []);

  const decideTool = useCallback(
    async (decision: 'approve' | 'reject', reason?: string) => {
      if (!pendingTool) return;
      try {
        await client.decideToolCall(
          pendingTool.conversationId,
          pendingTool.progress.tool_call_id,
          decision,
          reason,
        );
        setPendingTool(undefined);
      } catch (e) {
        setError(e);
      }
    },
    [client, pendingTool],
  );

  useEffect(() => () => abort.current?.abort(), []);

  return {
    conversationId,
    messages,
    loading,
    streaming,
    resuming,
    pendingTool,
    error,
    dismissError: () => setError(undefined),
    open,
    send,
    stop,
    regenerate,
    edit,
    decideTool,
  };
}

function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 57)}…` : line || 'New chat';
}
