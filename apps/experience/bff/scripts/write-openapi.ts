// Writes the committed OpenAPI document (apps/experience/bff/openapi.json) from the zod schemas, formatted as the
// repository's prettier check expects; a spec checks that the document the BFF serves at /openapi.json equals the
// committed one. Usage:
//   npx tsx apps/experience/bff/scripts/write-openapi.ts
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { format, resolveConfig } from 'prettier';

import { buildOpenApiDocument } from '../src/openapi/openapi.document';

async function main(): Promise<void> {
  const target = resolve(__dirname, '..', 'openapi.json');
  const options = (await resolveConfig(target)) ?? {};
  writeFileSync(
    target,
    await format(JSON.stringify(buildOpenApiDocument(), null, 2), { ...options, filepath: target }),
  );
  console.log(`wrote ${target}`);
}

void main();
