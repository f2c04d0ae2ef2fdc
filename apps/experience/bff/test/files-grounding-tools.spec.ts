// Files, grounded chat and server tool confirmations end to end through the official `openai` SDK,
// on one stack: BFF → context service (blob store shared with the BFF, embedded vector index, the
// tiny model as embedding model) and orchestrator → tool runner (a policy where the calculator needs
// confirmation) → gateway → worker. The tiny model's scripted reply `6*7"} [1]` serves both paths: a
// forced calculator call's JSON argument (`{"expression": "6*7"}`) and a grounded answer citing [1].
import { readdir } from 'node:fs/promises';

import OpenAI, { toFile } from 'openai';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { FileObject } from 'openai/resources/files';

import type { CreatedKey } from '../src/admin/admin.service';
import type { Citation, Grounding, ToolProgressEvent } from '../src/chat/chat-completion.builder';
import { expectOpenAiShape } from './support/openai-schemas';
import { MODEL_ID, startStack, type Stack } from './support/stack.fixture';

const REPLY = '6*7"} [1]';
const MAX_UPLOAD_BYTES = 4096;
const GUIDE = [
  '# Lantern care guide',
  '',
  'Brass lanterns must be polished with lemon oil every spring.',
  'Copper wicks are trimmed to three millimetres before lighting.',
].join('\n');

/** What this server adds to OpenAI's shapes (extension fields). */
type GroundedMessage = ChatCompletion.Choice['message'] & { citations?: Citation[]; grounding?: Grounding };
type ExtendedChunk = ChatCompletionChunk & {
  citations?: Citation[];
  grounding?: Grounding;
  hearth_tool_progress?: ToolProgressEvent;
};
type ExtendedFile = FileObject & { processing_status: string; content_type: string };

/** Extension request fields the SDK's types do not know (it sends the body as given). */
type Extended<T> = T & Record<string, unknown>;

const user = (content: string) => ({ role: 'user' as const, content });

