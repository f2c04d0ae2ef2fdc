// Owns the BFF's one error type and OpenAI's error envelope. Everything that ends a request early
// (validation, auth, limits, upstream statuses) becomes an ApiError with the HTTP status, OpenAI's
// `type`/`code`/`param`, and the headers that go with it (retry-after); the exception filter writes it.
import type { ZodError } from 'zod';

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface ApiErrorOptions {
  type?: string;
  code?: string | null;
  param?: string | null;
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message);
    this.type = options.type ?? defaultType(status);
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  toBody(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  static badRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
    return new ApiError(400, message, { param, code });
  }

  static notFound(what: string, id: string, code = 'not_found'): ApiError {
    return new ApiError(404, `The ${what} '${id}' does not exist.`, { code });
  }

  static unauthorized(message: string, code = 'invalid_api_key'): ApiError {
    return new ApiError(401, message, { code });
  }

  static forbidden(scope: string): ApiError {
    return new ApiError(403, `This API key lacks the '${scope}' scope.`, { code: 'insufficient_scope' });
  }

  /** A zod failure on a request body or query: 400 naming the first offending parameter. */
  static fromZod(error: ZodError, prefix = ''): ApiError {
    const issue = error.issues[0];
    const path = issue ? issue.path.map(String) : [];
    let param = formatParam(prefix, path);
    let message = issue?.message ?? 'Invalid request.';
    if (issue?.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      param = formatParam(prefix, [...path, key]);
      message = `Unrecognized request argument supplied: ${param}`;
    } else if (issue?.code === 'invalid_type') {
      message = `Invalid type for '${param}': ${issue.message}`;
    } else {
      message = param ? `Invalid value for '${param}': ${message}` : message;
    }
    return new ApiError(400, message, {
      param: param || null,
      code: issue?.code === 'unrecognized_keys' ? 'unknown_parameter' : 'invalid_value',
    });
  }
}

function formatParam(prefix: string, path: string[]): string {
  let out = prefix;
  for (const part of path) out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

function defaultType(status: number): string {
  if (status === 401) return 'invalid_request_error';
  if (status === 403) return 'permission_error';
  if (status === 409) return 'conflict_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}
