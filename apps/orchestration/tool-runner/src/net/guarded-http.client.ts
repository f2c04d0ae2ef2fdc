// Owns every outbound HTTP request a tool makes: http(s) only, the host on the allowlist, the dialled
// address checked after DNS resolution (inside the socket's own lookup, so a rebinding DNS answer
// cannot slip between check and connect), redirects followed by hand with each hop checked again,
// a byte cap on the body and an abort signal on the whole exchange. Requests carry no ambient
// credentials: no cookies, no proxy settings, no platform tokens.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

import { ToolFailure } from '../registry/tool.model';
import { checkAddress, isHostAllowed, type AddressPolicy } from './address.guard';

export interface GuardedRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  allowedHosts: readonly string[];
  maxBytes: number;
  /** 0 for requests whose redirects must not be followed (POST). */
  maxRedirects: number;
  signal: AbortSignal;
}

export interface GuardedResponse {
  status: number;
  finalUrl: string;
  contentType: string;
  body: Buffer;
  truncated: boolean;
  redirects: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class GuardedHttpClient {
  constructor(private readonly policy: AddressPolicy) {}

  async request(request: GuardedRequest): Promise<GuardedResponse> {
    let url = this.checkUrl(request.url, request.allowedHosts);
    for (let redirects = 0; ; redirects++) {
      const response = await this.once(url, request);
      const location = response.headers.location;
      if (!REDIRECTS.has(response.status) || !location || request.maxRedirects === 0) {
        return { ...response, finalUrl: url.toString(), redirects };
      }
      if (redirects >= request.maxRedirects) {
        throw new ToolFailure('TOO_MANY_REDIRECTS', `more than ${request.maxRedirects} redirects`);
      }
      url = this.checkUrl(new URL(location, url).toString(), request.allowedHosts);
    }
  }

  private checkUrl(raw: string, allowedHosts: readonly string[]): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ToolFailure('INVALID_URL', `not a valid URL: ${raw.slice(0, 200)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ToolFailure(
        'SCHEME_NOT_ALLOWED',
        `only http and https URLs are allowed, not ${url.protocol}`,
      );
    }
    if (url.username || url.password) {
      throw new ToolFailure('INVALID_URL', 'URLs with credentials are not allowed');
    }
    if (!isHostAllowed(url.hostname, allowedHosts)) {
      throw new ToolFailure('HOST_NOT_ALLOWED', `host ${url.hostname} is not on the allowlist`);
    }
    // An IP literal is never looked up, so the socket's lookup hook would not see it: check it here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal)) this.checkResolved(url.hostname, literal);
    return url;
  }

  private checkResolved(hostname: string, address: string): void {
    const verdict = checkAddress(address, this.policy);
    if (!verdict.allowed) {
      throw new ToolFailure(
        'ADDRESS_NOT_ALLOWED',
        `${hostname} resolves to a ${verdict.range} address, which tools may not reach`,
      );
    }
  }

  /** A dns.lookup that fails the connection when any resolved address is not allowed. */
  private readonly guardedLookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      try {
        for (const { address } of addresses) this.checkResolved(hostname, address);
      } catch (failure) {
        return callback(failure as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) {
        (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      } else {
        callback(null, addresses[0].address, addresses[0].family);
      }
    });
  };

  private once(
    url: URL,
    request: GuardedRequest,
  ): Promise<Omit<GuardedResponse, 'finalUrl' | 'redirects'> & { headers: http.IncomingHttpHeaders }> {
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method: request.method,
          headers: {
            'user-agent': 'hearth-tool-runner/1',
            accept: '*/*',
            ...request.headers,
            ...(request.body !== undefined ? { 'content-length': Buffer.byteLength(request.body) } : {}),
          },
          lookup: this.guardedLookup,
          // No pooled sockets: every request dials (and checks) its own address.
          agent: false,
          signal: request.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let truncated = false;
          const finish = () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks),
              truncated,
              headers: res.headers,
            });
          res.on('data', (chunk: Buffer) => {
            if (truncated) return;
            const room = request.maxBytes - size;
            if (chunk.length > room) {
              chunks.push(chunk.subarray(0, room));
              size = request.maxBytes;
              truncated = true;
              // Enough read: stop downloading instead of draining a huge body.
              res.destroy();
              finish();
              return;
            }
            chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', finish);
          res.on('error', (error) => (truncated ? undefined : reject(toFailure(error, request.signal))));
        },
      );
      req.on('error', (error) => reject(toFailure(error, request.signal)));
      if (request.body !== undefined) req.write(request.body);
      req.end();
    });
  }
}

function toFailure(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof ToolFailure) return error;
  if (signal.aborted) return signal.reason ?? error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  // Connection-level failures may pass on a second try; the runner retries them only for read tools.
  return new ToolFailure('FETCH_FAILED', `request failed${code ? ` (${code})` : ''}`, {
    retryable: ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE'].includes(code),
    cause: error,
  });
}
