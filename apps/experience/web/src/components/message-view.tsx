// One message: its text (Markdown for answers), the server tool steps of an answer, and its actions:
// edit (user; resends as a branch), regenerate (answer; a new branch), ‹ n/m › between versions,
// thumbs up/down with a comment, and "what did the model see" (the trace).
import { useId, useState, type FormEvent } from 'react';

import { describeFailure } from '../api/api-failure';
import type { HearthClient } from '../api/hearth-client';
import type { ChatMessage } from '../chat/chat-message';
import { ChevronLeftIcon, ChevronRightIcon, ThumbDownIcon, ThumbUpIcon } from './icons';
import { MarkdownView } from './markdown-view';

export interface MessageViewProps {
  message: ChatMessage;
  conversationId?: string;
  client: HearthClient;
  busy: boolean;
  versions?: { list: string[]; current: string };
  onSwitchVersion(conversationId: string): void;
  onRegenerate?(): void;
  onEdit?(text: string): void;
  onTrace(): void;
  onCitation(marker: number): void;
}

const TOOL_STAGE_TEXT = {
  started: 'running',
  pending_confirmation: 'waiting for your approval',
  succeeded: 'done',
  failed: 'failed',
  rejected: 'rejected',
} as const;

export function MessageView(props: MessageViewProps) {
  const { message, busy } = props;
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.text);
  const editId = useId();
  const isUser = message.role === 'user';
  const writing = message.status === 'streaming';

  function submitEdit(event: FormEvent) {
    event.preventDefault();
    const text = draft.trim();
    if (!text) return;
    setEditing(false);
    props.onEdit?.(text);
  }

  return (
    <li
      className={`message message-${message.role}`}
      data-status={message.status}
      data-message-id={message.id}
    >
      <div className="message-author">{isUser ? 'You' : (message.model ?? 'Assistant')}</div>
      {message.tools && message.tools.length > 0 && (
        <ul className="tool-steps" aria-label="Tool steps">
          {message.tools.map((t) => (
            <li key={t.tool_call_id} data-stage={t.stage}>
              <span className="tool-name">{t.name}</span> {TOOL_STAGE_TEXT[t.stage]}
            </li>
          ))}
        </ul>
      )}
      {editing ? (
        <form onSubmit={submitEdit} className="edit-form">
          <label htmlFor={editId} className="visually-hidden">
            Edit your message
          </label>
          <textarea
            id={editId}
            value={draft}
            rows={3}
            autoFocus
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}
          />
          <div className="dialog-actions">
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button type="submit" className="primary">
              Send as a new branch
            </button>
          </div>
        </form>
      ) : isUser ? (
        <div className="message-text plain">{message.text}</div>
      ) : (
        <div className="message-text">
          {message.text ? (
            <MarkdownView
              text={message.text}
              citations={
                message.citations !== undefined
                  ? message.citations.length > 0
                  : /\[\d{1,2}\]/.test(message.text)
              }
              onCitation={props.onCitation}
            />
          ) : writing ? (
            <span className="typing" role="status">
              Thinking…
            </span>
          ) : null}
          {writing && message.text && <span className="cursor" aria-hidden="true" />}
        </div>
      )}
      {!writing && message.citations?.some((citation) => citation.attributed) && (
        <p className="muted small attributed-sources">
          Sources:{' '}
          {message.citations
            .filter((citation) => citation.attributed)
            .map((citation) => (
              <button
                key={citation.marker}
                type="button"
                className="citation"
                onClick={() => props.onCitation(citation.marker)}
              >
                [{citation.marker}] {citation.filename}
              </button>
            ))}
        </p>
      )}
      {message.grounding && message.grounding.status !== 'grounded' && (
        <p className="muted small">{groundingText(message.grounding.status)}</p>
      )}
      {message.status === 'incomplete' && (
        <p className="status-line" role="status">
          {message.finishReason === 'stopped' || message.finishReason === 'cancelled' || !message.finishReason
            ? 'Stopped. The answer is incomplete.'
            : 'The answer was cut short.'}
        </p>
      )}
      {message.status === 'blocked' && <p className="status-line">Blocked by the safety policy.</p>}
      {!editing && !writing && (
        <div className="message-actions">
          {props.versions && (
            <span className="versions" role="group" aria-label="Versions">
              <VersionNav {...props.versions} onSwitch={props.onSwitchVersion} disabled={busy} />
            </span>
          )}
          {isUser && props.onEdit && (
            <button
              type="button"
              className="small"
              disabled={busy}
              onClick={() => (setDraft(message.text), setEditing(true))}
            >
              Edit
            </button>
          )}
          {!isUser && props.onRegenerate && (
            <button type="button" className="small" disabled={busy} onClick={props.onRegenerate}>
              Regenerate
            </button>
          )}
          {!isUser && message.id && props.conversationId && (
            <>
              <Feedback client={props.client} conversationId={props.conversationId} messageId={message.id} />
              <button type="button" className="small" onClick={props.onTrace}>
                What did the model see?
              </button>
            </>
          )}
        </div>
      )}
    </li>
  );
}