describe('Files, grounded chat and tool confirmations', () => {
  let stack: Stack;
  let key: CreatedKey;
  let sut: OpenAI;

  beforeAll(async () => {
    stack = await startStack({
      orchestration: true,
      retrieval: true,
      reply: REPLY,
      contextSize: 2048,
      toolPolicy: { version: 1, tenants: { default: { allow: ['calculator'], confirm: ['calculator'] } } },
      bffEnv: { FILES_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) },
    });
    key = await stack.tenant('files');
    sut = new OpenAI({ apiKey: key.secret, baseURL: stack.baseURL, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const upload = async (name: string, content: string | Buffer, client = sut) =>
    client.files.create({
      file: await toFile(Buffer.from(content), name, { type: 'text/markdown' }),
      purpose: 'assistants',
    });

  async function processed(id: string, client = sut): Promise<ExtendedFile> {
    const end = Date.now() + 60_000;
    for (;;) {
      const file = (await client.files.retrieve(id)) as ExtendedFile;
      if (file.status === 'processed' || file.status === 'error') return file;
      if (Date.now() > end) throw new Error(`file ${id} is still ${file.processing_status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  describe('/v1/files', () => {
    it('uploads a file, reports it processed, lists it, deletes it (404 after)', async () => {
      const created = (await upload('guide.md', GUIDE)) as ExtendedFile;

      expect(created).toMatchObject({
        object: 'file',
        filename: 'guide.md',
        purpose: 'assistants',
        bytes: Buffer.byteLength(GUIDE),
        status: 'uploaded',
      });
      expect(created.id).toEqual(expect.any(String));
      expect(created.created_at).toBeGreaterThan(1_700_000_000);
      expect(created).not.toHaveProperty('status_details');
      expectOpenAiShape('OpenAIFile', created);
      const ready = await processed(created.id);
      expect(ready).toMatchObject({ id: created.id, status: 'processed', processing_status: 'ready' });
      expect(ready.content_type).toMatch(/^text\//);
      expectOpenAiShape('OpenAIFile', ready);
      const page = await sut.files.list();
      expect(page.data.map((f) => f.id)).toContain(created.id);
      expectOpenAiShape('ListFilesResponse', await (await sut.files.list().asResponse()).json());

      const deleted = await sut.files.delete(created.id);
      expectOpenAiShape('DeleteFileResponse', deleted);

      expect(deleted).toEqual({ id: created.id, object: 'file', deleted: true });
      await expect(sut.files.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
      await expect(sut.files.delete(created.id)).rejects.toMatchObject({ status: 404 });
    });

    it('refuses a `file` sent as a plain field (no filename): the document asks for a binary file part', async () => {
      const form = new FormData();
      form.append('file', 'just text');
      form.append('purpose', 'assistants');
      const res = await fetch(`${stack.baseURL}/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}` },
        body: form,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { param: 'file', code: 'missing_file' } });
      const document = (await (await fetch(`${stack.url}/openapi.json`)).json()) as {
        components: { schemas: { CreateFileRequest: { properties: { file: object } } } };
      };
      expect(document.components.schemas.CreateFileRequest.properties.file).toMatchObject({
        type: 'string',
        format: 'binary',
      });
    });

    it('refuses an oversized upload with 413 before storing it, and a bad purpose with 400', async () => {
      const before = await readdir(stack.blobDir, { recursive: true }).catch(() => []);

      await expect(upload('big.md', 'x'.repeat(MAX_UPLOAD_BYTES + 1))).rejects.toMatchObject({
        status: 413,
        code: 'file_too_large',
      });
      await expect(
        sut.files.create({ file: await toFile(Buffer.from('hi'), 'a.md'), purpose: 'fine-tune' }),
      ).rejects.toMatchObject({ status: 400, param: 'purpose' });
      expect(await readdir(stack.blobDir, { recursive: true }).catch(() => [])).toEqual(before);
    });

    it("answers 404 for another tenant's file, exactly like a missing one", async () => {
      const mine = await upload('private.md', 'Only for my tenant: the vault code is seven.');
      const other = new OpenAI({
        apiKey: (await stack.tenant('intruder')).secret,
        baseURL: stack.baseURL,
        maxRetries: 0,
      });

      await expect(other.files.retrieve(mine.id)).rejects.toMatchObject({ status: 404 });
      await expect(other.files.delete(mine.id)).rejects.toMatchObject({ status: 404 });
      expect((await other.files.list()).data).toEqual([]);
      expect((await sut.files.retrieve(mine.id)).id).toBe(mine.id);
    });
  });

  describe('grounded chat', () => {
    let guide: ExtendedFile;

    beforeAll(async () => {
      guide = await processed((await upload('lanterns.md', GUIDE)).id);
    });

    const grounded = (extra: Record<string, unknown>) => ({
      model: MODEL_ID,
      messages: [user('How are brass lanterns polished?')],
      temperature: 0,
      max_completion_tokens: 16,
      ...extra,
    });

    it('answers from the uploaded file with citations that point at it', async () => {
      const completion = await sut.chat.completions.create(
        grounded({ file_ids: [guide.id] }) as Extended<OpenAI.ChatCompletionCreateParamsNonStreaming>,
      );

      expectOpenAiShape('CreateChatCompletionResponse', completion);
      const message = completion.choices[0]?.message as GroundedMessage;
      expect(message.content).toContain('[1]');
      expect(message.grounding).toMatchObject({ status: 'grounded', unavailable_files: [] });
      expect(message.grounding?.retrieved_chunks).toBeGreaterThan(0);
      expect(message.citations).toEqual([
        expect.objectContaining({
          marker: 1,
          file_id: guide.id,
          filename: 'lanterns.md',
          chunk_id: expect.any(String),
          attributed: false,
          answer_offset: null,
        }),
      ]);
      expect(message.citations?.[0]?.excerpt).not.toBe('');
    });

    it('streams the citations on the finish chunk, every chunk valid against OpenAI’s schema', async () => {
      const stream = await sut.chat.completions.create(
        grounded({
          retrieval: { file_ids: [guide.id], top_k: 2 },
          stream: true,
        }) as Extended<OpenAI.ChatCompletionCreateParamsStreaming>,
      );
      const chunks: ExtendedChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk as ExtendedChunk);

      for (const chunk of chunks) expectOpenAiShape('CreateChatCompletionStreamResponse', chunk);
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      expect(text).toContain('[1]');
      const finish = chunks.find((c) => c.choices[0]?.finish_reason);
      expect(finish).toBe(chunks[chunks.length - 1]);
      expect(finish?.citations).toEqual([expect.objectContaining({ marker: 1, file_id: guide.id })]);
      expect(finish?.grounding?.status).toBe('grounded');
      expect(chunks.slice(0, -1).every((c) => c.citations === undefined)).toBe(true);
    });

    it('answers that a file failed ingestion instead of guessing, naming the file and the reason', async () => {
      const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
      const broken = await processed((await upload('diagram.md', png)).id);
      expect(broken).toMatchObject({
        status: 'error',
        processing_status: 'failed',
        status_details: expect.any(String),
      });

      const completion = await sut.chat.completions.create(
        grounded({ file_ids: [broken.id] }) as Extended<OpenAI.ChatCompletionCreateParamsNonStreaming>,
      );

      expectOpenAiShape('CreateChatCompletionResponse', completion);
      const message = completion.choices[0]?.message as GroundedMessage;
      expect(completion.choices[0]?.finish_reason).toBe('stop');
      expect(message.citations).toEqual([]);
      expect(message.grounding).toMatchObject({
        status: 'files_failed',
        unavailable_files: [{ file_id: broken.id, status: 'failed', reason: expect.any(String) }],
      });
    });

    it('refuses contradictory or out-of-range retrieval options with 400', async () => {
      await expect(
        sut.chat.completions.create(
          grounded({
            file_ids: [guide.id],
            retrieval: { file_ids: [guide.id] },
          }) as Extended<OpenAI.ChatCompletionCreateParamsNonStreaming>,
        ),
      ).rejects.toMatchObject({ status: 400, param: 'file_ids' });
      await expect(
        sut.chat.completions.create(
          grounded({ retrieval: { top_k: 0 } }) as Extended<OpenAI.ChatCompletionCreateParamsNonStreaming>,
        ),
      ).rejects.toMatchObject({ status: 400, param: 'retrieval.top_k' });
      await expect(
        sut.chat.completions.create(
          grounded({ file_ids: [] }) as Extended<OpenAI.ChatCompletionCreateParamsNonStreaming>,
        ),
      ).rejects.toMatchObject({ status: 400, param: 'file_ids' });
    });
  });

  describe('server tools that need confirmation', () => {
    async function conversation(): Promise<string> {
      const res = await fetch(`${stack.baseURL}/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
        body: '{}',
      });
      return ((await res.json()) as { id: string }).id;
    }

    /** Streams a forced calculator turn and answers its confirmation over REST when asked. */
    async function turn(decision: 'approve' | 'reject') {
      const conversationId = await conversation();
      const stream = await sut.chat.completions.create({
        model: MODEL_ID,
        messages: [user('What is six times seven?')],
        temperature: 0,
        max_completion_tokens: 24,
        stream: true,
        conversation_id: conversationId,
        server_tools: ['calculator'],
        tool_choice: { type: 'function', function: { name: 'calculator' } },
        max_tool_rounds: 1,
      } as Extended<OpenAI.ChatCompletionCreateParamsStreaming>);
      const chunks: ExtendedChunk[] = [];
      let answer: { status: number; body: Record<string, unknown> } | undefined;
      for await (const chunk of stream) {
        const progress = (chunk as ExtendedChunk).hearth_tool_progress;
        chunks.push(chunk as ExtendedChunk);
        if (progress?.stage !== 'pending_confirmation') continue;
        const res = await fetch(
          `${stack.baseURL}/conversations/${conversationId}/tool_calls/${progress.tool_call_id}/${decision}`,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
            body: JSON.stringify({ reason: 'not today' }),
          },
        );
        answer = { status: res.status, body: (await res.json()) as Record<string, unknown> };
      }
      const stages = chunks.flatMap((c) => (c.hearth_tool_progress ? [c.hearth_tool_progress.stage] : []));
      return { chunks, answer, stages };
    }

    it('streams the pending confirmation, resumes when approved over REST, and finishes', async () => {
      const { chunks, answer, stages } = await turn('approve');

      for (const chunk of chunks) expectOpenAiShape('CreateChatCompletionStreamResponse', chunk);
      expect(stages).toEqual(['started', 'pending_confirmation', 'succeeded']);
      const pending = chunks.find((c) => c.hearth_tool_progress?.stage === 'pending_confirmation');
      expect(pending?.choices).toEqual([]);
      expect(pending?.hearth_tool_progress).toMatchObject({
        name: 'calculator',
        round: 1,
        message: expect.stringMatching(/.+/),
      });
      expect(answer).toMatchObject({ status: 200, body: { name: 'calculator', status: 'succeeded' } });
      expect(chunks[chunks.length - 1]?.choices[0]?.finish_reason).toBe('stop');
      expect(chunks.some((c) => c.choices[0]?.delta.tool_calls)).toBe(false); // server calls are not the client's
    });

    it('tells the model when the call is rejected over REST, and finishes without running it', async () => {
      const { chunks, answer, stages } = await turn('reject');

      expect(stages).toEqual(['started', 'pending_confirmation', 'rejected']);
      expect(answer).toMatchObject({
        status: 200,
        body: { name: 'calculator', status: 'rejected', result: null },
      });
      expect(chunks[chunks.length - 1]?.choices[0]?.finish_reason).toBe('stop');
    });

    it('refuses a server tool the caller may not use with 403, streamed or not', async () => {
      const request = {
        model: MODEL_ID,
        messages: [user('hi')],
        server_tools: ['launch_rockets'],
      } as Extended<OpenAI.ChatCompletionCreateParamsNonStreaming>;
      const refused = await sut.chat.completions.create(request).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(refused).toMatchObject({ status: 403, code: 'permission_denied' });
      expect((refused as Error).message).toContain('launch_rockets');

      const streamed = await sut.chat.completions
        .create({ ...request, stream: true } as Extended<OpenAI.ChatCompletionCreateParamsStreaming>)
        .catch((e: unknown) => e);
      expect(streamed).toMatchObject({ status: 403, code: 'permission_denied' });
    });

    it('refuses a forced server tool the request does not name with 400', async () => {
      await expect(
        sut.chat.completions.create({
          model: MODEL_ID,
          messages: [user('hi')],
          server_tools: ['calculator'],
          tool_choice: { type: 'function', function: { name: 'weather' } },
        } as Extended<OpenAI.ChatCompletionCreateParamsNonStreaming>),
      ).rejects.toMatchObject({ status: 400, param: 'tool_choice.function.name' });
    });
  });
});
