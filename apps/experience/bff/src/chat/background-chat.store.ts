// Owns what a background chat completion keeps in Redis beside its event log: its owner (tenant and
// user), the detached RunTurn request a replica re-attaches with, the stream's builder options, and its
// state (running, or ended with the final chat.completion). Shared by every replica; it expires with
// the event log once the turn ended. Another caller's id is a 404, the same as an unknown (or expired)
// one, so ids reveal nothing.
import type { orchestratorV1 } from '@hearth/contracts';

import type { Redis } from 'ioredis';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { ENDED_TTL_SECONDS } from '../background/turn-event.log';
import { ApiError } from '../errors/api.error';
import type { BuilderOptions, ChatCompletion } from './chat-completion.builder';

export interface StoredChatTurn {
  tenantId: string;
  userId: string;
  /** The detached RunTurn request (idempotency key included); sent again, it re-attaches. */
  request: orchestratorV1.RunTurnRequest;
  options: BuilderOptions;
  turnId: string;
  status: 'in_progress' | 'completed' | 'cancelled' | 'failed';
  /** The final completion, once the turn ended. */
  completion?: ChatCompletion;
}

const turnKey = (id: string) => `bff:chat:{${id}}:turn`;

export class BackgroundChatStore {
  /** `maxDurationMs`: the longest a turn runs (a running turn's record outlives it). */
  constructor(
    private readonly redis: Redis,
    private readonly maxDurationMs: number,
  ) {}

  async save(id: string, turn: StoredChatTurn): Promise<void> {
    const ttl =
      turn.status === 'in_progress'
        ? Math.ceil(this.maxDurationMs / 1000) + ENDED_TTL_SECONDS
        : ENDED_TTL_SECONDS;
    await this.redis.set(turnKey(id), JSON.stringify(turn), 'EX', ttl);
  }

  /** The caller's background completion; 404 for an unknown, expired or another caller's id. */
  async get(caller: AuthenticatedCaller, id: string): Promise<StoredChatTurn> {
    const found = await this.find(caller, id);
    if (!found) {
      throw new ApiError(404, `No background chat completion found with id '${id}'.`, {
        code: 'not_found',
        param: 'completion_id',
      });
    }
    return found;
  }

  async find(caller: AuthenticatedCaller, id: string): Promise<StoredChatTurn | undefined> {
    const raw = await this.redis.get(turnKey(id));
    if (raw === null) return undefined;
    const turn = JSON.parse(raw) as StoredChatTurn;
    return turn.tenantId === caller.tenantId && turn.userId === caller.userId ? turn : undefined;
  }
}
