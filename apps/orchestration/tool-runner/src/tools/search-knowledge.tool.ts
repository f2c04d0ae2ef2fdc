// Owns `search_knowledge`: searches the caller's documents through the context service's Retrieve,
// as the caller (tenant, user and key), so retrieval's tenant and ACL filters apply to the tool
// exactly as to the chat turn. Until a context service is configured and answering, the tool
// returns a clear "retrieval is not available" failure the model can tell the user about.
import { contextV1 } from '@hearth/contracts';
import { GrpcError, type GrpcClient } from '@hearth/grpc';

import { status } from '@grpc/grpc-js';

import { ToolFailure, type ToolCaller, type ToolDeclaration } from '../registry/tool.model';

export interface SearchKnowledgeArgs {
  query: string;
  topK: number;
}

/** What the tool needs of the context service's typed client; absent when none is configured. */
export type RetrievalClient = Pick<GrpcClient<typeof contextV1.ContextServiceDefinition>, 'retrieve'>;

const RETRYABLE = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);

export function searchKnowledgeTool(
  retrieval: RetrievalClient | undefined,
): ToolDeclaration<SearchKnowledgeArgs> {
  const timeoutMs = 5_000;
  return {
    name: 'search_knowledge',
    description:
      "Searches the user's uploaded documents and the organisation's knowledge base and returns the most " +
      'relevant passages with their sources. Use it for questions about internal documents.',
    parameters: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, maxLength: 1_000 },
        topK: { type: 'integer', minimum: 1, maximum: 20, default: 5 },
      },
      required: ['query'],
      additionalProperties: false,
    },
    sideEffect: 'read',
    timeoutMs,
    maxAttempts: 2,
    requiresConfirmation: false,
    execute: async (args, context) => {
      if (!retrieval) throw notAvailable();
      let response: contextV1.RetrieveResponse;
      try {
        response = await retrieval.retrieve(
          {
            caller: toProtoCaller(context.caller),
            query: args.query,
            topK: args.topK,
            fileIds: [],
            minScore: 0,
          },
          { signal: context.signal, timeoutMs },
        );
      } catch (error) {
        const code = error instanceof GrpcError ? error.code : status.UNKNOWN;
        if (code === status.UNIMPLEMENTED) throw notAvailable();
        throw new ToolFailure('RETRIEVAL_FAILED', 'the document search failed', {
          retryable: RETRYABLE.has(code),
          cause: error,
        });
      }
      return {
        passages: response.chunks.map((chunk) => ({
          text: chunk.text,
          score: chunk.score,
          fileId: chunk.fileId,
          citation: chunk.citation ?? null,
        })),
      };
    },
  };
}

function notAvailable(): ToolFailure {
  return new ToolFailure('RETRIEVAL_UNAVAILABLE', 'retrieval is not available on this deployment yet');
}

function toProtoCaller(caller: ToolCaller) {
  return { tenantId: caller.tenantId, userId: caller.userId, apiKeyId: caller.apiKeyId };
}
