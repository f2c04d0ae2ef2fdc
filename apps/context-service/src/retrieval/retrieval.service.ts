// Owns the retrieval slot of an assembly and the Retrieve rpc. Document retrieval (chunking,
// embeddings, the vector index, ACL filters) is not built yet: the assembly keeps its RETRIEVAL layer
// in place and empty, and Retrieve answers UNIMPLEMENTED so no caller mistakes "nothing found" for
// "searched". Filling `chunksFor` is all the assembly needs once it exists.
import type { commonV1, contextV1 } from '@hearth/contracts';

import { requireCaller } from '../assembly/request.validation';
import { unimplemented } from '../errors/context.errors';

export interface ChunkForContext {
  chunk: contextV1.RetrievedChunk;
}

export class RetrievalService {
  /** Chunks for an assembly's retrieval slot, best first; empty until retrieval exists. */
  async chunksFor(
    _caller: commonV1.Caller,
    _options: contextV1.RetrievalOptions | undefined,
    _query: string,
  ): Promise<ChunkForContext[]> {
    return [];
  }

  async retrieve(request: contextV1.RetrieveRequest): Promise<contextV1.RetrieveResponse> {
    requireCaller(request.caller);
    throw unimplemented('document retrieval is not available yet');
  }
}
