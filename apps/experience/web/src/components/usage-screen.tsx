// Usage for the signed-in key: what this tab's answers used (their `usage` chunks), the key's rate
// limits as last reported, and, when the server offers OpenAI's organization usage API and the key
// may read it, the server's daily totals.
import { useEffect, useState } from 'react';

import type { HearthClient } from '../api/hearth-client';
import type { UsageBucket } from '../api/types';
import { ErrorNotice } from './error-notice';

export interface SessionUsage {
  requests: number;
  byModel: Record<string, { requests: number; input: number; output: number; cached: number }>;
}

export function UsageScreen({ client, session }: { client: HearthClient; session: SessionUsage }) {
  const [server, setServer] = useState<UsageBucket[] | null>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    client
      .usage(7)
      .then((b) => setServer(b ?? null))
      .catch(setError);
  }, [client]);
  const models = Object.entries(session.byModel);
  const limits = client.rateLimits;
  const fmt = (n: number | undefined) => (n === undefined ? '–' : n.toLocaleString('en-US'));

  return (
    <div className="usage">
      <section aria-labelledby="usage-session">
        <h2 id="usage-session">This session</h2>
        {models.length === 0 ? (
          <p className="muted">No answers yet in this tab.</p>
        ) : (
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Answers</th>
                <th scope="col">Input tokens</th>
                <th scope="col">Cached</th>
                <th scope="col">Output tokens</th>
              </tr>
            </thead>
            <tbody>
              {models.map(([model, u]) => (
                <tr key={model}>
                  <td>{model}</td>
                  <td className="num">{fmt(u.requests)}</td>
                  <td className="num">{fmt(u.input)}</td>
                  <td className="num">{fmt(u.cached)}</td>
                  <td className="num">{fmt(u.output)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="usage-limits">
        <h2 id="usage-limits">Rate limits of this key</h2>
        {limits ? (
          <dl className="facts">
            <dt>Requests left this minute</dt>
            <dd>
              {fmt(limits.remainingRequests)} of {fmt(limits.limitRequests)}
            </dd>
            <dt>Tokens left this minute</dt>
            <dd>
              {fmt(limits.remainingTokens)} of {fmt(limits.limitTokens)}
            </dd>
          </dl>
        ) : (
          <p className="muted">Not known yet.</p>
        )}
      </section>
      <section aria-labelledby="usage-server">
        <h2 id="usage-server">Last 7 days (server)</h2>
        {error !== undefined && <ErrorNotice error={error} />}
        {server === undefined && error === undefined && <p className="muted">Loading…</p>}
        {server === null && (
          <p className="muted">
            This server does not report usage history to this key yet. The numbers above are what this tab has
            seen.
          </p>
        )}
        {server && (
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Requests</th>
                <th scope="col">Input tokens</th>
                <th scope="col">Output tokens</th>
              </tr>
            </thead>
            <tbody>
              {server.map((bucket) => {
                const sum = (k: 'num_model_requests' | 'input_tokens' | 'output_tokens') =>
                  bucket.results.reduce((n, r) => n + (r[k] ?? 0), 0);
                return (
                  <tr key={bucket.start_time}>
                    <td>{new Date(bucket.start_time * 1000).toISOString().slice(0, 10)}</td>
                    <td className="num">{fmt(sum('num_model_requests'))}</td>
                    <td className="num">{fmt(sum('input_tokens'))}</td>
                    <td className="num">{fmt(sum('output_tokens'))}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
