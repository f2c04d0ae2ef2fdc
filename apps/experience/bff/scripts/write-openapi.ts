// Writes the committed OpenAPI document (apps/experience/bff/openapi.json) from the zod schemas; a spec checks
// that the document the BFF serves at /openapi.json equals the committed one. Usage:
//   npx tsx apps/experience/bff/scripts/write-openapi.ts
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { buildOpenApiDocument } from '../src/openapi/openapi.document';

const target = resolve(__dirname, '..', 'openapi.json');
writeFileSync(target, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
console.log(`wrote ${target}`);
