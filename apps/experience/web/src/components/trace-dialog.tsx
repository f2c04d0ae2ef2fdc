// "What did the model see": the answer's turn trace. Every item of the prompt in order, with its
// layer (instructions, memory, summary, history, retrieved text, tool results), trust, token count
// and where it came from; then the output, usage, the model's sha256, safety decisions and tools.
import { useEffect, useState } from 'react';

import type { HearthClient } from '../api/hearth-client';
import type { TraceItem, TurnTrace } from '../api/types';
import { ErrorNotice } from './error-notice';
import { Modal } from './modal';

const LAYERS = [
  'unknown',
  'Instructions',
  'Memory',
  'Summary',
  'History',
  'Retrieved',
  'Tool result',
  'Input',
];
const TRUST = ['untrusted', 'trusted', 'user', 'untrusted'];
const ROLES = ['unknown', 'system', 'developer', 'user', 'assistant', 'tool'];

export interface TraceDialogProps {
  client: HearthClient;
  conversationId: string;
  messageId: string;
  onClose(): void;
}

export function TraceDialog({ client, conversationId, messageId, onClose }: TraceDialogProps) {
  const [trace, setTrace] = useState<TurnTrace>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    client.trace(conversationId, messageId).then(setTrace).catch(setError);
  }, [client, conversationId, messageId]);

  return (
    <Modal title="What the model saw" onClose={onClose} wide>
      {error !== undefined && <ErrorNotice error={error} />}
      {!trace && error === undefined && <p className="muted">Loading the trace…</p>}
      {trace && (
        <div className="trace">
          <dl className="facts">
            <dt>Model</dt>
            <dd>{trace.rounds?.[0]?.served_by?.model_id ?? trace.requested_model ?? 'unknown'}</dd>
            {trace.rounds?.[0]?.served_by?.model_sha256 && (
              <>
                <dt>Weights (sha256)</dt>
                <dd className="mono">{trace.rounds[0].served_by.model_sha256.slice(0, 16)}…</dd>
              </>
            )}
            <dt>Tokens</dt>
            <dd>
              {trace.usage?.prompt_tokens ?? 0} in ({trace.usage?.cached_tokens ?? 0} cached),{' '}
              {trace.usage?.completion_tokens ?? 0} out
            </dd>
            <dt>Model calls</dt>
            <dd>{trace.rounds?.length ?? 0}</dd>
            {trace.tool_executions && trace.tool_executions.length > 0 && (
              <>
                <dt>Tools</dt>
                <dd>{trace.tool_executions.map((t) => t.name).join(', ')}</dd>
              </>
            )}
            <dt>Safety checks</dt>
            <dd>{trace.safety_events?.length ?? 0}</dd>
          </dl>
          {trace.rounds?.map((round, r) => (
            <section key={r} className="trace-round" aria-label={`Model call ${round.round ?? r + 1}`}>
              <h3>
                Model call {round.round ?? r + 1}: {round.prompt?.length ?? 0} items,{' '}
                {round.prompt?.reduce((n, item) => n + (item.token_count ?? 0), 0) ?? 0} tokens
              </h3>
              <table className="trace-table">
                <thead>
                  <tr>
                    <th scope="col">Layer</th>
                    <th scope="col">Role</th>
                    <th scope="col">Tokens</th>
                    <th scope="col">Trust</th>
                    <th scope="col">Text</th>
                  </tr>
                </thead>
                <tbody>
                  {round.prompt?.map((item, i) => (
                    <tr key={i}>
                      <td>{LAYERS[item.provenance?.layer ?? 0] ?? 'other'}</td>
                      <td>{ROLES[item.message?.role ?? 0] ?? 'other'}</td>
                      <td className="num">{item.token_count ?? 0}</td>
                      <td>{TRUST[item.provenance?.trust ?? 0] ?? 'untrusted'}</td>
                      <td>
                        <ItemText item={item} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {round.output_text && (
                <p className="trace-output">
                  <strong>Output:</strong> {round.output_text}
                </p>
              )}
            </section>
          ))}
        </div>
      )}
    </Modal>
  );
}

function ItemText({ item }: { item: TraceItem }) {
  const text = item.message?.content?.map((part) => part.text ?? '').join('') ?? '';
  const source = item.provenance?.source_id;
  const seq =
    item.provenance?.seq_start !== undefined && Number(item.provenance.seq_end) > 0
      ? ` (messages ${item.provenance.seq_start}–${item.provenance.seq_end})`
      : '';
  return (
    <details>
      <summary>{text.length > 80 ? `${text.slice(0, 80)}…` : text || '(empty)'}</summary>
      <pre className="trace-text">{text}</pre>
      {source && (
        <p className="muted small">
          Source {source}
          {seq}
        </p>
      )}
    </details>
  );
}
