// The tenant-isolation probe's table (test/tenant-isolation.spec.ts): for every route of the committed
// openapi.json, how a stranger's requests are filled from the owner's resources and what they must get,
// or why the route holds no tenant data; plus the twin ids (same form, naming nothing) that a stranger's
// 404 is compared with, and the routes list read from the document.
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { MODEL_ID } from './stack.fixture';

/** In every text the owner writes: no stranger's answer may carry it. */
export const MARKER = `owner-secret-${randomUUID().slice(0, 8)}`;
export const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export interface Json {
  [key: string]: unknown;
}
export type Stranger = 'tenant' | 'user';
export type Reply = { status: number; body: Json };

/** What the owner created; the spec's probes fill their paths and bodies from it. */
export interface Owned {
  conversation: string;
  userMessage: string;
  assistantMessage: string;
  item: string;
  toolConversation: string;
  toolCall: string;
  file: string;
  response: string;
  background: string;
  /** A finished background chat completion (`chatcmpl-…`) in a conversation of its own. */
  backgroundChat: string;
  fact: string;
  /** A budget on the owner's API key, set by the tenant's admin. */
  budget: string;
  ownerKeyId: string;
  ownerUserId: string;
  tenantId: string;
}

export interface Probe {
  /** Who is refused: another tenant always; another user of the tenant where the resource is per user. */
  strangers: Stranger[];
  /** Requests on the owner's ids (or naming them in a create body): 404 for each stranger. */
  requests?: (o: Owned) => { path: string; body?: unknown }[];
  /** A listing: 200 for each stranger, without the owner's ids; the owner's own listing has them all. */
  listing?: { path: (o: Owned) => string; ids: (o: Owned) => string[]; owner?: 'admin' };
  /** Requests on the caller's own behalf: 200 for each stranger, with nothing of the owner's in it. */
  own?: OwnRequest[];
  /** Strangers who may not call the route at all (403). */
  refused?: Stranger[];
  /** The owner's views that must read the same after the strangers' attempts. */
  intact?: View[];
}

export interface OwnRequest {
  path: string;
  body: unknown;
  /** What a stranger's answer must show beyond holding none of the owner's ids and words. */
  stranger?: (body: Json) => void;
  /** The owner's answer to the same request, so that the stranger's empty one means something. */
  owner?: (body: Json) => void;
}

/** Owner reads that must not change, each compared whole or on a few stable fields. */
export type View =
  | 'conversation'
  | 'toolConversation'
  | 'file'
  | 'response'
  | 'background'
  | 'backgroundChat'
  | 'fact'
  | 'budget'
  | 'toolCall';

/** Routes of openapi.json that hold no tenant data, so nothing to isolate, with the reason. */
export const NO_TENANT_DATA: Record<string, string> = {
  // The model catalogue is the deployment's, the same for every tenant.
  'GET /v1/models': 'shared model catalogue',
  'GET /v1/models/{id}': 'shared model catalogue',
  // Stateless: nothing is stored, nothing is read back.
  'POST /v1/embeddings': 'stateless',
  // Creates without ids: what they create is the caller's own, probed through the routes that read it.
  'POST /v1/conversations': 'creates the caller’s own conversation (items are text, never ids)',
  'POST /v1/files': 'creates the caller’s own file',
  'POST /v1/memory/facts': 'creates the caller’s own fact',
};
/** Routes the BFF serves outside the API (so outside openapi.json): unauthenticated, no tenant data. */
export const OUTSIDE_THE_API = ['GET /healthz', 'GET /openapi.json'];

export const BOTH: Stranger[] = ['tenant', 'user'];
export const say = (extra: Json) => ({
  model: MODEL_ID,
  messages: [{ role: 'user', content: 'Hi' }],
  ...extra,
});

