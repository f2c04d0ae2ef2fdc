// Writes the CycloneDX 1.5 SBOM of what the services ship: dist/sbom/hearth.cdx.json, or the path given as
// the first argument. npm's own `npm sbom` makes the document from package-lock.json; its `--omit dev`
// drops some production packages that development tools also use (zod, yaml, lru-cache, … went missing),
// so the full document is taken and narrowed here to what the root package's production dependencies
// and the workspaces reach through its dependency graph.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? resolve(root, 'dist', 'sbom', 'hearth.cdx.json'));
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));

const full = JSON.parse(
  execFileSync('npm', ['sbom', '--sbom-format', 'cyclonedx', '--package-lock-only'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  }),
);
const edges = new Map(full.dependencies.map((d) => [d.ref, d.dependsOn ?? []]));
const rootRef = full.metadata.component['bom-ref'];
const byName = (ref) => ref.slice(0, ref.lastIndexOf('@'));
const wanted = new Set(Object.keys(pkg.dependencies ?? {}));
const start = (edges.get(rootRef) ?? []).filter(
  (ref) => wanted.has(byName(ref)) || ref.startsWith('@hearth/'),
);

const kept = new Set([rootRef]);
const queue = [...start];
while (queue.length > 0) {
  const ref = queue.pop();
  if (kept.has(ref)) continue;
  kept.add(ref);
  queue.push(...(edges.get(ref) ?? []));
}

const bom = {
  ...full,
  components: full.components.filter((c) => kept.has(c['bom-ref'])),
  dependencies: full.dependencies
    .filter((d) => kept.has(d.ref))
    .map((d) => ({ ...d, dependsOn: (d.dependsOn ?? []).filter((ref) => kept.has(ref)) })),
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(bom, null, 2)}\n`);
console.log(`sbom: ${bom.bomFormat} ${bom.specVersion}, ${bom.components.length} components -> ${out}`);
