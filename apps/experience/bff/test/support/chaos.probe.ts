// Owns one fault-injection round against a running stack (stack.fixture.ts): a steady load of streamed
// chat turns through the official `openai` SDK, each client on its own conversation; once the turns
// stream text, a fault breaks one component (a platform process or PostgreSQL, Redis or Kafka SIGKILLed
// and started again on its port as Kubernetes or `npm start` would, or SIGSTOPped and resumed: a hang).
// The round reports what the clients in flight saw, the stored answers' final states, the usage events
// per request id, the seconds until a new turn succeeded and whether any platform process stopped or
// changed pid. The chaos specs assert on it; bench/chaos prints it as a table.
import type { PrivateServer, ServiceProcess, UsageEvents } from '@hearth/testing';

import OpenAI from 'openai';

import type { Stack } from './stack.fixture';

/** What one streamed turn's client saw. */
export interface SeenTurn {
  requestId: string;
  /** Empty for a stateless turn. */
  conversationId: string;
  /** `completed`; `error_event` (an SSE error event, with its code); `http_error` (a status before the stream); `dropped` (the connection ended without either). */
  kind: 'completed' | 'error_event' | 'http_error' | 'dropped';
  code?: string;
  status?: number;
  retryAfter?: string;
  /** Characters of text the client received. */
  text: number;
  startedAt: number;
  endedAt: number;
}

/** One way to break one component and bring it back. */
export interface Fault {
  /** Its row label, e.g. `orchestrator` or `redis (hung 5 s)`. */
  label: string;
  /** `killed`: SIGKILL, down for a moment, started again; `hung`: SIGSTOP, then SIGCONT. */
  kind: 'killed' | 'hung';
  /** Breaks the component. */
  inject(): Promise<void>;
  /** Brings it back; resolves once it serves again. */
  recover(): Promise<void>;
  /** How long it stays broken. */
  downMs: number;
  /** The platform process it breaks (left out of the "other processes restarted" check). */
  process?: ServiceProcess;
}

/** SIGKILL a platform process, keep it down `downMs`, start it again on its port. */
export function processKill(process: ServiceProcess, label: string, downMs = 1_000): Fault {
  return {
    label,
    kind: 'killed',
    downMs,
    process,
    inject: () => process.kill(),
    recover: () => process.restart(),
  };
}

/** SIGSTOP a platform process for `downMs`, then SIGCONT: it hangs, then carries on. */
export function processHang(process: ServiceProcess, label: string, downMs: number): Fault {
  return {
    label: `${label} (hung ${downMs / 1000} s)`,
    kind: 'hung',
    downMs,
    process,
    inject: async () => process.freeze(),
    recover: async () => process.thaw(),
  };
}

/** SIGKILL PostgreSQL, Redis or Kafka (every process of it), keep it down `downMs`, start it again. */
export function serverKill(server: PrivateServer, downMs: number): Fault {
  return {
    label: server.kind,
    kind: 'killed',
    downMs,
    inject: () => server.crash(),
    recover: () => server.start(),
  };
}

/** SIGSTOP PostgreSQL, Redis or Kafka for `downMs`, then SIGCONT. */
export function serverHang(server: PrivateServer, downMs: number): Fault {
  return {
    label: `${server.kind} (hung ${downMs / 1000} s)`,
    kind: 'hung',
    downMs,
    inject: async () => server.signal('SIGSTOP'),
    recover: async () => server.signal('SIGCONT'),
  };
}

export interface FaultRound {
  app: string;
  /** Turns that were running when the process was killed. */
  inFlight: SeenTurn[];
  /** Every turn the load ran during the round. */
  turns: SeenTurn[];
  /** Turns begun while the component was down or hung (recovery probes included). */
  during: SeenTurn[];
  /** Final state of each in-flight turn's stored answer (`missing` when none was stored). */
  stored: { requestId: string; status: string; contentChars: number }[];
  /** In-flight turns whose client read a whole answer that was not stored whole (status or text). */
  storedShort: string[];
  /** Request ids whose usage events numbered more than one. */
  doubled: string[];
  /** Completed turns without a usage event. */
  lost: string[];
  usageEvents: number;
  /** Seconds from the process being ready again to the first new turn that completed. */
  recoverS: number;
  /** Platform processes (other than the one broken) that stopped or run under a new pid since the round began. */
  othersRestarted: string[];
}

