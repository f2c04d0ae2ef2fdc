// Scripted services for the edge specs: a tool runner whose tool name picks a behaviour (answer, a
// domain error, a crash, a flaky UNAVAILABLE, a slow call, a call to an upstream), a worker whose
// Generate streams two messages or fails after the first, and a safety service echoing its stream.
// The behaviours exercise the library, not a real service.
import { commonV1, inferenceV1, safetyV1, toolsV1 } from '@hearth/contracts';

import type { Metadata, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { trace } from '@opentelemetry/api';
import { map, Observable } from 'rxjs';

import {
  deadlineOf,
  GrpcError,
  notFound,
  REQUEST_ID_KEY,
  resourceExhausted,
  unavailable,
  type GrpcClient,
} from '../../src';

export const SELF_CLIENT = Symbol('SELF_CLIENT');

export type ToolRunnerClient = GrpcClient<typeof toolsV1.ToolRunnerServiceDefinition>;

/** What the scripted services saw, for assertions. */
export class Observations {
  readonly attempts = new Map<string, number>();
  readonly deadlines = new Map<string, number | undefined>();
  readonly generateRequests: inferenceV1.GenerateRequest[] = [];

  attempt(callId: string): number {
    const n = (this.attempts.get(callId) ?? 0) + 1;
    this.attempts.set(callId, n);
    return n;
  }
}

function execution(callId: string, resultJson: string): toolsV1.ExecuteToolResponse {
  return {
    execution: {
      callId,
      name: 'scripted',
      status: toolsV1.ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED,
      resultJson,
      confirmationPrompt: '',
      attempts: 1,
      replayed: false,
    },
  };
}

@Controller()
@toolsV1.ToolRunnerServiceControllerMethods()
export class ScriptedToolRunnerController implements toolsV1.ToolRunnerServiceController {
  constructor(
    @Inject(Observations) private readonly seen: Observations,
    @Inject(SELF_CLIENT) private readonly self: ToolRunnerClient,
  ) {}

  listTools(): toolsV1.ListToolsResponse {
    return { tools: [] };
  }

  async executeTool(
    request: toolsV1.ExecuteToolRequest,
    metadata?: Metadata,
    call?: ServerUnaryCall<unknown, unknown>,
  ): Promise<toolsV1.ExecuteToolResponse> {
    const attempt = this.seen.attempt(request.callId);
    this.seen.deadlines.set(request.callId, deadlineOf(call));
    switch (request.name) {
      case 'echo':
        return execution(
          request.callId,
          JSON.stringify({
            arguments: request.argumentsJson,
            deadlineIsDate: request.deadline instanceof Date,
            deadline: request.deadline?.toISOString() ?? null,
            requestId: metadata?.get(REQUEST_ID_KEY)[0] ?? null,
            idempotencyKey: metadata?.get('idempotency-key')[0] ?? null,
            traceparent: metadata?.get('traceparent')[0] ?? null,
            activeSpanId: trace.getActiveSpan()?.spanContext().spanId ?? null,
          }),
        );
      case 'not-found':
        throw notFound('FILE_NOT_FOUND', `file "${request.argumentsJson}" not found`, {
          fileId: request.argumentsJson,
        });
      case 'quota':
        throw resourceExhausted(
          'QUOTA_EXCEEDED',
          'token quota exceeded',
          { window: 'minute' },
          {
            retryAfterMs: 1_500,
            trailers: { 'quota-reset-at': '2026-01-01T00:01:00.000Z' },
          },
        );
      case 'crash':
        throw new Error('database password is hunter2');
      case 'rpc-exception':
        throw new RpcException({ code: status.FAILED_PRECONDITION, message: 'not now' });
      case 'flaky':
        if (attempt < 3) throw unavailable('draining; retry elsewhere');
        return execution(request.callId, JSON.stringify({ attempt }));
      case 'internal':
        throw new GrpcError(status.INTERNAL, 'BROKEN', 'broken on purpose');
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        return execution(request.callId, '{}');
      case 'forward':
        // Calls this same service with the tool named in the arguments; its errors escape unhandled.
        return this.self.executeTool({
          ...request,
          callId: `${request.callId}-up`,
          name: request.argumentsJson,
        });
      default:
        throw new Error(`no script for ${request.name}`);
    }
  }

  resolveConfirmation(): toolsV1.ResolveConfirmationResponse {
    return { execution: null };
  }
}

const EMPTY_DELTA: Omit<inferenceV1.GenerateResponse, 'text'> = {
  tokenIds: [],
  toolCallDeltas: [],
  finishReason: commonV1.FinishReason.FINISH_REASON_UNSPECIFIED,
};

@Controller()
@inferenceV1.InferenceWorkerServiceControllerMethods()
export class ScriptedWorkerController implements inferenceV1.InferenceWorkerServiceController {
  constructor(@Inject(Observations) private readonly seen: Observations) {}

  generate(
    request: inferenceV1.GenerateRequest,
    _metadata?: Metadata,
    call?: ServerWritableStream<unknown, unknown>,
  ): Observable<inferenceV1.GenerateResponse> {
    this.seen.generateRequests.push(request);
    this.seen.deadlines.set(request.requestId, deadlineOf(call));
    return new Observable((subscriber) => {
      subscriber.next({ ...EMPTY_DELTA, text: 'Hel' });
      if (request.prompt === 'fail') {
        subscriber.error(
          resourceExhausted('QUEUE_FULL', 'the queue is full', { depth: '8' }, { retryAfterMs: 200 }),
        );
        return;
      }
      subscriber.next({ ...EMPTY_DELTA, text: 'lo', finishReason: commonV1.FinishReason.FINISH_REASON_STOP });
      subscriber.complete();
    });
  }

  tokenize(): inferenceV1.TokenizeResponse {
    return { tokenIds: [], tokenCount: 0 };
  }

  embed(): inferenceV1.EmbedResponse {
    return { embeddings: [], usage: null };
  }

  stats(): inferenceV1.StatsResponse {
    throw new Error('not scripted');
  }
}

@Controller()
@safetyV1.SafetyServiceControllerMethods()
export class ScriptedSafetyController implements safetyV1.SafetyServiceController {
  checkInput(): safetyV1.CheckInputResponse {
    throw new Error('not scripted');
  }

  checkOutput(): safetyV1.CheckOutputResponse {
    throw new Error('not scripted');
  }

  checkOutputStream(
    requests: Observable<safetyV1.CheckOutputStreamRequest>,
  ): Observable<safetyV1.CheckOutputStreamResponse> {
    return requests.pipe(
      map((request) => ({
        decision: commonV1.SafetyDecision.SAFETY_DECISION_ALLOWED,
        findings: [],
        policyVersion: 'v1',
        releasedText: request.delta ?? '',
        stop: false,
        placeholders: [],
        refusalMessage: '',
      })),
    );
  }
}