function VersionNav({
  list,
  current,
  onSwitch,
  disabled,
}: {
  list: string[];
  current: string;
  onSwitch(id: string): void;
  disabled: boolean;
}) {
  const index = list.indexOf(current);
  return (
    <>
      <button
        type="button"
        className="icon-button"
        disabled={disabled || index <= 0}
        onClick={() => onSwitch(list[index - 1])}
      >
        <ChevronLeftIcon />
        <span className="visually-hidden">Previous version</span>
      </button>
      <span className="version-count">
        {index + 1}/{list.length}
      </span>
      <button
        type="button"
        className="icon-button"
        disabled={disabled || index >= list.length - 1}
        onClick={() => onSwitch(list[index + 1])}
      >
        <ChevronRightIcon />
        <span className="visually-hidden">Next version</span>
      </button>
    </>
  );
}

function Feedback({
  client,
  conversationId,
  messageId,
}: {
  client: HearthClient;
  conversationId: string;
  messageId: string;
}) {
  const [rating, setRating] = useState<'up' | 'down'>();
  const [comment, setComment] = useState('');
  const [state, setState] = useState<'idle' | 'asking' | 'saved' | 'failed'>('idle');
  const [problem, setProblem] = useState('');
  const commentId = useId();

  async function save(r: 'up' | 'down', text?: string) {
    try {
      await client.feedback(conversationId, messageId, r, text);
      setState('saved');
    } catch (error) {
      setProblem(describeFailure(error).title);
      setState('failed');
    }
  }

  function choose(r: 'up' | 'down') {
    setRating(r);
    setState('asking');
  }

  return (
    <span className="feedback">
      <button
        type="button"
        className="icon-button"
        aria-pressed={rating === 'up'}
        onClick={() => choose('up')}
      >
        <ThumbUpIcon />
        <span className="visually-hidden">Good answer</span>
      </button>
      <button
        type="button"
        className="icon-button"
        aria-pressed={rating === 'down'}
        onClick={() => choose('down')}
      >
        <ThumbDownIcon />
        <span className="visually-hidden">Bad answer</span>
      </button>
      {state === 'asking' && rating && (
        <form
          className="feedback-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save(rating, comment.trim() || undefined);
          }}
        >
          <label htmlFor={commentId}>Tell us more (optional)</label>
          <input
            id={commentId}
            value={comment}
            maxLength={2000}
            onChange={(e) => setComment(e.target.value)}
            autoFocus
          />
          <button type="submit" className="small primary">
            Send feedback
          </button>
        </form>
      )}
      {state === 'saved' && (
        <span className="muted small" role="status">
          Thanks, feedback saved.
        </span>
      )}
      {state === 'failed' && (
        <span className="error-text small" role="alert">
          {problem}
        </span>
      )}
    </span>
  );
}

function groundingText(status: string): string {
  switch (status) {
    case 'files_not_ready':
      return 'A file is still being processed; ask again in a moment.';
    case 'files_failed':
      return 'A file could not be read, so it was not used.';
    case 'no_sources':
      return 'Nothing in the attached files matched the question.';
    default:
      return '';
  }
}
