// Init container of an inference pool: puts the model at MODEL_PATH, downloaded from MODEL_URI
// (https:// or hf:owner/repo/file.gguf) unless a file with the right digest is already there (a
// cache claim), and refuses any file whose sha256 is not MODEL_SHA256. Writes to a temporary name and
// renames only after the digest matched, so a worker never sees a partial or foreign file.
// MODEL_FETCH_TOKEN, when set, is sent as a bearer token (e.g. a Hugging Face token).
// Plain Node (no dependencies): it runs from the worker image before the worker.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const { MODEL_URI: uri, MODEL_SHA256: expected, MODEL_PATH: path, MODEL_FETCH_TOKEN: token } = process.env;

function log(msg, fields = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), service: 'model-fetch', msg, ...fields }));
}

/** hf:owner/repo/path/file.gguf -> Hugging Face's resolve URL of the main branch. */
export function toUrl(source) {
  const hf = /^(?:hf|huggingface):([^/]+)\/([^/]+)\/(.+)$/.exec(source);
  if (hf) return `https://huggingface.co/${hf[1]}/${hf[2]}/resolve/main/${hf[3]}`;
  if (/^https:\/\//.test(source)) return source;
  throw new Error(`MODEL_URI must be https:// or hf:owner/repo/file.gguf, got ${source}`);
}

async function sha256Of(file) {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

async function main() {
  if (!uri || !path || !/^[a-f0-9]{64}$/.test(expected ?? '')) {
    throw new Error('MODEL_URI, MODEL_PATH and MODEL_SHA256 (64 lowercase hex) are required');
  }
  if (await stat(path).catch(() => undefined)) {
    const actual = await sha256Of(path);
    if (actual === expected) return log('model already present', { path, sha256: actual });
    log('cached model has another digest; fetching again', { path, expected, actual });
    await rm(path);
  }
  await mkdir(dirname(path), { recursive: true });
  const url = toUrl(uri);
  const started = Date.now();
  const response = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    redirect: 'follow',
    signal: AbortSignal.timeout(6 * 3600 * 1000),
  });
  if (!response.ok || !response.body) throw new Error(`GET ${url} answered ${response.status}`);
  const total = Number(response.headers.get('content-length') ?? 0);
  // Unique per pod: workers sharing a cache claim may fetch the same model at the same time; each
  // renames its own verified copy over the same name (rename is atomic, the bytes are identical).
  const partial = `${path}.${randomUUID()}.partial`;
  const hash = createHash('sha256');
  let received = 0;
  let lastLog = Date.now();
  const meter = new Transform({
    transform(chunk, _encoding, callback) {
      hash.update(chunk);
      received += chunk.length;
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log('downloading', { receivedBytes: received, totalBytes: total });
      }
      callback(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(response.body), meter, createWriteStream(partial));
  const actual = hash.digest('hex');
  if (actual !== expected) {
    await rm(partial, { force: true });
    throw new Error(`sha256 mismatch for ${url}: expected ${expected}, got ${actual}`);
  }
  await rename(partial, path);
  log('model fetched', { path, sha256: actual, bytes: received, seconds: (Date.now() - started) / 1000 });
}

main().catch((error) => {
  log('model fetch failed', { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
