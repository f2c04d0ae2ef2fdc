// Owns reading tool calls out of streamed text as it is generated when tool_choice is auto: the chat
// template told the model to write `<prefix>name<paramsPrefix>{json}<suffix>` (node-llama-cpp's
// default syntax is `||call: name({...})`), one call after another for parallel calls. Text before
// the first call streams through; text that might be the start of the call prefix is held back until
// it is clearly not. A call is committed once the name of an offered tool and the opening of its
// arguments are read: from then on its arguments stream out as fragments, piece by piece, and the
// call is complete when its JSON object closes (braces counted outside strings, so a `)` or `}`
// inside a string never ends it). After a call only further calls may follow: whitespace and the
// suffix are skipped, anything else ends the answer. Something that starts like a call but names no
// offered tool, or whose arguments do not open with `{`, is returned as ordinary text.
import type { FunctionCallSyntax } from '../generation.types';

/** A piece of a call; the first one of a call carries its name. */
export interface CallFragment {
  /** Position of the call within the answer (0-based). */
  readonly index: number;
  /** Set on the call's first fragment. */
  readonly name?: string;
  readonly argumentsFragment: string;
}

export interface ParseStep {
  /** Text safe to send now. */
  readonly text: string;
  /** Call fragments read in this piece, in order. */
  readonly calls: readonly CallFragment[];
}

type State =
  /** Plain text; looking for the marker. */
  | 'text'
  /** After the marker: reading the tool name up to the params prefix. */
  | 'name'
  /** After the params prefix: waiting for the `{` (or the suffix: no arguments). */
  | 'open'
  /** Inside the arguments object. */
  | 'arguments'
  /** After a call: only whitespace, the suffix and further calls may follow. */
  | 'between'
  /** Something other than a call followed a call: the answer is over. */
  | 'ended';

export class ToolCallTextParser {
  private readonly marker: string;
  private state: State = 'text';
  private pending = '';
  private callName = '';
  /** The raw text from the marker through the params prefix of the call being read. */
  private callOpening = '';
  private calls = 0;
  /** The call's suffix may still follow (right after a call's arguments closed). */
  private suffixDue = false;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(
    private readonly syntax: FunctionCallSyntax,
    private readonly toolNames: ReadonlySet<string>,
    /** parallel_tool_calls false: the answer ends with its first call. */
    private readonly maxCalls = Number.POSITIVE_INFINITY,
  ) {
    // The prefix without its trailing space: models often write "||call:name(...)".
    this.marker = syntax.prefix.trimEnd();
  }

  /** Calls committed so far (complete or streaming). */
  get callCount(): number {
    return this.calls;
  }

  /** True while a call's arguments are still open. */
  get inCall(): boolean {
    return this.state === 'open' || this.state === 'arguments';
  }

  /**
   * The tool whose call has just been opened (its params prefix read, nothing after it yet): the
   * next text is its arguments. undefined otherwise.
   */
  get awaitingArgumentsOf(): string | undefined {
    return this.state === 'open' && this.pending.trim() === '' ? this.callName : undefined;
  }

  /** True once nothing more belongs to the answer (non-call text after a call, or maxCalls reached). */
  get ended(): boolean {
    return this.state === 'ended';
  }

  push(piece: string): ParseStep {
    this.pending += piece;
    let text = '';
    const calls: CallFragment[] = [];
    for (;;) {
      const before = this.state;
      const beforePending = this.pending;
      switch (this.state) {
        case 'text':
          text += this.readText();
          break;
        case 'name':
          text += this.readName();
          break;
        case 'open':
          text += this.readOpening(calls);
          break;
        case 'arguments':
          this.readArguments(calls);
          break;
        case 'between':
          this.readBetween();
          break;
        case 'ended':
          this.pending = '';
          break;
      }
      // Each step either changes state or consumes everything it can; stop when neither happened.
      if (this.state === before && this.pending === beforePending) break;
      if (this.pending === '' && this.state !== 'text') break;
    }
    return { text, calls };
  }

  /** The end of the output: what is held back before any call is text after all. */
  flush(): string {
    const rest = this.state === 'text' || this.state === 'name' ? this.pending : '';
    this.pending = '';
    return rest;
  }

