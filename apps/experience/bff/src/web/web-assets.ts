// Owns the built web app's files as the BFF serves them: read once at start-up from WEB_APP_DIR (the
// Vite build, immutable for the life of the process), each with its content type, a strong ETag, a
// gzip variant when that is smaller, and its caching rule: content-hashed files under /assets/ are
// immutable for a year, index.html is revalidated on every load (no-cache), other root files
// (favicon) are cached for an hour.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { constants, gzipSync } from 'node:zlib';

export interface WebAsset {
  body: Buffer;
  gzip?: Buffer;
  contentType: string;
  etag: string;
  cacheControl: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const SHORT = 'public, max-age=3600';
const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json)|image\/svg)/;
const MIN_GZIP_BYTES = 512;

export class WebAssets {
  private constructor(
    /** URL path (`/`, `/assets/index-abc.js`, `/favicon.svg`) → file. */
    private readonly files: ReadonlyMap<string, WebAsset>,
    readonly dir: string,
  ) {}

  /** Reads the build; an absent folder gives an empty set (the API still serves). */
  static load(dir: string): WebAssets {
    const files = new Map<string, WebAsset>();
    if (existsSync(join(dir, 'index.html'))) {
      for (const path of walk(dir)) {
        const url = `/${relative(dir, path).split(sep).join('/')}`;
        const contentType = CONTENT_TYPES[extname(path).toLowerCase()];
        if (!contentType) continue; // source maps and the like are not served
        const body = readFileSync(path);
        const cacheControl =
          url === '/index.html' ? REVALIDATE : url.startsWith('/assets/') ? IMMUTABLE : SHORT;
        const gzip =
          COMPRESSIBLE.test(contentType) && body.length >= MIN_GZIP_BYTES
            ? gzipSync(body, { level: constants.Z_BEST_COMPRESSION })
            : undefined;
        files.set(url === '/index.html' ? '/' : url, {
          body,
          gzip: gzip && gzip.length < body.length ? gzip : undefined,
          contentType,
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
          cacheControl,
        });
      }
    }
    return new WebAssets(files, dir);
  }

  get built(): boolean {
    return this.files.has('/');
  }

  get(urlPath: string): WebAsset | undefined {
    return this.files.get(urlPath);
  }
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
