// The open conversation: its messages (with branch navigation, actions and citations), the composer,
// and the dialogs a turn can open (tool approval, the trace of an answer, a cited excerpt).
import { useEffect, useRef, useState } from 'react';

import type { BranchRegistry } from '../api/branch-registry';
import type { HearthClient } from '../api/hearth-client';
import type { Citation } from '../api/types';
import type { ChatMessage } from '../chat/chat-message';
import type { ChatApi, SendOptions } from '../chat/use-chat';
import { CitationDialog } from './citation-dialog';
import { Composer, type ComposerSettings } from './composer';
import { ErrorNotice } from './error-notice';
import { MessageView } from './message-view';
import { ToolApprovalDialog } from './tool-approval-dialog';
import { TraceDialog } from './trace-dialog';

export interface ChatScreenProps {
  chat: ChatApi;
  client: HearthClient;
  branches: BranchRegistry;
  model: string;
}

export function ChatScreen({ chat, client, branches, model }: ChatScreenProps) {
  const [settings, setSettings] = useState<ComposerSettings>({ fileIds: [], tool: undefined });
  const [traceOf, setTraceOf] = useState<ChatMessage>();
  const [citation, setCitation] = useState<{ message: ChatMessage; marker: number; known?: Citation }>();
  const [, forceBranchRender] = useState(0);
  const bottom = useRef<HTMLDivElement>(null);
  const sendOptions = (): SendOptions => ({ model, fileIds: settings.fileIds, tool: settings.tool });

  const last = chat.messages[chat.messages.length - 1];
  useEffect(() => {
    bottom.current?.scrollIntoView({ block: 'end' });
  }, [chat.messages.length, last?.text.length]);

  const id = chat.conversationId;
  const switchTo = (target: string) => {
    location.hash = `#/c/${target}`;
    forceBranchRender((n) => n + 1);
  };

  return (
    <div className="chat">
      <section className="messages" aria-label="Messages" aria-busy={chat.loading || chat.streaming}>
        {chat.loading && <p className="muted center">Loading…</p>}
        {!chat.loading && chat.messages.length === 0 && (
          <div className="empty-chat">
            <h2>What can I help with?</h2>
            <p className="muted">Ask anything. Attach a file to get answers with sources, or pick a tool.</p>
          </div>
        )}
        <ol className="message-list">
          {chat.messages.map((message, index) => {
            const versions = id ? branches.siblings(id, index) : [];
            const current = id ? currentVersion(branches, id, versions) : undefined;
            return (
              <MessageView
                key={message.key}
                message={message}
                conversationId={id}
                client={client}
                busy={chat.streaming}
                versions={versions.length > 1 && current ? { list: versions, current } : undefined}
                onSwitchVersion={switchTo}
                onRegenerate={
                  message.role === 'assistant' ? () => void chat.regenerate(index, sendOptions()) : undefined
                }
                onEdit={
                  message.role === 'user' ? (text) => void chat.edit(index, text, sendOptions()) : undefined
                }
                onTrace={() => setTraceOf(message)}
                onCitation={(marker) =>
                  setCitation({ message, marker, known: message.citations?.find((c) => c.marker === marker) })
                }
              />
            );
          })}
        </ol>
        {chat.resuming && (
          <p className="notice notice-info" role="status">
            This answer is still being written. It appears here when it is stored (the server cannot resume a
            live stream yet).
          </p>
        )}
        <div ref={bottom} />
      </section>
      {chat.error !== undefined && <ErrorNotice error={chat.error} onDismiss={chat.dismissError} />}
      <Composer
        client={client}
        streaming={chat.streaming}
        settings={settings}
        onSettings={setSettings}
        onSend={(text) => void chat.send(text, sendOptions())}
        onStop={chat.stop}
        disabled={!model}
      />
      {chat.pendingTool && (
        <ToolApprovalDialog
          key={chat.pendingTool.progress.tool_call_id}
          progress={chat.pendingTool.progress}
          onDecide={(decision, reason) => void chat.decideTool(decision, reason)}
        />
      )}
      {traceOf?.id && id && (
        <TraceDialog
          client={client}
          conversationId={id}
          messageId={traceOf.id}
          onClose={() => setTraceOf(undefined)}
        />
      )}
      {citation && id && (
        <CitationDialog
          client={client}
          conversationId={id}
          message={citation.message}
          marker={citation.marker}
          known={citation.known}
          onClose={() => setCitation(undefined)}
        />
      )}
    </div>
  );
}

/** Which of `versions` the open conversation shows: itself, or the nearest version it descends from. */
function currentVersion(branches: BranchRegistry, id: string, versions: string[]): string | undefined {
  let current: string | undefined = id;
  for (let guard = 0; current && guard < 1000; guard++) {
    if (versions.includes(current)) return current;
    current = branches.parentOf(current);
  }
  return undefined;
}
