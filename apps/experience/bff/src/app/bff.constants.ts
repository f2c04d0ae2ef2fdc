// Injection tokens of the BFF's Nest module.
export const BFF_RUNTIME = Symbol('BFF_RUNTIME');
export const AUTHENTICATOR = Symbol('AUTHENTICATOR');
export const RATE_LIMITER = Symbol('RATE_LIMITER');
export const MODELS_SERVICE = Symbol('MODELS_SERVICE');
export const CHAT_SERVICE = Symbol('CHAT_SERVICE');
export const CONVERSATIONS_SERVICE = Symbol('CONVERSATIONS_SERVICE');
export const MEMORY_SERVICE = Symbol('MEMORY_SERVICE');
export const USAGE_SERVICE = Symbol('USAGE_SERVICE');
export const RESPONSES_SERVICE = Symbol('RESPONSES_SERVICE');
