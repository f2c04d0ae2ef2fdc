import { modelEntry, registryOf } from '../../test/support/gateway-requests.fixture';
import { chatTemplateMismatches, type WorkerTemplateReport } from './chat-template.audit';

const TEMPLATE =
  '{% for m in messages %}{{ m.content }}{% endfor %}{% if add_generation_prompt %}>{% endif %}';
const SHA = 'c'.repeat(64);

const report = (
  address: string,
  modelId: string,
  hasChatTemplate: boolean,
  sha = SHA,
): WorkerTemplateReport => ({
  address,
  modelId,
  modelSha256: sha,
  hasChatTemplate,
});

describe(chatTemplateMismatches.name, () => {
  const registry = registryOf({
    version: 1,
    models: [
      modelEntry('own', { capabilities: ['chat'] }),
      modelEntry('base', { capabilities: ['chat'], chatTemplate: TEMPLATE }),
      modelEntry('embedder', { capabilities: ['embeddings'] }),
    ],
  });

  it('accepts a GGUF template alone, a registry template alone, and models that do not chat', () => {
    const reports: Record<string, WorkerTemplateReport[]> = {
      own: [report('a:1', 'own', true)],
      base: [report('b:1', 'base', false)],
      embedder: [report('c:1', 'embedder', false)],
    };

    expect(chatTemplateMismatches(registry, (model) => reports[model.id])).toEqual([]);
  });

  it('names chat models with no template and with two, and the workers that show it', () => {
    const reports: Record<string, WorkerTemplateReport[]> = {
      own: [report('a:1', 'own', false), report('a:2', 'own', false)],
      base: [report('b:1', 'base', true)],
      embedder: [],
    };

    expect(chatTemplateMismatches(registry, (model) => reports[model.id])).toEqual([
      'model base: chatTemplate is set, but its GGUF carries its own template (workers b:1), which is the one used: remove chatTemplate',
      'model own: its GGUF has no chat template (workers a:1, a:2) and the registry gives none: add chatTemplate, or drop the chat capability',
    ]);
  });

  it('ignores workers serving other weights (they get no traffic) and workers not heard from yet', () => {
    const reports: Record<string, WorkerTemplateReport[]> = {
      own: [report('a:1', 'other-model', false), report('a:2', 'own', false, 'd'.repeat(64))],
      base: [],
      embedder: [],
    };

    expect(chatTemplateMismatches(registry, (model) => reports[model.id])).toEqual([]);
  });
});
