// Injection tokens of the orchestrator's Nest module.
export const TURN_SERVICE = Symbol('TURN_SERVICE');
export const CONVERSATION_MESSAGES = Symbol('CONVERSATION_MESSAGES');
