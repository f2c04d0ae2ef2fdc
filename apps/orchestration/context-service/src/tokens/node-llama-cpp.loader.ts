// Owns how this CommonJS service reaches node-llama-cpp, which is ESM-only with top-level await:
// `require()` fails (ERR_REQUIRE_ASYNC_MODULE) and a plain `import()` inside Jest needs
// --experimental-vm-modules and re-links the whole ESM graph in its sandbox. A vm.Script bound to
// Node's own ESM loader (USE_MAIN_CONTEXT_DEFAULT_LOADER, Node >= 20.12) loads it the same way under
// Node and Jest, once per process. Only types come in statically (`resolution-mode: import`).
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

import type * as NodeLlamaCpp from 'node-llama-cpp' with { 'resolution-mode': 'import' };

export type NodeLlamaCppModule = typeof NodeLlamaCpp;
export type { ChatHistoryItem, ChatWrapper, Llama, LlamaModel } from 'node-llama-cpp' with {
  'resolution-mode': 'import',
};

let loaded: Promise<NodeLlamaCppModule> | undefined;

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
