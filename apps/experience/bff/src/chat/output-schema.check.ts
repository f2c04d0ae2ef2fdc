// Owns refusing a structured-output schema before a turn starts, named by the parameter the client
// sent it in. It compiles with @hearth/contracts' OutputSchemaCompiler, the one the orchestrator and
// the gateway use (limits, refused keywords, ajv's own checks, linear-time patterns), so it refuses
// exactly what they would, but as OpenAI does: `param` is `response_format` (chat completions) or
// `text.format` (responses), not the internal contract's `response_format.schema_json`, and no
// request is sent upstream. Schemas that compiled are remembered by a hash of their text (a schema
// may be 120,000 characters): clients send the same schema with every request.
import { createHash } from 'node:crypto';

import { OutputSchemaCompiler } from '@hearth/contracts';

import { ApiError } from '../errors/api.error';

const compiler = new OutputSchemaCompiler();
const accepted = new Set<string>();
const MAX_ACCEPTED = 500;

/** Throws a 400 naming `param` when the platform cannot follow `schemaJson`, the schema `name`. */
export function checkOutputSchemaOf(schemaJson: string, name: string, param: string): void {
  const digest = createHash('sha256').update(schemaJson).digest('base64');
  if (accepted.has(digest)) return;
  try {
    compiler.compile(JSON.parse(schemaJson));
  } catch (error) {
    throw ApiError.badRequest(
      `Invalid schema for ${param} '${name}': ${(error as Error).message}`,
      param,
      'invalid_value',
    );
  }
  if (accepted.size >= MAX_ACCEPTED) accepted.clear();
  accepted.add(digest);
}
