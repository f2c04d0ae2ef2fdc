// Owns the one check that needs both the registry and the workers: every chat model gets exactly one
// chat template, either from its GGUF (workers report has_chat_template in Stats) or from the
// registry's chatTemplate. Neither means its chat requests would be refused by the workers; both means
// the registry's template would silently not be used. The gateway runs it once its first Stats round is
// in (a problem stops start-up) and on every registry reload (a problem keeps the last good registry).
import type { ModelRegistry, RegisteredModel } from './model-registry';

/** What one worker of a model's pool last reported about the weights it serves. */
export interface WorkerTemplateReport {
  readonly address: string;
  readonly modelId: string;
  readonly modelSha256: string;
  readonly hasChatTemplate: boolean;
}

export type WorkerReports = (model: RegisteredModel) => readonly WorkerTemplateReport[];

export function chatTemplateMismatches(registry: ModelRegistry, reportsOf: WorkerReports): string[] {
  const problems: string[] = [];
  for (const model of registry.models) {
    if (!model.capabilities.includes('chat')) continue;
    // Workers serving other weights get no traffic anyway (routing checks id and sha256).
    const serving = reportsOf(model).filter(
      (r) => r.modelId === model.workerModelId && r.modelSha256 === model.sha256,
    );
    const withOwn = serving.filter((r) => r.hasChatTemplate).map((r) => r.address);
    const without = serving.filter((r) => !r.hasChatTemplate).map((r) => r.address);
    if (model.chatTemplate === undefined && without.length > 0)
      problems.push(
        `model ${model.id}: its GGUF has no chat template (workers ${without.join(', ')}) and the registry ` +
          'gives none: add chatTemplate, or drop the chat capability',
      );
    if (model.chatTemplate !== undefined && withOwn.length > 0)
      problems.push(
        `model ${model.id}: chatTemplate is set, but its GGUF carries its own template (workers ` +
          `${withOwn.join(', ')}), which is the one used: remove chatTemplate`,
      );
  }
  return problems;
}
