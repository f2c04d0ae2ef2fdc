// Owns `http_fetch`: GET one allowlisted URL and return its status, type and (text) body, capped in
// size. All egress rules live in GuardedHttpClient; this file shapes the answer for the model.
import type { GuardedHttpClient } from '../net/guarded-http.client';
import { ToolFailure, type ToolDeclaration } from '../registry/tool.model';

export interface HttpFetchArgs {
  url: string;
}

export interface HttpToolLimits {
  maxBytes: number;
  maxRedirects: number;
}

const TEXTUAL = /^(text\/|application\/(json|xml|xhtml\+xml|javascript|ld\+json)|[^;]*\+json|[^;]*\+xml)/i;

export function httpFetchTool(
  client: GuardedHttpClient,
  limits: HttpToolLimits,
): ToolDeclaration<HttpFetchArgs> {
  return {
    name: 'http_fetch',
    description:
      'Fetches a web page or API response with HTTP GET from an allowlisted host and returns its status, ' +
      `content type and text body (at most ${limits.maxBytes} bytes; longer bodies are truncated).`,
    parameters: {
      type: 'object',
      properties: { url: { type: 'string', minLength: 1, maxLength: 2_048 } },
      required: ['url'],
      additionalProperties: false,
    },
    sideEffect: 'read',
    timeoutMs: 10_000,
    maxAttempts: 2,
    requiresConfirmation: false,
    execute: async (args, context) => {
      const response = await client.request({
        url: args.url,
        method: 'GET',
        allowedHosts: context.allowedHosts,
        maxBytes: limits.maxBytes,
        maxRedirects: limits.maxRedirects,
        signal: context.signal,
      });
      // A 5xx is the server's hiccup: worth one more attempt for a read.
      if (response.status >= 500) {
        throw new ToolFailure('UPSTREAM_ERROR', `the server answered ${response.status}`, {
          retryable: true,
        });
      }
      const textual = response.contentType === '' || TEXTUAL.test(response.contentType);
      return {
        url: args.url,
        finalUrl: response.finalUrl,
        status: response.status,
        contentType: response.contentType,
        body: textual ? response.body.toString('utf8') : null,
        ...(textual ? {} : { note: 'binary content is not returned' }),
        truncated: response.truncated,
        redirects: response.redirects,
      };
    },
  };
}
