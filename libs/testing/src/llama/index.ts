// Public surface of the node-llama-cpp test helpers.
export { importNodeLlamaCpp } from './node-llama-cpp.loader';
export type { NodeLlamaCppModule } from './node-llama-cpp.loader';
export { disposeTestLlama, getTestLlama, TEST_LLAMA_THREADS } from './test-llama.factory';
