// Owns what a background chat completion keeps in Redis beside its event log: its owner (tenant and
// user), the detached RunTurn request a replica re-attaches with, the stream's builder options, and its
// state (running, or ended with the final chat.completion); and which completion each of a caller's
// idempotency keys began. Shared by every replica; it expires with
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
/** The completion a caller's Idempotency-Key began (a retry re-attaches to its stream). */
const idempotencyKey = (turn: Pick<StoredChatTurn, 'tenantId' | 'userId'>, key: string) =>
  `bff:chat:key:${turn.tenantId}:${turn.userId}:${key}`;

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
    await this.redis
      .multi()
      .set(turnKey(id), JSON.stringify(turn), 'EX', ttl)
      .set(idempotencyKey(turn, turn.request.idempotencyKey), id, 'EX', ttl)
      .exec();
  }

  /** The caller's background completion that this idempotency key began, with its id. */
  async findByKey(
    caller: AuthenticatedCaller,
    key: string,
  ): Promise<{ id: string; turn: StoredChatTurn } | undefined> {
    const id = await this.redis.get(idempotencyKey(caller, key));
    const turn = id === null ? undefined : await this.find(caller, id);
    return id !== null && turn ? { id, turn } : undefined;
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
