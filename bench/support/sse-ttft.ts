// Owns reading a streamed chat completion the way the benches time it: the milliseconds from `started`
// to the first content delta, after the whole stream (through `data: [DONE]`) has been read.
export async function streamTtft(res: Response, started: number): Promise<number> {
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let wire = '';
  let first: number | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    wire += decoder.decode(value, { stream: true });
    if (first === undefined && /"content":"[^"]/.test(wire)) first = performance.now() - started;
  }
  if (!wire.endsWith('data: [DONE]\n\n')) throw new Error(`stream did not finish: ${wire.slice(-300)}`);
  if (first === undefined) throw new Error(`no content: ${wire.slice(-300)}`);
  return first;
}
