// Owns reading tool calls back out of streamed text when tool_choice is auto: the chat template told
// the model to write `<prefix>name<paramsPrefix>{json}<suffix>` (node-llama-cpp's default syntax is
// `||call: name({...})`). Text before a call streams through; text that might be the start of the
// call prefix is held back until it is clearly not; a call is complete once its JSON arguments parse
// and the suffix follows. Something that starts like a call but names no offered tool, or never
// completes, is returned as ordinary text.
import type { FunctionCallSyntax } from '../engine/generation.types';

export interface ParsedToolCall {
  readonly name: string;
  readonly argumentsJson: string;
}

export interface ParseStep {
  /** Text safe to send now. */
  readonly text: string;
  /** A complete call, when one was found (the caller stops generating then). */
  readonly call?: ParsedToolCall;
}

export class ToolCallTextParser {
  private readonly marker: string;
  private pending = '';
  private inCall = false;

  constructor(
    private readonly syntax: FunctionCallSyntax,
    private readonly toolNames: ReadonlySet<string>,
  ) {
    // The prefix without its trailing space: models often write "||call:name(...)".
    this.marker = syntax.prefix.trimEnd();
  }

  push(text: string): ParseStep {
    this.pending += text;
    if (!this.inCall) {
      const at = this.pending.indexOf(this.marker);
      if (at === -1) {
        const keep = heldBack(this.pending, this.marker);
        const safe = this.pending.slice(0, this.pending.length - keep);
        this.pending = this.pending.slice(safe.length);
        return { text: safe };
      }
      const before = this.pending.slice(0, at);
      this.pending = this.pending.slice(at);
      this.inCall = true;
      const step = this.tryCall();
      return { text: before + step.text, call: step.call };
    }
    return this.tryCall();
  }

  /** The end of the output: whatever is held back is text after all. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }

  private tryCall(): ParseStep {
    const body = this.pending.slice(this.marker.length).trimStart();
    const paramsAt = body.indexOf(this.syntax.paramsPrefix);
    if (paramsAt === -1) return { text: '' };
    const name = body.slice(0, paramsAt).trim();
    if (!this.toolNames.has(name)) {
      // Not a call of an offered tool: give the text back and keep reading.
      this.inCall = false;
      const text = this.pending;
      this.pending = '';
      return { text };
    }
    const params = body.slice(paramsAt + this.syntax.paramsPrefix.length);
    for (
      let end = params.indexOf(this.syntax.suffix);
      end !== -1;
      end = params.indexOf(this.syntax.suffix, end + 1)
    ) {
      const json = params.slice(0, end).trim();
      const args = json === '' ? {} : tryParse(json);
      if (args !== undefined && typeof args === 'object' && args !== null && !Array.isArray(args)) {
        this.pending = '';
        this.inCall = false;
        return { text: '', call: { name, argumentsJson: JSON.stringify(args) } };
      }
    }
    return { text: '' };
  }
}

/** Length of the longest end of `text` that is a start of `marker` (it may still become the marker). */
function heldBack(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--)
    if (marker.startsWith(text.slice(text.length - n))) return n;
  return 0;
}

function tryParse(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