  private readText(): string {
    const at = this.pending.indexOf(this.marker);
    if (at === -1) {
      const keep = heldBack(this.pending, this.marker);
      const safe = this.pending.slice(0, this.pending.length - keep);
      this.pending = this.pending.slice(safe.length);
      return safe;
    }
    const before = this.pending.slice(0, at);
    this.pending = this.pending.slice(at);
    this.state = 'name';
    return before;
  }

  /** Returns text given back when this is not a call of an offered tool. */
  private readName(): string {
    const body = this.pending.slice(this.marker.length).trimStart();
    const paramsAt = body.indexOf(this.syntax.paramsPrefix);
    const name = (paramsAt === -1 ? body : body.slice(0, paramsAt)).trim();
    const possible = [...this.toolNames].some((tool) =>
      paramsAt === -1 ? tool.startsWith(name) : tool === name,
    );
    if (!possible) return this.giveBack();
    if (paramsAt === -1) return '';
    this.callName = name;
    const openingLength = this.pending.length - body.length + paramsAt + this.syntax.paramsPrefix.length;
    this.callOpening = this.pending.slice(0, openingLength);
    this.pending = this.pending.slice(openingLength);
    this.state = 'open';
    return '';
  }

  /** Commits the call at its `{` (or its suffix: a call without arguments). */
  private readOpening(calls: CallFragment[]): string {
    const rest = this.pending.trimStart();
    if (rest === '') {
      this.pending = '';
      return '';
    }
    if (rest.startsWith('{')) {
      calls.push({ index: this.calls++, name: this.callName, argumentsFragment: '' });
      this.pending = rest;
      this.state = 'arguments';
      this.depth = 0;
      this.inString = false;
      this.escaped = false;
      return '';
    }
    if (rest.startsWith(this.syntax.suffix)) {
      calls.push({ index: this.calls++, name: this.callName, argumentsFragment: '{}' });
      this.pending = rest.slice(this.syntax.suffix.length);
      this.afterCall(false);
      return '';
    }
    if (this.syntax.suffix.startsWith(rest)) return '';
    // Not a call after all: the marker, name and whatever followed are text.
    this.pending = this.callOpening + this.pending;
    return this.giveBack();
  }

  private readArguments(calls: CallFragment[]): void {
    const index = this.calls - 1;
    for (let i = 0; i < this.pending.length; i++) {
      const c = this.pending[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
      } else if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) {
          calls.push({ index, argumentsFragment: this.pending.slice(0, i + 1) });
          this.pending = this.pending.slice(i + 1);
          this.afterCall(true);
          return;
        }
      }
    }
    if (this.pending !== '') calls.push({ index, argumentsFragment: this.pending });
    this.pending = '';
  }

  private afterCall(suffixDue: boolean): void {
    this.suffixDue = suffixDue;
    this.state = this.calls >= this.maxCalls ? 'ended' : 'between';
  }

  private readBetween(): void {
    let rest = this.pending.trimStart();
    if (this.suffixDue && rest !== '') {
      if (rest.startsWith(this.syntax.suffix)) rest = rest.slice(this.syntax.suffix.length).trimStart();
      else if (this.syntax.suffix.startsWith(rest)) {
        this.pending = rest;
        return;
      }
      this.suffixDue = false;
    }
    if (rest === '' || this.marker.startsWith(rest)) {
      this.pending = rest;
      return;
    }
    if (rest.startsWith(this.marker)) {
      this.pending = rest;
      this.state = 'name';
      return;
    }
    this.pending = '';
    this.state = 'ended';
  }

  /**
   * Not a call: before the first call the marker is text and the rest is read again (it may hold a
   * real call); after a call it ends the answer.
   */
  private giveBack(): string {
    if (this.calls > 0) {
      this.pending = '';
      this.state = 'ended';
      return '';
    }
    const text = this.pending.slice(0, this.marker.length);
    this.pending = this.pending.slice(this.marker.length);
    this.state = 'text';
    return text;
  }
}

/** Length of the longest end of `text` that is a start of `marker` (it may still become the marker). */
function heldBack(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--)
    if (marker.startsWith(text.slice(text.length - n))) return n;
  return 0;
}
