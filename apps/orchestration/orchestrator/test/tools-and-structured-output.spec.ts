// Tool calls and structured output end to end, one stack (a real tool runner process included). The
// tiny model's scripted reply is the tail of an `{"expression": "..."}` object (`6*7"}` closes the
// JSON string and object), so a forced tool choice or a json_schema grammar gives a deterministic,
// valid object every time. Server tools: the round trip (events + trace), the round limit, a tool the
// caller may not use, a confirm tool approved and rejected through the tool runner's
// ResolveConfirmation (what the BFF's approve/reject endpoints call). Client tools: tool_call events,
// the stored assistant tool_calls, the next request's tool result reaching the model. Structured
// output: a valid object, and the retry path through a `pattern` the grammar cannot enforce.
import { randomUUID } from 'node:crypto';

import { commonV1, orchestratorV1, toolsV1 } from '@hearth/contracts';
import { createGrpcClient } from '@hearth/grpc';
import { waitFor } from '@hearth/testing';

import { status } from '@grpc/grpc-js';

import type { ToolRunnerClient } from '../src/clients/upstream.clients';
import {
  collect,
  startOrchestratorStack,
  userMessage,
  type OrchestratorStack,
  type Tenant,
  type TurnOutcome,
} from './support/orchestrator.fixture';

jest.setTimeout(120_000);

const { ToolProgressStage } = orchestratorV1;
const FORCE_CALCULATOR: commonV1.ToolChoice = {
  mode: commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_FORCED,
  name: 'calculator',
  disableParallelCalls: false,
};
const CONFIRM_TENANT = randomUUID();
const NO_CALCULATOR_TENANT = randomUUID();

function progress(outcome: TurnOutcome): [string, orchestratorV1.ToolProgressStage, number][] {
  return outcome.events
    .map((event) => event.toolProgress)
    .filter((p): p is orchestratorV1.ToolProgress => !!p)
    .map((p) => [p.toolName, p.stage, p.round]);
}