export interface FaultRoundOptions {
  stack: Stack;
  key: { secret: string; tenantId: string };
  usage: UsageEvents;
  /** What breaks. */
  fault: Fault;
  /** The model that streams long enough to be cut (LONG_MODEL_ID). */
  model: string;
  /** Concurrent streamed turns (default 3). */
  clients?: number;
  maxTokens?: number;
  /** How long the turns stream after each has text before the fault (default 0: at once). */
  killAfterTextMs?: number;
  /** How long to wait for every in-flight answer to leave `streaming` (draft lease + sweep + margin). */
  settleMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Streams one turn on `conversationId` (stateless when empty) and reports what the client saw; never throws. */
export async function streamTurn(
  client: OpenAI,
  options: { conversationId: string; requestId: string; model: string; maxTokens: number },
  onText?: () => void,
): Promise<SeenTurn> {
  const seen: SeenTurn = {
    requestId: options.requestId,
    conversationId: options.conversationId,
    kind: 'dropped',
    text: 0,
    startedAt: Date.now(),
    endedAt: 0,
  };
  try {
    const stream = await client.chat.completions.create(
      {
        model: options.model,
        messages: [{ role: 'user', content: `Tell me a long story (${options.requestId})` }],
        temperature: 0.9,
        max_completion_tokens: options.maxTokens,
        stream: true,
        ...(options.conversationId && { conversation_id: options.conversationId }),
      } as OpenAI.Chat.ChatCompletionCreateParamsStreaming,
      { headers: { 'X-Request-Id': options.requestId } },
    );
    let finished = false;
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta.content ?? '';
      if (text !== '') {
        seen.text += text.length;
        onText?.();
      }
      if (chunk.choices[0]?.finish_reason) finished = true;
    }
    if (finished) seen.kind = 'completed';
  } catch (error) {
    // A connection that broke (the BFF itself died) stays `dropped`.
    if (error instanceof OpenAI.APIError && !(error instanceof OpenAI.APIConnectionError)) {
      seen.kind = error.status === undefined ? 'error_event' : 'http_error';
      if (typeof error.code === 'string') seen.code = error.code;
      if (error.status !== undefined) seen.status = error.status;
      const retryAfter = error.headers?.get('retry-after');
      if (retryAfter) seen.retryAfter = retryAfter;
    }
  }
  seen.endedAt = Date.now();
  return seen;
}

