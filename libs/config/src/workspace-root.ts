// Owns finding the files a service reads at run time (the proto tree, shipped policies, the model
// registry example, Prisma's migrations) from wherever its code runs: TypeScript under `src/` (Jest,
// tsx scripts), the compiled mirror under `dist/`, or an image that holds only `dist/`, `proto/` and
// those files. Counting `..` from `__dirname` breaks as soon as one of these layouts differs, so the
// root is the nearest folder up that holds `proto/buf.yaml`, which every layout ships.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The file that marks the workspace root: the proto tree's buf module. */
export const WORKSPACE_MARKER = join('proto', 'buf.yaml');

/** The nearest folder at or above `from` holding `proto/buf.yaml`; throws naming `from` when there is none. */
export function findWorkspaceRoot(from: string): string {
  for (let folder = from; ; folder = dirname(folder)) {
    if (existsSync(join(folder, WORKSPACE_MARKER))) return folder;
    if (dirname(folder) === folder) {
      throw new Error(`no ${WORKSPACE_MARKER} in ${from} or any folder above it: is proto/ shipped?`);
    }
  }
}

let cached: string | undefined;

/** The workspace root of this code (found once per process). */
export function workspaceRoot(): string {
  return (cached ??= findWorkspaceRoot(__dirname));
}

/** A path under the workspace root, e.g. `workspacePath('proto')`. */
export function workspacePath(...segments: string[]): string {
  return join(workspaceRoot(), ...segments);
}
