// Copies the OpenAI response schemas the BFF's specs validate against (and everything they $ref,
// transitively) out of OpenAI's published OpenAPI document into a committed fixture, with the
// document's licence next to it. Usage:
//   npx tsx apps/experience/bff/scripts/extract-openai-schemas.ts <openapi.yaml> [<LICENSE file>]
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { parse } from 'yaml';

const ROOTS = [
  'CreateChatCompletionResponse',
  'CreateChatCompletionStreamResponse',
  'ListModelsResponse',
  'Model',
  'CreateEmbeddingResponse',
  'ErrorResponse',
  'OpenAIFile',
  'ListFilesResponse',
  'DeleteFileResponse',
  'Response',
  'ResponseStreamEvent',
  'ResponseItemList',
  'ConversationResource',
  'DeletedConversationResource',
  'ConversationItem',
  'ConversationItemList',
  'UsageResponse',
];
const FIXTURES = resolve(__dirname, '..', 'test', 'fixtures');

function main(): void {
  const [specPath, licencePath] = process.argv.slice(2);
  if (!specPath) {
    console.error('usage: extract-openai-schemas.ts <openapi.yaml> [<LICENSE>]');
    process.exit(2);
  }
  const spec = parse(readFileSync(specPath, 'utf8')) as {
    info?: { version?: string };
    components: { schemas: Record<string, unknown> };
  };
  const all = spec.components.schemas;
  const picked: Record<string, unknown> = {};
  const queue = [...ROOTS];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (name in picked) continue;
    const schema = all[name];
    if (schema === undefined) throw new Error(`schema ${name} is not in ${specPath}`);
    picked[name] = schema;
    for (const ref of refsOf(schema)) if (!(ref in picked)) queue.push(ref);
  }
  const sorted = Object.fromEntries(
    Object.keys(picked)
      .sort()
      .map((k) => [k, picked[k]]),
  );
  const out = {
    $comment: `Extracted from OpenAI's OpenAPI document (version ${spec.info?.version ?? 'unknown'}, MIT, see openai-openapi.LICENSE) by apps/experience/bff/scripts/extract-openai-schemas.ts.`,
    roots: ROOTS,
    schemas: sorted,
  };
  writeFileSync(join(FIXTURES, 'openai-schemas.json'), `${JSON.stringify(out, null, 2)}\n`);
  if (licencePath) copyFileSync(licencePath, join(FIXTURES, 'openai-openapi.LICENSE'));
  console.log(`wrote ${Object.keys(sorted).length} schemas to ${join(FIXTURES, 'openai-schemas.json')}`);
}

function refsOf(value: unknown): string[] {
  const refs: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')) {
          refs.push(child.slice('#/components/schemas/'.length));
        } else walk(child);
      }
    }
  };
  walk(value);
  return refs;
}

main();
