// Public surface of the tiny GGUF test model writer.
export { CHATML_TEMPLATE, buildTinyGguf, writeTinyGguf } from './tiny-gguf.builder';
export type { TinyGguf, TinyGgufInfo, TinyGgufOptions, TinyGgufPooling } from './tiny-gguf.builder';
export { GgufValueType, gguf, serializeGguf } from './gguf.serializer';
export type { GgufDocument, GgufTensor, GgufValue } from './gguf.serializer';
