// Owns reading the model registry `npm start` gives the local gateway (deploy/local/model-registry.yaml),
// so specs on the real models render prompts with the same chat templates the running platform uses
// (Gemma 270M's GGUF has none; the registry names it) instead of a copy that could drift.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

export const LOCAL_REGISTRY_PATH = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'deploy',
  'local',
  'model-registry.yaml',
);

interface LocalRegistryModel {
  id: string;
  chatTemplate?: string;
}

/** The local registry's chatTemplate of a model; throws when the model is missing or has none. */
export function localChatTemplate(modelId: string): string {
  const registry = parse(readFileSync(LOCAL_REGISTRY_PATH, 'utf8')) as { models: LocalRegistryModel[] };
  const template = registry.models.find((model) => model.id === modelId)?.chatTemplate;
  if (template === undefined)
    throw new Error(`${LOCAL_REGISTRY_PATH} gives model ${modelId} no chatTemplate`);
  return template;
}
