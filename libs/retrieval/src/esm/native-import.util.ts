// How this CommonJS lib loads ESM-only packages (file-type, unpdf's PDF.js build) the same way under
// plain Node and inside Jest: a dynamic import() compiled in a vm.Script bound to Node's own ESM
// loader (vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER, Node >= 20.12). A plain import() would need
// Jest's --experimental-vm-modules and re-link the package graph in Jest's sandbox. Same technique as
// libs/testing's node-llama-cpp loader.
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

const cache = new Map<string, Promise<unknown>>();

/** Imports an ES module by absolute file path through Node's native loader (cached per process). */
export function importEsm<T>(absolutePath: string): Promise<T> {
  const url = pathToFileURL(absolutePath).href;
  let loaded = cache.get(url);
  if (!loaded) {
    const script = new vm.Script('(url) => import(url)', {
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    loaded = (script.runInThisContext() as (url: string) => Promise<unknown>)(url);
    cache.set(url, loaded);
  }
  return loaded as Promise<T>;
}
