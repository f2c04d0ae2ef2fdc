// Serves the web app's files (web-assets.ts) for GET and HEAD, with the headers a browser app needs:
// a strict Content-Security-Policy (only this origin's scripts, styles and connections; no inline code,
// no plugins, no framing; Trusted Types limited to DOMPurify's policy, the one place model output
// becomes HTML), nosniff, no referrer, and conditional requests (ETag → 304). Everything else, the
// API included, passes through untouched.
import type { NextFunction, Request, Response } from 'express';

import { ApiError } from '../errors/api.error';
import { sendApiError } from '../errors/openai-exception.filter';
import type { WebAssets } from './web-assets';

export const WEB_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "require-trusted-types-for 'script'",
  'trusted-types dompurify',
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': WEB_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

export function webAppMiddleware(assets: WebAssets) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // The URL as sent (a mounted middleware sees req.path relative to its mount); files are looked up
    // by exact path in the build's own list, so no request can reach a file outside it.
    const path = req.originalUrl.split('?')[0] ?? '';
    const asset = assets.get(path === '/index.html' ? '/' : path);
    if (!asset) {
      if (path === '/' && !assets.built) {
        return sendApiError(
          res,
          new ApiError(
            404,
            `The web app is not built (no index.html in ${assets.dir}): run \`npx nx run web:build\`.`,
            {
              code: 'web_app_not_built',
            },
          ),
        );
      }
      return next();
    }
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    res.setHeader('cache-control', asset.cacheControl);
    res.setHeader('etag', asset.etag);
    res.setHeader('vary', 'Accept-Encoding');
    if (req.headers['if-none-match'] === asset.etag) {
      res.status(304).end();
      return;
    }
    const gzip = asset.gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '') ? asset.gzip : undefined;
    res.setHeader('content-type', asset.contentType);
    if (gzip) res.setHeader('content-encoding', 'gzip');
    const body = gzip ?? asset.body;
    res.setHeader('content-length', String(body.length));
    res.status(200);
    if (req.method === 'HEAD') res.end();
    else res.end(body);
  };
}
