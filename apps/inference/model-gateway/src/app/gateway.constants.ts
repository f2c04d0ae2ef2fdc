// Injection tokens of the gateway's Nest module.
export const GENERATION_SERVICE = Symbol('GENERATION_SERVICE');
export const MODEL_CATALOG_SERVICE = Symbol('MODEL_CATALOG_SERVICE');
export const GATEWAY_RUNTIME = Symbol('GATEWAY_RUNTIME');
