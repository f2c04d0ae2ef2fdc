// Injection tokens of the tool runner's Nest module.
export const TOOL_CALL_SERVICE = Symbol('TOOL_CALL_SERVICE');
export const TOOL_RUNNER_RUNTIME = Symbol('TOOL_RUNNER_RUNTIME');
