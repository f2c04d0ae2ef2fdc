// `helm test` (and the local image check): GET /healthz, then one streamed chat completion through
// the whole platform, read as SSE until [DONE]. Exits non-zero naming the step that failed.
// HEARTH_BASE_URL (e.g. http://hearth-bff:80), HEARTH_API_KEY (without it only /healthz is checked),
// HEARTH_MODEL (default "fast"). Plain Node, no dependencies.
const base = (process.env.HEARTH_BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const key = process.env.HEARTH_API_KEY;
const model = process.env.HEARTH_MODEL ?? 'fast';

async function main() {
  const health = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) });
  if (!health.ok) throw new Error(`/healthz answered ${health.status}: ${await health.text()}`);
  console.log(`ok: ${base}/healthz answered ${health.status}`);
  if (!key) {
    console.log('skipped: the chat completion (no API key; set tests.apiKeySecret)');
    return;
  }
  const response = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model,
      stream: true,
      max_tokens: 16,
      messages: [{ role: 'user', content: 'Say hello in one short sentence.' }],
    }),
    signal: AbortSignal.timeout(300_000),
  });
  if (!response.ok || !response.body) {
    throw new Error(`chat completion answered ${response.status}: ${await response.text()}`);
  }
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    throw new Error(`chat completion is not an event stream: ${response.headers.get('content-type')}`);
  }
  let buffer = '';
  let text = '';
  let chunks = 0;
  let done = false;
  const decoder = new TextDecoder();
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const data = line.slice(6);
        if (data === '[DONE]') done = true;
        else {
          chunks += 1;
          text += JSON.parse(data).choices?.[0]?.delta?.content ?? '';
        }
      }
    }
  }
  if (!done) throw new Error(`the stream ended without [DONE] after ${chunks} chunks`);
  console.log(`ok: ${chunks} chunks from model ${model}, then [DONE]: ${JSON.stringify(text)}`);
}

main().catch((error) => {
  console.error(`failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
