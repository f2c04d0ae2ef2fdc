// The message box: Enter sends, Shift+Enter adds a line, Escape stops an answer being written.
// Attached files are uploaded at once and shown with their processing status; answers use them
// (with citations) once they are ready. The tool picker makes the answer use one server tool
// (tools that need confirmation then ask for approval).
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';

import { describeFailure } from '../api/api-failure';
import type { HearthClient } from '../api/hearth-client';
import { CloseIcon } from './icons';

export interface ComposerSettings {
  /** Ready files the next answers are grounded on. */
  fileIds: string[];
  tool?: string;
}

interface Attachment {
  localId: string;
  id?: string;
  name: string;
  state: 'uploading' | 'processing' | 'ready' | 'failed';
  detail?: string;
}

/** The platform's built-in server tools (the public API has no tool listing yet). */
export const SERVER_TOOLS = [
  { name: 'calculator', label: 'Calculator' },
  { name: 'run_javascript', label: 'Run JavaScript' },
  { name: 'search_knowledge', label: 'Search knowledge' },
  { name: 'http_fetch', label: 'Fetch a web page' },
  { name: 'send_webhook', label: 'Send a webhook' },
];

const POLL_MS = 700;

export interface ComposerProps {
  client: HearthClient;
  streaming: boolean;
  disabled: boolean;
  settings: ComposerSettings;
  onSettings(settings: ComposerSettings): void;
  onSend(text: string): void;
  onStop(): void;
}

export function Composer({
  client,
  streaming,
  disabled,
  settings,
  onSettings,
  onSend,
  onStop,
}: ComposerProps) {
  const [text, setText] = useState('');
  const [files, setFiles] = useState<Attachment[]>([]);
  const fileInput = useRef<HTMLInputElement>(null);
  const toolId = useId();
  const processing = files.some((f) => f.state === 'uploading' || f.state === 'processing');

  const ready = files.filter((f) => f.state === 'ready' && f.id).map((f) => f.id as string);
  const readyKey = ready.join(',');
  useEffect(() => {
    if (readyKey !== settings.fileIds.join(','))
      onSettings({ ...settings, fileIds: readyKey ? readyKey.split(',') : [] });
  }, [readyKey, settings, onSettings]);

  const patch = (localId: string, change: Partial<Attachment>) =>
    setFiles((list) => list.map((f) => (f.localId === localId ? { ...f, ...change } : f)));

  async function attach(list: FileList | null) {
    for (const file of Array.from(list ?? [])) {
      const localId = `${file.name}-${Date.now()}-${Math.random()}`;
      setFiles((l) => [...l, { localId, name: file.name, state: 'uploading' }]);
      try {
        let uploaded = await client.uploadFile(file);
        patch(localId, { id: uploaded.id, state: 'processing' });
        while (uploaded.status === 'uploaded') {
          await new Promise((r) => setTimeout(r, POLL_MS));
          uploaded = await client.file(uploaded.id);
        }
        if (uploaded.status === 'processed') patch(localId, { state: 'ready' });
        else patch(localId, { state: 'failed', detail: uploaded.status_details ?? 'It could not be read.' });
      } catch (error) {
        patch(localId, { state: 'failed', detail: describeFailure(error).title });
      }
    }
    if (fileInput.current) fileInput.current.value = '';
  }

  function submit(event?: FormEvent) {
    event?.preventDefault();
    const message = text.trim();
    if (!message || streaming || disabled || processing) return;
    onSend(message);
    setText('');
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === 'Escape' && streaming) {
      onStop();
    }
  }

  return (
    <form className="composer" onSubmit={submit} aria-label="Write a message">
      {files.length > 0 && (
        <ul className="attachments" aria-label="Attached files">
          {files.map((f) => (
            <li key={f.localId} className="attachment" data-state={f.state}>
              <span className="attachment-name">{f.name}</span>
              <span className="attachment-state" role="status">
                {f.state === 'uploading'
                  ? 'Uploading…'
                  : f.state === 'processing'
                    ? 'Processing…'
                    : f.state === 'ready'
                      ? 'Ready'
                      : `Failed: ${f.detail ?? ''}`}
              </span>
              <button
                type="button"
                className="icon-button"
                onClick={() => setFiles((l) => l.filter((x) => x.localId !== f.localId))}
              >
                <CloseIcon />
                <span className="visually-hidden">Remove {f.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <label htmlFor="composer-input" className="visually-hidden">
        Message
      </label>
      <textarea
        id="composer-input"
        rows={2}
        placeholder="Message Hearth (Enter to send, Shift+Enter for a new line)"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="composer-bar">
        <input
          ref={fileInput}
          type="file"
          id="composer-file"
          aria-label="Attach a file"
          tabIndex={-1}
          className="visually-hidden"
          accept=".md,.markdown,.txt,.html,.htm,.pdf,text/plain,text/markdown,text/html,application/pdf"
          multiple
          onChange={(e) => void attach(e.target.files)}
        />
        <button type="button" className="small" onClick={() => fileInput.current?.click()}>
          Attach file
        </button>
        <label htmlFor={toolId} className="visually-hidden">
          Tool
        </label>
        <select
          id={toolId}
          className="small"
          value={settings.tool ?? ''}
          onChange={(e) => onSettings({ ...settings, tool: e.target.value || undefined })}
        >
          <option value="">No tool</option>
          {SERVER_TOOLS.map((t) => (
            <option key={t.name} value={t.name}>
              Use {t.label}
            </option>
          ))}
        </select>
        <span className="spacer" />
        {processing && <span className="muted small">Waiting for files…</span>}
        {streaming ? (
          <button type="button" className="danger" onClick={onStop}>
            Stop
          </button>
        ) : (
          <button type="submit" className="primary" disabled={disabled || processing || !text.trim()}>
            Send
          </button>
        )}
      </div>
    </form>
  );
}
