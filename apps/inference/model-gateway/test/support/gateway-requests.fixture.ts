// Request and registry builders shared by the gateway's unit and medium specs.
import { commonV1, gatewayV1 } from '@hearth/contracts';

import { ModelRegistry } from '../../src/registry/model-registry';
import { registryFileSchema } from '../../src/registry/model-registry.schema';

export const TENANT_A = '0b7c2f4e-8f0a-4c1e-9d55-3b0f1d2a4c6e';
export const TENANT_B = '5e2d7a10-3c4b-4f8e-a1d2-7c9b0e6f5a43';
export const KEY_A = '9d1c4e2a-7b3f-4a58-8e6d-1f0c2b3a4d5e';

/** A plain text message of `role`. */
export function chatMessage(role: commonV1.Role, text: string): commonV1.ChatMessage {
  return { role, content: [{ text }], name: '', toolCalls: [], toolCallId: '' };
}

export function userMessage(text: string): commonV1.ChatMessage {
  return chatMessage(commonV1.Role.ROLE_USER, text);
}

export function generateRequest(
  overrides: Partial<gatewayV1.GenerateRequest> = {},
): gatewayV1.GenerateRequest {
  return {
    caller: { tenantId: TENANT_A, apiKeyId: KEY_A, userId: '' },
    requestId: 'req-1',
    model: 'fast',
    messages: [userMessage('Say hello')],
    prompt: '',
    sampling: { temperature: 0, stop: [], maxTokens: 16 },
    responseFormat: null,
    tools: [],
    toolChoice: null,
    priority: commonV1.PriorityTier.PRIORITY_TIER_UNSPECIFIED,
    cacheSalt: '',
    deadline: null,
    bypassCache: false,
    ...overrides,
  };
}

/** A registry straight from a file-shaped object (validated like a loaded file). */
export function registryOf(file: unknown): ModelRegistry {
  return new ModelRegistry(registryFileSchema.parse(file), 'test');
}

export function modelEntry(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    tier: 'cpu-small',
    sha256: 'c'.repeat(64),
    contextLength: 512,
    price: { inputUsdPerMillionTokens: 1, outputUsdPerMillionTokens: 2 },
    workers: { endpoints: ['127.0.0.1:1'] },
    ...overrides,
  };
}