export const PROBES: Record<string, Probe> = {
  'POST /v1/chat/completions': {
    strangers: BOTH,
    requests: (o) => [
      { path: '/chat/completions', body: say({ conversation_id: o.conversation }) },
      { path: '/chat/completions', body: say({ file_ids: [o.file] }) },
      { path: '/chat/completions', body: say({ retrieval: { file_ids: [o.file] } }) },
    ],
    // Retrieval over every file the caller may read finds none of the owner's private chunks. (A
    // message's file part is never resolved: the model sees `[file <name>]` from the request itself.)
    own: [
      {
        path: '/chat/completions',
        body: say({ retrieval: { query: `code word ${MARKER}` }, max_completion_tokens: 4 }),
        stranger: (body) => expect(groundedChunks(body)).toBe(0),
        owner: (body) => expect(groundedChunks(body)).toBeGreaterThan(0),
      },
    ],
    intact: ['conversation', 'file'],
  },
  'POST /v1/responses': {
    strangers: BOTH,
    requests: (o) => [
      { path: '/responses', body: { model: MODEL_ID, input: 'Hi', previous_response_id: o.response } },
      { path: '/responses', body: { model: MODEL_ID, input: 'Hi', conversation: o.conversation } },
    ],
    intact: ['conversation', 'response'],
  },
  'GET /v1/responses/{id}': {
    strangers: BOTH,
    requests: (o) => [
      { path: `/responses/${o.response}` },
      { path: `/responses/${o.background}` },
      { path: `/responses/${o.background}?stream=true` },
    ],
  },
  'DELETE /v1/responses/{id}': {
    strangers: BOTH,
    requests: (o) => [{ path: `/responses/${o.response}` }, { path: `/responses/${o.background}` }],
    intact: ['response', 'background'],
  },
  'POST /v1/responses/{id}/cancel': {
    strangers: BOTH,
    requests: (o) => [{ path: `/responses/${o.background}/cancel` }],
    intact: ['background'],
  },
  'GET /v1/chat/completions/{completion_id}/stream': {
    strangers: BOTH,
    requests: (o) => [
      { path: `/chat/completions/${o.backgroundChat}/stream` },
      { path: `/chat/completions/${o.backgroundChat}/stream?starting_after=0` },
    ],
  },
  'POST /v1/chat/completions/{completion_id}/cancel': {
    strangers: BOTH,
    requests: (o) => [{ path: `/chat/completions/${o.backgroundChat}/cancel` }],
    intact: ['backgroundChat'],
  },
  'GET /v1/responses/{id}/input_items': {
    strangers: BOTH,
    requests: (o) => [{ path: `/responses/${o.response}/input_items` }],
  },
  'GET /v1/files': { strangers: BOTH, listing: { path: () => '/files', ids: (o) => [o.file] } },
  'GET /v1/files/{id}': { strangers: BOTH, requests: (o) => [{ path: `/files/${o.file}` }] },
  'DELETE /v1/files/{id}': {
    strangers: BOTH,
    requests: (o) => [{ path: `/files/${o.file}` }],
    intact: ['file'],
  },
  'GET /v1/conversations': {
    strangers: BOTH,
    listing: { path: () => '/conversations', ids: (o) => [o.conversation, o.toolConversation] },
  },
  'GET /v1/conversations/{id}': {
    strangers: BOTH,
    requests: (o) => [{ path: `/conversations/${o.conversation}` }],
  },
  'POST /v1/conversations/{id}': {
    strangers: BOTH,
    requests: (o) => [
      { path: `/conversations/${o.conversation}`, body: { metadata: { taken: 'yes' }, title: 'taken' } },
    ],
    intact: ['conversation'],
  },
  'PATCH /v1/conversations/{id}': {
    strangers: BOTH,
    requests: (o) => [{ path: `/conversations/${o.conversation}`, body: { title: 'taken' } }],
    intact: ['conversation'],
  },
  'DELETE /v1/conversations/{id}': {
    strangers: BOTH,
    requests: (o) => [
      { path: `/conversations/${o.conversation}` },
      { path: `/conversations/${o.toolConversation}` },
    ],
    intact: ['conversation', 'toolConversation'],
  },
  'GET /v1/conversations/{id}/items': {
    strangers: BOTH,
    requests: (o) => [{ path: `/conversations/${o.conversation}/items` }],
  },
  'POST /v1/conversations/{id}/items': {
    strangers: BOTH,
    requests: (o) => [
      {
        path: `/conversations/${o.conversation}/items`,
        body: { items: [{ type: 'message', role: 'user', content: 'Intrusion' }] },
      },
    ],
    intact: ['conversation'],
  },
  'GET /v1/conversations/{id}/items/{item_id}': {
    strangers: BOTH,
    requests: (o) => [{ path: `/conversations/${o.conversation}/items/${o.item}` }],
  },
  'DELETE /v1/conversations/{id}/items/{item_id}': {
    strangers: BOTH,
    requests: (o) => [{ path: `/conversations/${o.conversation}/items/${o.item}` }],
    intact: ['conversation'],
  },
  'POST /v1/conversations/{id}/branch': {
    strangers: BOTH,
    requests: (o) => [
      { path: `/conversations/${o.conversation}/branch`, body: { message_id: o.userMessage } },
      // The owner's message under a conversation id that is not the owner's is no way in either.
      { path: `/conversations/${o.toolConversation}/branch`, body: { message_id: o.assistantMessage } },
    ],
    intact: ['conversation'],
  },
  'GET /v1/conversations/{id}/messages': {
    strangers: BOTH,
    requests: (o) => [{ path: `/conversations/${o.conversation}/messages` }],
  },
  'GET /v1/conversations/{id}/messages/{mid}/trace': {
    strangers: BOTH,
    requests: (o) => [
      { path: `/conversations/${o.conversation}/messages/${o.assistantMessage}/trace` },
      { path: `/conversations/${o.conversation}/messages/${o.userMessage}/trace` },
    ],
  },
  'POST /v1/conversations/{id}/messages/{mid}/feedback': {
    strangers: BOTH,
    requests: (o) => [
      {
        path: `/conversations/${o.conversation}/messages/${o.assistantMessage}/feedback`,
        body: { rating: 'down', comment: 'taken' },
      },
    ],
    intact: ['conversation'],
  },
  'POST /v1/conversations/{id}/tool_calls/{call_id}/approve': {
    strangers: BOTH,
    requests: (o) => [
      { path: `/conversations/${o.toolConversation}/tool_calls/${o.toolCall}/approve`, body: {} },
      // The call under a conversation the stranger owns is no way in either.
      { path: `/conversations/${o.conversation}/tool_calls/${o.toolCall}/approve`, body: {} },
    ],
    intact: ['toolCall'],
  },
  'POST /v1/conversations/{id}/tool_calls/{call_id}/reject': {
    strangers: BOTH,
    requests: (o) => [
      {
        path: `/conversations/${o.toolConversation}/tool_calls/${o.toolCall}/reject`,
        body: { reason: 'no' },
      },
    ],
    intact: ['toolCall'],
  },
  'GET /v1/organization/usage/completions': {
    strangers: ['tenant'],
    refused: ['user'],
    listing: {
      path: () => `/organization/usage/completions?start_time=${USAGE_START}&group_by=api_key_id,user_id`,
      ids: (o) => [o.ownerKeyId, o.ownerUserId],
      owner: 'admin',
    },
  },
  'GET /v1/organization/usage/embeddings': {
    strangers: ['tenant'],
    refused: ['user'],
    listing: {
      path: () => `/organization/usage/embeddings?start_time=${USAGE_START}&group_by=api_key_id,user_id`,
      ids: (o) => [o.ownerKeyId, o.ownerUserId],
      owner: 'admin',
    },
  },
  'GET /v1/organization/costs': {
    strangers: ['tenant'],
    refused: ['user'],
    listing: {
      path: () => `/organization/costs?start_time=${USAGE_START}&group_by=api_key_id`,
      ids: (o) => [o.ownerKeyId],
      owner: 'admin',
    },
  },
  'GET /v1/organization/audit_logs': {
    strangers: ['tenant'],
    refused: ['user'],
    listing: {
      path: () => `/organization/audit_logs?start_time=${USAGE_START}&limit=100`,
      ids: (o) => [o.ownerUserId],
      owner: 'admin',
    },
  },
  'GET /v1/organization/budgets': {
    strangers: ['tenant'],
    refused: ['user'],
    listing: { path: () => '/organization/budgets', ids: (o) => [o.budget, o.ownerKeyId], owner: 'admin' },
  },
  // Naming the owner's key or user in a budget of one's own tenant: 404, as for an unknown id.
  'POST /v1/organization/budgets': {
    strangers: ['tenant'],
    requests: (o) => [
      {
        path: '/organization/budgets',
        body: { scope: 'api_key', subject_id: o.ownerKeyId, period: 'monthly', amount: { value: 0 } },
      },
      {
        path: '/organization/budgets',
        body: { scope: 'user', subject_id: o.ownerUserId, period: 'daily', amount: { value: 0 } },
      },
    ],
    intact: ['budget'],
  },
  'GET /v1/organization/budgets/{id}': {
    strangers: ['tenant'],
    requests: (o) => [{ path: `/organization/budgets/${o.budget}` }],
  },
  'DELETE /v1/organization/budgets/{id}': {
    strangers: ['tenant'],
    requests: (o) => [{ path: `/organization/budgets/${o.budget}` }],
    intact: ['budget'],
  },
  'GET /v1/memory/facts': { strangers: BOTH, listing: { path: () => '/memory/facts', ids: (o) => [o.fact] } },
  'PATCH /v1/memory/facts/{id}': {
    strangers: BOTH,
    requests: (o) => [{ path: `/memory/facts/${o.fact}`, body: { text: 'taken' } }],
    intact: ['fact'],
  },
  'DELETE /v1/memory/facts/{id}': {
    strangers: BOTH,
    requests: (o) => [{ path: `/memory/facts/${o.fact}` }],
    intact: ['fact'],
  },
  'POST /v1/memory/facts/{id}/approve': {
    strangers: BOTH,
    requests: (o) => [{ path: `/memory/facts/${o.fact}/approve` }],
    intact: ['fact'],
  },
  'GET /v1/memory/export': {
    strangers: BOTH,
    listing: { path: () => '/memory/export', ids: (o) => [o.fact] },
  },
  'PUT /v1/memory/settings': {
    strangers: BOTH,
    own: [{ path: '/memory/settings', body: { opt_in: false } }],
    intact: ['fact'],
  },
};