async function newConversation(stack: Stack, secret: string): Promise<string> {
  const response = await fetch(`${stack.baseURL}/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'chaos' }),
  });
  if (!response.ok) throw new Error(`conversation create answered ${response.status}`);
  return ((await response.json()) as { id: string }).id;
}

/** Runs one fault round: load, fault mid-turn, recover, probe, settle, account. */
export async function runFaultRound(options: FaultRoundOptions): Promise<FaultRound> {
  const { stack, key, usage, fault } = options;
  const client = new OpenAI({ apiKey: key.secret, baseURL: stack.baseURL, maxRetries: 0, timeout: 120_000 });
  const clients = options.clients ?? 3;
  const maxTokens = options.maxTokens ?? 400;
  // Request ids must be plain tokens (the BFF replaces any other X-Request-Id with its own).
  const round = `${fault.label.replace(/[^A-Za-z0-9-]+/g, '-')}-${Date.now()}`;
  const others = stack.services.filter((service) => service !== fault.process);
  const pidsBefore = new Map(others.map((service) => [service, service.pid]));

  const conversations = await Promise.all(
    Array.from({ length: clients }, () => newConversation(stack, key.secret)),
  );
  const turns: SeenTurn[] = [];
  const running = new Map<string, { streamed: boolean }>();
  let loading = true;
  let sequence = 0;
  const loops = conversations.map(async (conversationId) => {
    while (loading) {
      const requestId = `chaos-${round}-${++sequence}`;
      const state = { streamed: false };
      running.set(requestId, state);
      const seen = await streamTurn(
        client,
        { conversationId, requestId, model: options.model, maxTokens },
        () => (state.streamed = true),
      );
      running.delete(requestId);
      turns.push(seen);
      // A client backs off after a failure rather than hammering a recovering service.
      if (seen.kind !== 'completed') await sleep(500);
    }
  });

  // Break once every client's turn streams text (or, on a slow machine, at least one after 30 s).
  const armedUntil = Date.now() + 30_000;
  for (;;) {
    const streaming = [...running.values()].filter((state) => state.streamed).length;
    if (streaming >= clients || (streaming > 0 && Date.now() > armedUntil)) break;
    if (Date.now() > armedUntil + 60_000) throw new Error('no turn streamed text within 90 s');
    await sleep(20);
  }
  await sleep(options.killAfterTextMs ?? 0);
  const inFlightIds = new Set(running.keys());
  await fault.inject();
  const brokenAt = Date.now();
  // A new stateless turn begun while the component is away (the loops may all still be streaming).
  const whileDown = streamTurn(client, {
    conversationId: '',
    requestId: `chaos-${round}-down`,
    model: options.model,
    maxTokens: 8,
  }).then((seen) => turns.push(seen));
  // A crashed component stays away for a moment, as a pod does before its restart; a hung one hangs.
  await sleep(fault.downMs);
  await fault.recover();
  const readyAt = Date.now();

  // Recovery: the first new turn (a fresh conversation, short answer) that completes.
  let probeConversation: string | undefined;
  let recoverS = Number.NaN;
  for (let attempt = 0; Date.now() - readyAt < 90_000; attempt++) {
    probeConversation ??= await newConversation(stack, key.secret).catch(() => undefined);
    if (!probeConversation) {
      await sleep(250);
      continue;
    }
    const probe = await streamTurn(client, {
      conversationId: probeConversation,
      requestId: `chaos-${round}-probe-${attempt}`,
      model: options.model,
      maxTokens: 8,
    });
    turns.push(probe);
    if (probe.kind === 'completed') {
      recoverS = (probe.endedAt - readyAt) / 1000;
      break;
    }
    await sleep(250);
  }
  loading = false;
  await Promise.all([...loops, whileDown]);

  const inFlight = turns.filter((turn) => inFlightIds.has(turn.requestId));
  const during = turns.filter((turn) => turn.startedAt >= brokenAt && turn.startedAt < readyAt);
  const stored = await settledAnswers(stack, inFlight, options.settleMs ?? 120_000);
  const { doubled, lost, usageEvents } = await charges(usage, key.tenantId, turns, `chaos-${round}-`);
  const storedShort = inFlight
    .filter((turn) => turn.kind === 'completed')
    .filter((turn) => {
      const answer = stored.find((candidate) => candidate.requestId === turn.requestId);
      return answer?.status !== 'complete' || answer.contentChars !== turn.text;
    })
    .map((turn) => turn.requestId);
  const othersRestarted = others
    .filter((service) => !service.running || service.pid !== pidsBefore.get(service))
    .map((service) => service.app);
  return {
    app: fault.label,
    inFlight,
    turns,
    during,
    stored,
    storedShort,
    doubled,
    lost,
    usageEvents,
    recoverS,
    othersRestarted,
  };
}

/** The in-flight turns' stored answers once none is `streaming` (or as they are at the deadline). */
async function settledAnswers(
  stack: Stack,
  inFlight: SeenTurn[],
  settleMs: number,
): Promise<FaultRound['stored']> {
  const requestIds = inFlight.map((turn) => turn.requestId);
  const until = Date.now() + settleMs;
  for (;;) {
    const rows = await stack.db.prisma.message.findMany({
      where: { answerForRequestId: { in: requestIds } },
      select: { answerForRequestId: true, status: true, content: true },
    });
    if (rows.every((row) => row.status !== 'streaming') || Date.now() > until) {
      return requestIds.map((requestId) => {
        const row = rows.find((candidate) => candidate.answerForRequestId === requestId);
        const content = (row?.content as { content?: unknown } | undefined)?.content;
        return {
          requestId,
          status: row?.status ?? 'missing',
          contentChars: typeof content === 'string' ? content.length : 0,
        };
      });
    }
    await sleep(500);
  }
}

/**
 * Usage events by request id once a sentinel turn's event arrived (events are keyed by tenant, so the
 * round's own events precede it): doubled ids and completed turns without one.
 */
async function charges(
  usage: UsageEvents,
  tenantId: string,
  turns: SeenTurn[],
  prefix: string,
): Promise<{ doubled: string[]; lost: string[]; usageEvents: number }> {
  const sentinel = turns.filter((turn) => turn.kind === 'completed').at(-1)?.requestId;
  const until = Date.now() + 30_000;
  const ofRound = () =>
    usage.forTenant(tenantId).filter((event) => event.payload.requestId.startsWith(prefix));
  while (
    sentinel &&
    !ofRound().some((event) => turnOf(event.payload.requestId) === sentinel) &&
    Date.now() < until
  ) {
    await sleep(200);
  }
  // Each model call is metered under its own id (`<turn>:r<n>`): more than one event per call is a
  // double charge; a completed turn without any is a lost one.
  const perCall = new Map<string, number>();
  for (const event of ofRound())
    perCall.set(event.payload.requestId, (perCall.get(event.payload.requestId) ?? 0) + 1);
  const chargedTurns = new Set([...perCall.keys()].map(turnOf));
  return {
    doubled: [...perCall].filter(([, count]) => count > 1).map(([requestId]) => requestId),
    lost: turns
      .filter((turn) => turn.kind === 'completed' && !chargedTurns.has(turn.requestId))
      .map((turn) => turn.requestId),
    usageEvents: ofRound().length,
  };
}

/** The turn's request id of a model call's (the orchestrator meters call n of turn t as `t:rn`). */
const turnOf = (callRequestId: string) => callRequestId.replace(/:r\d+$/, '');

/**
 * What broke in a round, one line each (empty: every invariant held): no turn in flight, a client in
 * flight that saw neither a completion nor an error code (a dropped connection counts, unless the BFF
 * itself was broken: nobody is left to send the event), an answer left `streaming` or never stored,
 * a whole answer read but not stored whole, a charge lost or doubled, no recovery, or another platform
 * process restarted.
 */
export function brokenInvariants(round: FaultRound): string[] {
  const problems: string[] = [];
  if (round.inFlight.length === 0) problems.push('no turn was in flight');
  for (const turn of round.inFlight)
    if (
      (turn.kind === 'dropped' && !round.app.startsWith('bff')) ||
      (turn.kind === 'error_event' && !turn.code)
    )
      problems.push(`${turn.requestId}: ${turn.kind} without an error code`);
  for (const answer of round.stored)
    if (answer.status === 'streaming' || answer.status === 'missing')
      problems.push(`${answer.requestId}: answer ${answer.status}`);
  if (round.storedShort.length > 0)
    problems.push(`whole answers read but not stored whole: ${round.storedShort.join(', ')}`);
  if (round.lost.length > 0) problems.push(`charges lost: ${round.lost.join(', ')}`);
  if (round.doubled.length > 0) problems.push(`charges doubled: ${round.doubled.join(', ')}`);
  if (Number.isNaN(round.recoverS)) problems.push('no new turn succeeded within 90 s');
  if (round.othersRestarted.length > 0)
    problems.push(`others restarted: ${round.othersRestarted.join(', ')}`);
  return problems;
}

/** One markdown row per round (see the table's header in FAULT_TABLE_HEADER). */
function outcome(turn: SeenTurn): string {
  return turn.kind === 'completed'
    ? 'completed'
    : turn.kind === 'error_event'
      ? `error event \`${turn.code ?? '?'}\``
      : turn.kind === 'http_error'
        ? `HTTP ${turn.status}${turn.code ? ` \`${turn.code}\`` : ''}${turn.retryAfter ? ` Retry-After ${turn.retryAfter}` : ''}`
        : 'dropped';
}

/** Distinct outcomes with their counts, e.g. `HTTP 503 ×4, completed ×1`. */
function tally(turns: SeenTurn[]): string {
  const counts = new Map<string, number>();
  for (const turn of turns) counts.set(outcome(turn), (counts.get(outcome(turn)) ?? 0) + 1);
  return [...counts].map(([seen, count]) => `${seen} ×${count}`).join(', ');
}

export function faultRow(round: FaultRound): string {
  const seen = round.inFlight.map(outcome).join(', ');
  const stored = round.stored.map((answer) => `${answer.status} (${answer.contentChars} chars)`).join(', ');
  const completed = round.turns.filter((turn) => turn.kind === 'completed').length;
  return `| ${round.app} | ${seen || 'none'} | ${stored || 'none'} | ${tally(round.during) || 'none'} | ${completed} / ${round.turns.length} | ${round.usageEvents} | ${round.lost.length} | ${round.doubled.length} | ${Number.isNaN(round.recoverS) ? 'never' : round.recoverS.toFixed(1)} | ${round.othersRestarted.join(', ') || 'none'} |`;
}

export const FAULT_TABLE_HEADER = [
  '| fault | in-flight clients saw | their stored answers | turns begun during the fault saw | turns completed / run | usage events | charges lost | charges doubled | recovery s | other processes restarted |',
  '|---|---|---|---|---:|---:|---:|---:|---:|---|',
].join('\n');
