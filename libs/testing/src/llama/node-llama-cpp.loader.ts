// Owns how CommonJS code (our TS compiles to CJS) and Jest specs reach node-llama-cpp, which is
// ESM-only with top-level await:
// - `require()` fails even on Node >= 20.19 (ERR_REQUIRE_ASYNC_MODULE, because of top-level await);
// - a plain `import()` (kept by TS module node16) works under Node, but inside Jest it throws
//   ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING unless Jest runs with --experimental-vm-modules, and then
//   Jest re-links node-llama-cpp's whole ESM graph in its sandbox;
// - so we compile the `import()` in a vm.Script bound to Node's own ESM loader
//   (vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER, Node >= 20.12): it works the same under plain
//   Node and inside Jest, needs no flags, and loads the package once per process.
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

import type * as NodeLlamaCpp from 'node-llama-cpp' with { 'resolution-mode': 'import' };

export type NodeLlamaCppModule = typeof NodeLlamaCpp;

let loaded: Promise<NodeLlamaCppModule> | undefined;

/** Imports node-llama-cpp through Node's native ESM loader (cached per process). */
export function importNodeLlamaCpp(): Promise<NodeLlamaCppModule> {
  loaded ??= nativeImport<NodeLlamaCppModule>(pathToFileURL(require.resolve('node-llama-cpp')).href);
  return loaded;
}

function nativeImport<T>(url: string): Promise<T> {
  const script = new vm.Script('(url) => import(url)', {
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const load = script.runInThisContext() as (url: string) => Promise<T>;
  return load(url);
}
