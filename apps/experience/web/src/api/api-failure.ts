// Owns what the app knows about a failed call (OpenAI's error envelope, the status, the retry time)
// and how it is put to a person: in words, with what to do next, never as raw JSON.

export interface ApiErrorBody {
  message?: string;
  type?: string | null;
  code?: string | null;
  param?: string | null;
}

export class ApiFailure extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached; -1 for an error inside a started stream. */
    readonly status: number,
    readonly body: ApiErrorBody,
    /** Seconds from the retry-after header (or the stream's own hint), when given. */
    readonly retryAfterSeconds?: number,
    readonly requestId?: string,
  ) {
    super(body.message ?? `HTTP ${status}`);
    this.name = 'ApiFailure';
  }

  get code(): string {
    return this.body.code ?? '';
  }

  /** The key itself is refused: wrong, revoked or expired. Every screen gives way to sign-in. */
  get isInvalidKey(): boolean {
    return this.status === 401;
  }

  /** Reads an error response (or a stream's `{"error": …}` event). */
  static fromEnvelope(status: number, json: unknown, headers?: Headers): ApiFailure {
    const error =
      json && typeof json === 'object' && 'error' in json && json.error && typeof json.error === 'object'
        ? (json.error as ApiErrorBody)
        : { message: typeof json === 'string' && json ? json : undefined };
    const retry = Number(headers?.get('retry-after'));
    return new ApiFailure(
      status,
      error,
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
      headers?.get('x-request-id') ?? undefined,
    );
  }

  static network(error: unknown): ApiFailure {
    const message = error instanceof Error ? error.message : String(error);
    return new ApiFailure(0, { message, code: 'network_error' });
  }
}

export interface FailureText {
  title: string;
  detail: string;
}

const seconds = (n: number | undefined) =>
  n === undefined ? 'in a moment' : n === 1 ? 'in 1 second' : `in ${Math.ceil(n)} seconds`;

/** A failure in words a person understands, with what to do about it. */
export function describeFailure(error: unknown): FailureText {
  if (!(error instanceof ApiFailure)) {
    return {
      title: 'Something went wrong',
      detail: 'The app hit an unexpected problem. Reload the page and try again.',
    };
  }
  const code = error.code.toLowerCase();
  const type = (error.body.type ?? '').toLowerCase();
  const message = error.body.message ?? '';
  if (error.status === 0) {
    return {
      title: 'Cannot reach Hearth',
      detail:
        'The server did not answer. Check that it is running and your connection works, then try again.',
    };
  }
  if (error.status === 401) {
    return {
      title: 'This API key does not work',
      detail: 'It is wrong, was revoked, or has expired. Sign in again with a valid key.',
    };
  }
  if (error.status === 403) {
    return {
      title: 'Your key is not allowed to do this',
      detail: message || 'Ask your administrator for a key with the needed permission.',
    };
  }
  if (/budget|quota|insufficient_quota|spend/.test(`${code} ${type}`) || /budget/i.test(message)) {
    return {
      title: 'Budget reached',
      detail: `The spending limit for your key or team is used up. ${
        error.retryAfterSeconds && error.retryAfterSeconds < 3600
          ? `It resets ${seconds(error.retryAfterSeconds)}.`
          : 'Ask your administrator to raise it.'
      }`,
    };
  }
  if (error.status === 429 || /rate_limit/.test(code)) {
    return {
      title: 'Too many requests',
      detail: `You have hit your key's rate limit. Try again ${seconds(error.retryAfterSeconds)}.`,
    };
  }
  if (error.status === 503 || /unavailable|no_worker|overloaded/.test(code)) {
    return {
      title: 'The model is unavailable',
      detail: `The model cannot answer right now (it may be starting or overloaded). Try again ${seconds(
        error.retryAfterSeconds,
      )}, or pick another model.`,
    };
  }
  if (error.status === 404 && /model/.test(`${code} ${message}`.toLowerCase())) {
    return { title: 'Model not found', detail: 'That model is not offered any more. Pick another one.' };
  }
  if (error.status === 404) {
    return { title: 'Not found', detail: 'It was deleted or never existed.' };
  }
  if (error.status === 413) {
    return { title: 'Too large', detail: 'That is larger than the server accepts.' };
  }
  if (error.status === 400 || error.status === 422) {
    return { title: 'The request was refused', detail: message || 'The server could not accept it.' };
  }
  if (error.status === 409) {
    return {
      title: 'Already in progress',
      detail: 'This answer is still being written. Wait for it to finish.',
    };
  }
  return {
    title: 'The server had a problem',
    detail: `Try again in a moment.${error.requestId ? ` (Request id ${error.requestId}.)` : ''}`,
  };
}