/** How many chunks of the caller's files a grounded chat completion placed in the prompt. */
const groundedChunks = (body: Json): unknown =>
  ((body['choices'] as Json[])[0]?.['message'] as { grounding?: Json }).grounding?.['retrieved_chunks'];

const USAGE_START = Math.floor(Date.now() / 1000) - 3_600;

export interface Twins {
  /** The text (or JSON value) with each owned id replaced by its twin. */
  swap<T>(value: T): T;
  unswap<T>(value: T): T;
}

/**
 * Characters a twin's character is redrawn within: each class keeps an id's form (a UUID's hex digits
 * stay hex, a base-62 call id stays base 62), and every letter or digit changes.
 */
const REDRAW_CLASSES = ['0123456789', 'abcdef', 'ghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];

function redraw(char: string): string {
  const within = REDRAW_CLASSES.find((chars) => chars.includes(char));
  if (!within) return char;
  return within[(within.indexOf(char) + randomInt(1, within.length)) % within.length] as string;
}

/**
 * For each owned id, one of the same form that names nothing: its last 12 letters and digits redrawn.
 * A stranger's answer for the owner's id must be the answer for its twin, so it says nothing about
 * existence.
 */
export function twinsOf(ids: string[]): Twins {
  const pairs = ids.map((id): [string, string] => {
    const tail = [...id.slice(-12)].map(redraw).join('');
    if (tail === id.slice(-12)) throw new Error(`nothing to redraw at the end of '${id}'`);
    return [id, id.slice(0, -12) + tail];
  });
  const replace = (value: unknown, from: 0 | 1): unknown => {
    if (value === undefined) return value;
    let text = typeof value === 'string' ? value : JSON.stringify(value);
    for (const pair of pairs) text = text.split(pair[from]).join(pair[1 - from] as string);
    return typeof value === 'string' ? text : JSON.parse(text);
  };
  return {
    swap: <T>(value: T) => replace(value, 0) as T,
    unswap: <T>(value: T) => replace(value, 1) as T,
  };
}

/** What the spec reads of Express 5's router: each layer's route, its path and methods. */
export interface ExpressRouterHost {
  router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
}

export const openApiRoutes = (): string[] => {
  const document = JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    METHODS.filter((method) => method in operations).map((method) => `${method.toUpperCase()} ${path}`),
  );
};
