// Owns `send_webhook`: POST one JSON message to an allowlisted URL. It changes something outside, so
// it is never retried and carries the call's idempotency key as the `Idempotency-Key` header; the
// runner's stored result makes a retried turn return the first delivery instead of sending twice.
// Redirects are not followed (a POST is not replayed to wherever a server points).
import type { GuardedHttpClient } from '../net/guarded-http.client';
import { ToolFailure, type ToolDeclaration } from '../registry/tool.model';
import type { HttpToolLimits } from './http-fetch.tool';

export interface SendWebhookArgs {
  url: string;
  payload: Record<string, unknown>;
}

const MAX_PAYLOAD_BYTES = 32_768;

export function sendWebhookTool(
  client: GuardedHttpClient,
  limits: HttpToolLimits,
): ToolDeclaration<SendWebhookArgs> {
  return {
    name: 'send_webhook',
    description:
      'Sends a JSON message with HTTP POST to an allowlisted webhook URL (for example to notify a team channel ' +
      'or create a ticket). Returns the status and response body. Each call sends at most once.',
    parameters: {
      type: 'object',
      properties: {
        url: { type: 'string', minLength: 1, maxLength: 2_048 },
        payload: { type: 'object', additionalProperties: true, required: [] },
      },
      required: ['url', 'payload'],
      additionalProperties: false,
    },
    sideEffect: 'write',
    timeoutMs: 10_000,
    maxAttempts: 1,
    requiresConfirmation: false,
    confirmationPrompt: (args) => `Send a message to ${safeHost(args.url)}?`,
    execute: async (args, context) => {
      const body = JSON.stringify(args.payload);
      if (Buffer.byteLength(body) > MAX_PAYLOAD_BYTES) {
        throw new ToolFailure('PAYLOAD_TOO_LARGE', `payload is larger than ${MAX_PAYLOAD_BYTES} bytes`);
      }
      const response = await client.request({
        url: args.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': context.idempotencyKey },
        body,
        allowedHosts: context.allowedHosts,
        maxBytes: Math.min(limits.maxBytes, 16_384),
        maxRedirects: 0,
        signal: context.signal,
      });
      if (response.status >= 400) {
        throw new ToolFailure('WEBHOOK_REJECTED', `the webhook answered ${response.status}`);
      }
      return { status: response.status, body: response.body.toString('utf8'), truncated: response.truncated };
    },
  };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}
