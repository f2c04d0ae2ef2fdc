// Injection tokens of the orchestrator's Nest module.
export const TURN_SERVICE = Symbol('TURN_SERVICE');
