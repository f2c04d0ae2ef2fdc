// Owns what a tool is: its declaration (name, description, argument schema, side-effect class, time
// limit, retry policy, confirmation) and the narrow context it runs with. A tool sees the caller's
// identity, its own idempotency key and an abort signal, never the platform's clients or secrets.
import type { JSONSchemaType, SchemaObject } from 'ajv';

/**
 * `read` changes nothing outside and may be retried; `write` changes something (never retried, needs
 * an idempotency key); `dangerous` is a write that always waits for the user's confirmation.
 */
export type SideEffectClass = 'read' | 'write' | 'dangerous';

export interface ToolCaller {
  readonly tenantId: string;
  readonly userId: string;
  readonly apiKeyId: string;
}

export interface ToolContext {
  readonly caller: ToolCaller;
  /** Aborted at the attempt's time limit or the call's deadline; tools must stop then. */
  readonly signal: AbortSignal;
  readonly callId: string;
  /** The call's idempotency key, for tools that pass it on to the system they change. */
  readonly idempotencyKey: string;
  /** Hosts this tenant's http tools may reach (the platform list narrowed by the tenant's policy). */
  readonly allowedHosts: readonly string[];
}

export interface ToolDeclaration<Args> {
  /** ^[a-zA-Z0-9_-]{1,64}$, one intention per tool. */
  readonly name: string;
  readonly description: string;
  /** An object schema; ajv validates arguments against it before every execution. */
  readonly parameters: JSONSchemaType<Args>;
  readonly sideEffect: SideEffectClass;
  /** Time limit of one attempt; unset takes TOOL_DEFAULT_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Attempts on retryable failures; only `read` tools may exceed 1. */
  readonly maxAttempts: number;
  /** Waits for the user's approval before each run (always true for `dangerous`). */
  readonly requiresConfirmation: boolean;
  /** What the call will do, in words the user can approve. */
  confirmationPrompt?(args: Args): string;
  /** Runs the tool; returns a JSON-serialisable result or throws a ToolFailure. */
  execute(args: Args, context: ToolContext): Promise<unknown>;
}

/**
 * A tool with its argument type erased, so the registry can hold tools of different types side by
 * side. Method syntax keeps `execute` assignable from every ToolDeclaration<Args>; the registry only
 * calls it with arguments its schema has validated.
 */
export interface AnyToolDeclaration extends Omit<
  ToolDeclaration<unknown>,
  'parameters' | 'execute' | 'confirmationPrompt'
> {
  readonly parameters: SchemaObject;
  execute(args: unknown, context: ToolContext): Promise<unknown>;
  confirmationPrompt?(args: unknown): string;
}

/**
 * A failure of the tool itself, returned to the model as a FAILED result it can read and react to.
 * `retryable` failures of idempotent tools are retried within the call's attempts and deadline.
 */
export class ToolFailure extends Error {
  override readonly name = 'ToolFailure';

  constructor(
    /** Stable UPPER_SNAKE_CASE reason, e.g. HOST_NOT_ALLOWED. */
    readonly reason: string,
    message: string,
    readonly options: { retryable?: boolean; grpcCode?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }

  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}
