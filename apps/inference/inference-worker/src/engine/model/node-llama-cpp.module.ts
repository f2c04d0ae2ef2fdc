// Owns the one way this CommonJS app reaches node-llama-cpp, which ships as ESM only: TypeScript
// (module node16) keeps a real dynamic import() in the emitted CommonJS, and types come in through
// type-only imports marked `resolution-mode: import`, so nothing `require`s the package. Other engine
// files import node-llama-cpp's types from here. Jest needs --experimental-vm-modules for the import().
import type {
  BatchItem,
  ChatHistoryItem,
  ChatWrapper,
  EvaluationPriority,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaGrammar,
  LlamaGrammarEvaluationState,
  LlamaLogLevel,
  LlamaModel,
  PrioritizedBatchItem,
  SequenceEvaluateOptions,
  Token,
} from 'node-llama-cpp' with { 'resolution-mode': 'import' };

export type {
  BatchItem,
  ChatHistoryItem,
  ChatWrapper,
  EvaluationPriority,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaGrammar,
  LlamaGrammarEvaluationState,
  LlamaLogLevel,
  LlamaModel,
  PrioritizedBatchItem,
  SequenceEvaluateOptions,
  Token,
};

export type NodeLlamaCpp = typeof import('node-llama-cpp', { with: { 'resolution-mode': 'import' } });

let loading: Promise<NodeLlamaCpp> | undefined;

export function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  loading ??= import('node-llama-cpp');
  return loading;
}
