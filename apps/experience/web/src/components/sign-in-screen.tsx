// Sign-in with an API key: the key is checked against GET /v1/models before it is kept (for this
// tab only); a wrong, revoked or expired key gets a clear message instead of a broken app.
import { useId, useState, type FormEvent } from 'react';

import { describeFailure } from '../api/api-failure';
import { HearthClient } from '../api/hearth-client';

export interface SignInScreenProps {
  /** Why the previous session ended (a revoked key), shown above the form. */
  notice?: string;
  onSignedIn(key: string): void;
}

export function SignInScreen({ notice, onSignedIn }: SignInScreenProps) {
  const [key, setKey] = useState('');
  const [checking, setChecking] = useState(false);
  const [problem, setProblem] = useState<{ title: string; detail: string }>();
  const inputId = useId();
  const hintId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setProblem({
        title: 'Enter your API key',
        detail: 'Paste the key you were given (it starts with sk-).',
      });
      return;
    }
    setChecking(true);
    setProblem(undefined);
    try {
      await new HearthClient(trimmed).models();
      onSignedIn(trimmed);
    } catch (error) {
      setProblem(describeFailure(error));
    } finally {
      setChecking(false);
    }
  }

  return (
    <main className="sign-in">
      <form className="sign-in-card" onSubmit={submit} noValidate aria-labelledby={`${inputId}-title`}>
        <h1 id={`${inputId}-title`} className="brand-title">
          <img src="/favicon.svg" alt="" width={32} height={32} /> Hearth
        </h1>
        <p className="muted">Chat with the models of your own platform.</p>
        {notice && (
          <div className="notice notice-warning" role="alert">
            {notice}
          </div>
        )}
        <label htmlFor={inputId}>API key</label>
        <input
          id={inputId}
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="sk-…"
          value={key}
          aria-describedby={hintId}
          aria-invalid={problem ? true : undefined}
          onChange={(e) => setKey(e.target.value)}
          autoFocus
        />
        <p id={hintId} className="hint">
          Kept in this tab only, and forgotten when you close it. <code>npm start</code> prints a demo key.
        </p>
        {problem && (
          <div className="notice notice-error" role="alert">
            <strong>{problem.title}.</strong> {problem.detail}
          </div>
        )}
        <button type="submit" className="primary" disabled={checking}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
