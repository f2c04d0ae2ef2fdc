// Chat templates between the registry and real workers: a model whose GGUF has no template gets the
// registry's with every chat request; a chat model with no template at all, or with two (the GGUF's
// and the registry's), stops the gateway at start-up, and a reload that would cause either is refused
// while the last good registry keeps serving.
import { createLogger } from '@hearth/telemetry';
import { CHATML_TEMPLATE } from '@hearth/testing';

import { chatTemplateMismatches } from '../src/registry/chat-template.audit';
import { ModelRegistryService } from '../src/registry/model-registry.service';
import { generateRequest } from './support/gateway-requests.fixture';
import { registryModel, startGateway, TEST_ROUTING, type GatewayFixture } from './support/gateway.fixture';
import { TINY_REPLY, writeTinyModel, type TinyModel } from './support/tiny-model.fixture';
import { WorkerProcess } from './support/worker.process';

jest.setTimeout(60_000);

const silent = () => createLogger({ service: 'model-gateway', level: 'silent' });

describe(chatTemplateMismatches.name, () => {
  let bare: TinyModel;
  let templated: TinyModel;
  let bareWorker: WorkerProcess;
  let templatedWorker: WorkerProcess;
  let fixture: GatewayFixture | undefined;

  const registry = (bareTemplate: string | undefined, templatedTemplate?: string) => ({
    version: 1,
    routing: TEST_ROUTING,
    models: [
      registryModel('bare', bare.sha256, [bareWorker.address], {
        capabilities: ['chat'],
        ...(bareTemplate !== undefined && { chatTemplate: bareTemplate }),
      }),
      registryModel('templated', templated.sha256, [templatedWorker.address], {
        ...(templatedTemplate !== undefined && { chatTemplate: templatedTemplate }),
      }),
    ],
  });

  beforeAll(async () => {
    // The base-model case: a GGUF without tokenizer.chat_template.
    bare = await writeTinyModel({ reply: TINY_REPLY, chatTemplate: null });
    templated = await writeTinyModel();
    [bareWorker, templatedWorker] = await Promise.all([
      WorkerProcess.start({ modelPath: bare.path, modelId: 'bare', sha256: bare.sha256 }),
      WorkerProcess.start({ modelPath: templated.path, modelId: 'templated', sha256: templated.sha256 }),
    ]);
  });

  afterAll(async () => {
    await fixture?.close();
    await Promise.all([bareWorker?.stop(), templatedWorker?.stop()]);
    await Promise.all([bare?.remove(), templated?.remove()]);
  });

  it('stops start-up when a chat model has no template from its GGUF or the registry', async () => {
    await expect(startGateway(registry(undefined), { logger: silent() })).rejects.toThrow(
      /model bare: its GGUF has no chat template \(workers 127\.0\.0\.1:\d+\) and the registry gives none/,
    );
  });

  it('stops start-up when the registry names a template for a GGUF that has its own', async () => {
    await expect(
      startGateway(registry(CHATML_TEMPLATE, CHATML_TEMPLATE), { logger: silent() }),
    ).rejects.toThrow(/model templated: chatTemplate is set, but its GGUF carries its own template/);
  });

  it("sends the registry's template with chat requests to a GGUF without one", async () => {
    fixture = await startGateway(registry(CHATML_TEMPLATE), { logger: silent() });

    const bareChat = await fixture.generate(generateRequest({ requestId: 'bare-chat', model: 'bare' }));
    const ownChat = await fixture.generate(generateRequest({ requestId: 'own-chat', model: 'templated' }));

    expect(bareChat.error).toBeUndefined();
    expect(bareChat.text.trim()).toBe(TINY_REPLY);
    expect(ownChat.error).toBeUndefined();
    expect(ownChat.text.trim()).toBe(TINY_REPLY);
  });

  it('refuses a reload that takes the template away, and keeps serving with the last good registry', async () => {
    const gateway = fixture!;
    await gateway.writeRegistry(registry(undefined));
    await gateway.gateway.app.get(ModelRegistryService).reload();

    const chat = await gateway.generate(
      generateRequest({ requestId: 'after-bad-reload', model: 'bare', bypassCache: true }),
    );

    expect(gateway.gateway.app.get(ModelRegistryService).current().resolve('bare', '')?.chatTemplate).toBe(
      CHATML_TEMPLATE,
    );
    expect(chat.error).toBeUndefined();
    expect(chat.text.trim()).toBe(TINY_REPLY);
  });
});