describe('OrchestratorService.RunTurn with tools and response formats', () => {
  let stack: OrchestratorStack;
  let tenant: Tenant;
  let tools: ToolRunnerClient;

  beforeAll(async () => {
    stack = await startOrchestratorStack({
      reply: '6*7"}',
      contextSize: 2048,
      toolPolicy: {
        version: 1,
        tenants: {
          default: { allow: ['calculator'] },
          [CONFIRM_TENANT]: { allow: ['calculator'], confirm: ['calculator'] },
          [NO_CALCULATOR_TENANT]: { allow: ['run_javascript'] },
        },
      },
    });
    tenant = await stack.newTenant();
    tools = createGrpcClient(toolsV1.ToolRunnerServiceDefinition, {
      address: stack.toolRunner?.address ?? '',
    });
  });

  afterAll(async () => {
    tools?.close();
    await stack?.stop();
  });

  const calculatorTurn = (
    caller: Tenant,
    conversationId: string,
    extra: Partial<orchestratorV1.RunTurnRequest> = {},
  ) => ({
    requestId: randomUUID(),
    caller: caller.caller,
    conversationId,
    messages: [userMessage('What is six times seven?')],
    serverToolNames: ['calculator'],
    toolChoice: FORCE_CALCULATOR,
    maxToolRounds: 1,
    sampling: { temperature: 0, stop: [], maxTokens: 24 },
    ...extra,
  });

  describe('server tools', () => {
    it('runs a forced calculator call in the tool runner and feeds the result back to the model', async () => {
      const conversationId = await stack.newConversation(tenant);
      const request = calculatorTurn(tenant, conversationId);

      const outcome = await stack.runTurn(request);

      expect(outcome.failure).toBeUndefined();
      expect(progress(outcome)).toEqual([
        ['calculator', ToolProgressStage.TOOL_PROGRESS_STAGE_STARTED, 1],
        ['calculator', ToolProgressStage.TOOL_PROGRESS_STAGE_SUCCEEDED, 1],
      ]);
      expect(outcome.events.some((event) => event.toolCall)).toBe(false); // server calls are not the client's
      expect(outcome.finish?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_STOP);
      const { trace } = await stack.getTurnTrace({
        caller: tenant.caller,
        requestId: request.requestId,
      });
      const [first, second] = trace?.rounds ?? [];
      expect(trace?.rounds).toHaveLength(2);
      expect(first?.toolCalls).toEqual([
        expect.objectContaining({ name: 'calculator', argumentsJson: expect.stringContaining('"6*7"') }),
      ]);
      expect(first?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_TOOL_CALLS);
      expect(trace?.toolExecutions).toEqual([
        expect.objectContaining({
          toolCallId: first?.toolCalls[0]?.id,
          toolName: 'calculator',
          stage: ToolProgressStage.TOOL_PROGRESS_STAGE_SUCCEEDED,
          attempts: 1,
        }),
      ]);
      const toolMessage = second?.prompt.find((item) => item.message?.role === commonV1.Role.ROLE_TOOL);
      expect(toolMessage?.message?.toolCallId).toBe(first?.toolCalls[0]?.id);
      expect(toolMessage?.message?.content[0]?.text).toContain('42');
      expect(toolMessage?.provenance?.trust).toBe(commonV1.TrustLevel.TRUST_LEVEL_UNTRUSTED);

      // The same request again is a replay: the tool runner's row is not run (or written) a second time.
      const replay = await stack.runTurn(request);
      expect(replay.started?.replayed).toBe(true);
      const rows = await stack.prisma.toolCall.findMany({ where: { requestId: request.requestId } });
      expect(rows.map((row) => [row.status, row.idempotencyKey])).toEqual([
        ['succeeded', `${tenant.tenantId}/${request.requestId}:${first?.toolCalls[0]?.id}`],
      ]);
    });

    it('stops at the round limit when every round forces a tool, with an answer and finish STOP', async () => {
      const conversationId = await stack.newConversation(tenant);
      const request = calculatorTurn(tenant, conversationId, { maxToolRounds: 2 });

      const outcome = await stack.runTurn(request);

      expect(outcome.failure).toBeUndefined();
      expect(
        progress(outcome).filter(([, stage]) => stage !== ToolProgressStage.TOOL_PROGRESS_STAGE_STARTED),
      ).toEqual([
        ['calculator', ToolProgressStage.TOOL_PROGRESS_STAGE_SUCCEEDED, 1],
        ['calculator', ToolProgressStage.TOOL_PROGRESS_STAGE_SUCCEEDED, 2],
      ]);
      expect(outcome.finish?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_STOP);
      expect(outcome.text).not.toBe('');
      const { trace } = await stack.getTurnTrace({
        caller: tenant.caller,
        requestId: request.requestId,
      });
      expect(trace?.rounds.map((round) => round.finishReason)).toEqual([
        commonV1.FinishReason.FINISH_REASON_TOOL_CALLS,
        commonV1.FinishReason.FINISH_REASON_TOOL_CALLS,
        commonV1.FinishReason.FINISH_REASON_STOP,
      ]);
      const last = trace?.rounds[2];
      expect(last?.toolCalls).toEqual([]);
      expect(last?.prompt[last.prompt.length - 1]?.message?.content[0]?.text).toContain('tool-call limit');
      const answer = await stack.prisma.message.findFirst({
        where: { conversationId, role: 'assistant' },
      });
      expect(answer?.status).toBe('complete');
    });

    it('refuses a server tool the caller may not use, and an invalid name, before anything is stored', async () => {
      const other = await stack.newTenant(NO_CALCULATOR_TENANT);
      const conversationId = await stack.newConversation(other);
      const denied = calculatorTurn(other, conversationId);
      const invalid = calculatorTurn(tenant, await stack.newConversation(tenant), {
        serverToolNames: ['calculator', 'calculator'],
      });

      const [deniedOutcome, invalidOutcome] = await Promise.all([
        stack.runTurn(denied),
        stack.runTurn(invalid),
      ]);

      expect(deniedOutcome.error?.code).toBe(status.PERMISSION_DENIED);
      expect(deniedOutcome.error?.message).toContain('calculator');
      expect(invalidOutcome.error?.code).toBe(status.INVALID_ARGUMENT);
      expect(invalidOutcome.error?.message).toContain('server_tool_names[1]');
      expect(await stack.prisma.turnTrace.count({ where: { requestId: denied.requestId } })).toBe(0);
      expect(await stack.prisma.message.count({ where: { conversationId } })).toBe(0);
    });
    it('answers UNAVAILABLE, not INTERNAL, while the tool runner is down, and serves again once it is back', async () => {
      const conversationId = await stack.newConversation(tenant);
      await stack.toolRunner!.kill();
      try {
        const outcome = await stack.runTurn(calculatorTurn(tenant, conversationId));
        expect(outcome.error?.code).toBe(status.UNAVAILABLE);
        expect(outcome.error?.message).toContain('tool runner');
      } finally {
        await stack.toolRunner!.restart();
      }
      // The orchestrator's channel reconnects with gRPC's backoff (a second or two here).
      const again = await waitFor(
        'a turn with the tool runner back',
        async () => {
          const outcome = await stack.runTurn(calculatorTurn(tenant, conversationId));
          return outcome.error ? undefined : outcome;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(again.finish).toBeDefined();
    });
  });

  describe('server tools that need confirmation', () => {
    let confirmTenant: Tenant;

    beforeAll(async () => {
      confirmTenant = await stack.newTenant(CONFIRM_TENANT);
    });

    /** Runs a turn and answers its confirmation the way the BFF's endpoint does. */
    async function turnWithAnswer(
      decision: toolsV1.ConfirmationDecision,
      reason: string,
    ): Promise<{ outcome: TurnOutcome; requestId: string; answer?: toolsV1.ToolExecution }> {
      const conversationId = await stack.newConversation(confirmTenant);
      const requestId = randomUUID();
      const call = stack.stream(calculatorTurn(confirmTenant, conversationId, { requestId }));
      let answered: Promise<toolsV1.ResolveConfirmationResponse> | undefined;
      call.on('data', (event: orchestratorV1.RunTurnResponse) => {
        const pending = event.toolProgress;
        if (pending?.stage !== ToolProgressStage.TOOL_PROGRESS_STAGE_PENDING_CONFIRMATION) return;
        answered = tools.resolveConfirmation(
          { caller: confirmTenant.caller, callId: pending.toolCallId, decision, reason, deadline: null },
          { timeoutMs: 10_000 },
        );
      });
      const outcome = await collect(call);
      return { outcome, requestId, answer: (await answered)?.execution ?? undefined };
    }

    it('pauses the turn until the call is approved, then runs it and continues', async () => {
      const { outcome, requestId, answer } = await turnWithAnswer(
        toolsV1.ConfirmationDecision.CONFIRMATION_DECISION_APPROVE,
        '',
      );

      expect(answer?.status).toBe(toolsV1.ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED);
      expect(progress(outcome)).toEqual([
        ['calculator', ToolProgressStage.TOOL_PROGRESS_STAGE_STARTED, 1],
        ['calculator', ToolProgressStage.TOOL_PROGRESS_STAGE_PENDING_CONFIRMATION, 1],
        ['calculator', ToolProgressStage.TOOL_PROGRESS_STAGE_SUCCEEDED, 1],
      ]);
      const pending = outcome.events.find(
        (e) => e.toolProgress?.stage === ToolProgressStage.TOOL_PROGRESS_STAGE_PENDING_CONFIRMATION,
      );
      expect(pending?.toolProgress?.message).not.toBe('');
      expect(outcome.finish?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_STOP);
      const { trace } = await stack.getTurnTrace({
        caller: confirmTenant.caller,
        requestId,
      });
      const tool = trace?.rounds[1]?.prompt.find((item) => item.message?.role === commonV1.Role.ROLE_TOOL);
      expect(tool?.message?.content[0]?.text).toContain('42');
    });

    it('tells the model when the user rejects the call, which never runs', async () => {
      const { outcome, requestId, answer } = await turnWithAnswer(
        toolsV1.ConfirmationDecision.CONFIRMATION_DECISION_REJECT,
        'not today',
      );

      expect(answer?.status).toBe(toolsV1.ToolCallStatus.TOOL_CALL_STATUS_REJECTED);
      expect(progress(outcome).map(([, stage]) => stage)).toEqual([
        ToolProgressStage.TOOL_PROGRESS_STAGE_STARTED,
        ToolProgressStage.TOOL_PROGRESS_STAGE_PENDING_CONFIRMATION,
        ToolProgressStage.TOOL_PROGRESS_STAGE_REJECTED,
      ]);
      expect(outcome.finish?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_STOP);
      const { trace } = await stack.getTurnTrace({
        caller: confirmTenant.caller,
        requestId,
      });
      expect(trace?.toolExecutions[0]?.stage).toBe(ToolProgressStage.TOOL_PROGRESS_STAGE_REJECTED);
      const tool = trace?.rounds[1]?.prompt.find((item) => item.message?.role === commonV1.Role.ROLE_TOOL);
      expect(tool?.message?.content[0]?.text).toContain('rejected');
      expect(tool?.message?.content[0]?.text).toContain('not today');
      expect(tool?.message?.content[0]?.text).not.toContain('42');
    });
  });

  describe('client tools', () => {
    const evaluate: commonV1.ToolDefinition = {
      name: 'evaluate',
      description: 'Evaluates an arithmetic expression on the client.',
      parametersJsonSchema: JSON.stringify({
        type: 'object',
        properties: { expression: { type: 'string' } },
        required: ['expression'],
        additionalProperties: false,
      }),
      strict: true,
    };

    it('streams a forced client call, stores it, and the next request continues with its result', async () => {
      const conversationId = await stack.newConversation(tenant);

      const first = await stack.runTurn({
        caller: tenant.caller,
        conversationId,
        messages: [userMessage('What is six times seven?')],
        tools: [evaluate],
        toolChoice: {
          mode: commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_FORCED,
          name: 'evaluate',
          disableParallelCalls: false,
        },
        sampling: { temperature: 0, stop: [], maxTokens: 24 },
      });

      expect(first.failure).toBeUndefined();
      expect(first.finish?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_TOOL_CALLS);
      const deltas = first.events.map((e) => e.toolCall).filter((d): d is commonV1.ToolCallDelta => !!d);
      expect(deltas[0]).toMatchObject({ index: 0, name: 'evaluate', id: expect.stringMatching(/^call_/) });
      const callId = deltas[0]?.id ?? '';
      expect(JSON.parse(deltas.map((d) => d.argumentsFragment).join(''))).toEqual({ expression: '6*7' });
      const stored = await stack.prisma.message.findUnique({
        where: { id: first.started?.assistantMessageId ?? '' },
      });
      expect(stored).toMatchObject({ status: 'complete', finishReason: 'tool_calls' });
      expect(JSON.stringify(stored?.content)).toContain(callId);

      const second = await stack.runTurn({
        caller: tenant.caller,
        conversationId,
        messages: [
          {
            role: commonV1.Role.ROLE_TOOL,
            content: [{ text: '{"value": 42}' }],
            name: '',
            toolCalls: [],
            toolCallId: callId,
          },
        ],
        tools: [evaluate],
        sampling: { temperature: 0, stop: [], maxTokens: 24 },
      });

      expect(second.failure).toBeUndefined();
      expect(second.finish?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_STOP);
      const { trace } = await stack.getTurnTrace({
        caller: tenant.caller,
        turnId: second.started?.turnId,
      });
      const prompt = trace?.rounds[0]?.prompt.map((item) => item.message) ?? [];
      const call = prompt.find((m) => m?.role === commonV1.Role.ROLE_ASSISTANT && m.toolCalls.length > 0);
      expect(call?.toolCalls[0]).toMatchObject({ id: callId, name: 'evaluate' });
      const result = prompt.find((m) => m?.role === commonV1.Role.ROLE_TOOL);
      expect(result).toMatchObject({ toolCallId: callId, content: [{ text: '{"value": 42}' }] });
      const rows = await stack.prisma.message.findMany({
        where: { conversationId },
        orderBy: { seq: 'asc' },
      });
      expect(rows.map((row) => row.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    });

    it('rejects a tool message that answers no call with INVALID_ARGUMENT', async () => {
      const outcome = await stack.runTurn({
        caller: tenant.caller,
        messages: [
          {
            role: commonV1.Role.ROLE_TOOL,
            content: [{ text: '{}' }],
            name: '',
            toolCalls: [],
            toolCallId: '',
          },
        ],
      });

      expect(outcome.error?.code).toBe(status.INVALID_ARGUMENT);
      expect(outcome.error?.message).toContain('tool_call_id');
    });
  });

  describe('structured output', () => {
    const schemaFormat = (schema: object): commonV1.ResponseFormat => ({
      type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
      schemaName: 'calculation',
      schemaJson: JSON.stringify(schema),
      strict: true,
    });

    it('answers json_schema with one content event holding JSON that matches the schema', async () => {
      const schema = {
        type: 'object',
        properties: { expression: { type: 'string' } },
        required: ['expression'],
        additionalProperties: false,
      };

      const outcome = await stack.runTurn({
        caller: tenant.caller,
        messages: [userMessage('Give me the calculation as JSON.')],
        responseFormat: schemaFormat(schema),
        sampling: { temperature: 0, stop: [], maxTokens: 24 },
      });

      expect(outcome.failure).toBeUndefined();
      expect(outcome.events.filter((e) => e.content)).toHaveLength(1);
      expect(JSON.parse(outcome.text)).toEqual({ expression: '6*7' });
      expect(outcome.finish?.finishReason).toBe(commonV1.FinishReason.FINISH_REASON_STOP);
    });

    it('retries once with a corrective instruction, then ends with STRUCTURED_OUTPUT_INVALID', async () => {
      // The worker's grammar enforces the structure but not `pattern`; ajv does. The tiny model writes
      // "6*7" both times, so the retry fails deterministically.
      const schema = {
        type: 'object',
        properties: { expression: { type: 'string', pattern: '^[0-9]+$' } },
        required: ['expression'],
        additionalProperties: false,
      };
      const conversationId = await stack.newConversation(tenant);

      const outcome = await stack.runTurn({
        caller: tenant.caller,
        conversationId,
        messages: [userMessage('Give me the result as JSON.')],
        responseFormat: schemaFormat(schema),
        sampling: { temperature: 0, stop: [], maxTokens: 24 },
      });

      expect(outcome.text).toBe(''); // nothing invalid was released
      expect(outcome.finish).toBeUndefined();
      expect(outcome.failure).toMatchObject({ reason: 'STRUCTURED_OUTPUT_INVALID', partial: false });
      expect(outcome.failure?.message).toContain('/expression must match pattern');
      const { trace } = await stack.getTurnTrace({
        caller: tenant.caller,
        turnId: outcome.started?.turnId,
      });
      expect(trace?.rounds).toHaveLength(2);
      const retryPrompt = trace?.rounds[1]?.prompt ?? [];
      expect(retryPrompt[retryPrompt.length - 1]?.message).toMatchObject({
        role: commonV1.Role.ROLE_SYSTEM,
        content: [{ text: expect.stringContaining('did not match the required JSON format') }],
      });
      const answer = await stack.prisma.message.findUnique({
        where: { id: outcome.started?.assistantMessageId ?? '' },
      });
      expect(answer?.status).toBe('incomplete');
    });
  });
});
