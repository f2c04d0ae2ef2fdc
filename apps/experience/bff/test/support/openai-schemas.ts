// Validates BFF responses against OpenAI's own published schemas (the committed fixture extracted by
// apps/experience/bff/scripts/extract-openai-schemas.ts), so "compatible" is checked, not assumed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';

const fixture = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'openai-schemas.json'), 'utf8'),
) as {
  schemas: Record<string, object>;
};

/**
 * OpenAI's document mixes OpenAPI 3.0 `nullable: true` into 3.1 JSON Schema; rewrite it as the
 * JSON Schema equivalent (null added to `type`, or an anyOf with null) before compiling.
 */
function denullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(denullable);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, denullable(v)]));
  if (nullable !== true) return out;
  // In OpenAPI 3.0 `nullable` also admits null into an enum.
  if (Array.isArray(out['enum'])) out['enum'] = [...(out['enum'] as unknown[]), null];
  if (typeof out['type'] === 'string') return { ...out, type: [out['type'], 'null'] };
  if (Array.isArray(out['type'])) return { ...out, type: [...(out['type'] as unknown[]), 'null'] };
  return { anyOf: [out, { type: 'null' }] };
}

// strict mode off tolerates OpenAI's x-* annotations; formats such as "unixtime" are not checked.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: 'openai', components: { schemas: denullable(fixture.schemas) } });

const validators = new Map<string, ValidateFunction>();

export type OpenAiSchemaName =
  | 'CreateChatCompletionResponse'
  | 'CreateChatCompletionStreamResponse'
  | 'ListModelsResponse'
  | 'Model'
  | 'CreateEmbeddingResponse'
  | 'ErrorResponse'
  | 'OpenAIFile'
  | 'ListFilesResponse'
  | 'DeleteFileResponse'
  | 'Response'
  | 'ResponseStreamEvent'
  | 'ResponseItemList'
  | 'ConversationResource'
  | 'DeletedConversationResource'
  | 'ConversationItem'
  | 'ConversationItemList'
  | 'UsageResponse';

/** Throws with ajv's messages when `value` does not match OpenAI's schema `name`. */
export function expectOpenAiShape(name: OpenAiSchemaName, value: unknown): void {
  let validate = validators.get(name);
  if (!validate) {
    validate = ajv.compile({ $ref: `openai#/components/schemas/${name}` });
    validators.set(name, validate);
  }
  if (!validate(value)) {
    throw new Error(
      `${name} mismatch: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 2000)}`,
    );
  }
}
