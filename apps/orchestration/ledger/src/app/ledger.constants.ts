// Injection tokens of the ledger's Nest module.
export const LEDGER_OPTIONS = Symbol('LEDGER_OPTIONS');
