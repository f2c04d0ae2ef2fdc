// Owns the set of registered tools and their compiled argument validators. Names are checked and
// schemas compiled once at start-up (a bad declaration stops the service); validation errors are
// turned into one short message the model can use to correct its arguments.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

import type { AnyToolDeclaration } from './tool.model';

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_ERRORS_SHOWN = 5;

export type ArgumentCheck = { ok: true; args: unknown } | { ok: false; message: string };

interface Entry {
  tool: AnyToolDeclaration;
  validate: ValidateFunction;
}

export class ToolRegistry {
  private readonly entries = new Map<string, Entry>();
  // allErrors: the model gets every problem at once instead of one per round trip.
  private readonly ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true });

  constructor(tools: readonly AnyToolDeclaration[]) {
    for (const tool of tools) {
      if (!TOOL_NAME.test(tool.name)) throw new Error(`tool name "${tool.name}" must match ${TOOL_NAME}`);
      if (this.entries.has(tool.name)) throw new Error(`tool "${tool.name}" is registered twice`);
      if (tool.sideEffect !== 'read' && tool.maxAttempts > 1) {
        throw new Error(`tool "${tool.name}" has side effects and may not be retried`);
      }
      if (tool.sideEffect === 'dangerous' && !tool.requiresConfirmation) {
        throw new Error(`dangerous tool "${tool.name}" must require confirmation`);
      }
      this.entries.set(tool.name, { tool, validate: this.ajv.compile(tool.parameters) });
    }
  }

  get(name: string): AnyToolDeclaration | undefined {
    return this.entries.get(name)?.tool;
  }

  /** All tools, sorted by name. */
  list(): AnyToolDeclaration[] {
    return [...this.entries.values()].map((e) => e.tool).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Parses JSON text and validates it (defaults applied) against the tool's schema. */
  checkArguments(name: string, argumentsJson: string): ArgumentCheck {
    const entry = this.entries.get(name);
    if (!entry) return { ok: false, message: `unknown tool "${name}"` };
    let args: unknown;
    try {
      args = argumentsJson.trim() === '' ? {} : JSON.parse(argumentsJson);
    } catch (error) {
      return { ok: false, message: `arguments are not valid JSON: ${(error as Error).message}` };
    }
    if (entry.validate(args)) return { ok: true, args };
    return { ok: false, message: describeErrors(entry.validate.errors ?? []) };
  }
}

function describeErrors(errors: readonly ErrorObject[]): string {
  const lines = errors.slice(0, MAX_ERRORS_SHOWN).map((e) => {
    const where = e.instancePath === '' ? 'arguments' : `arguments${e.instancePath.replaceAll('/', '.')}`;
    const extra =
      e.keyword === 'additionalProperties'
        ? ` ("${(e.params as { additionalProperty: string }).additionalProperty}")`
        : e.keyword === 'enum'
          ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})`
          : '';
    return `${where} ${e.message ?? 'is invalid'}${extra}`;
  });
  const more = errors.length > MAX_ERRORS_SHOWN ? `; and ${errors.length - MAX_ERRORS_SHOWN} more` : '';
  return `invalid arguments: ${lines.join('; ')}${more}`;
}
