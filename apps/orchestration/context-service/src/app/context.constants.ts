// Injection tokens of the context service's Nest module.
export const CONTEXT_RUNTIME = Symbol('CONTEXT_RUNTIME');
