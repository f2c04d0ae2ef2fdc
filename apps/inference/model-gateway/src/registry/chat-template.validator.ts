// Owns checking a registry chat template before any worker renders it: it must parse with the Jinja
// engine the workers use (node-llama-cpp renders with @huggingface/jinja), render a probe conversation
// with every message's text in it, and open an assistant turn when add_generation_prompt is set. A
// template that fails here would fail every chat request of its model, so the registry refuses it.
import type * as Jinja from '@huggingface/jinja' with { 'resolution-mode': 'import' };

// The package ships CommonJS too (its "require" export), but its types are ESM-only: load it with a
// synchronous require so zod's refinement can run it, and take the types through the type import.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Template } = require('@huggingface/jinja') as typeof Jinja;

const PROBE = [
  { role: 'user', content: 'probe-user-1' },
  { role: 'assistant', content: 'probe-assistant-1' },
  { role: 'user', content: 'probe-user-2' },
];

/** Problems of one Jinja chat template (empty when it is usable). */
export function chatTemplateProblems(template: string): string[] {
  let compiled: Jinja.Template;
  try {
    compiled = new Template(template);
  } catch (error) {
    return [`is not a valid Jinja template: ${(error as Error).message}`];
  }
  const render = (addGenerationPrompt: boolean): string =>
    compiled.render({
      messages: PROBE,
      add_generation_prompt: addGenerationPrompt,
      bos_token: '<bos>',
      eos_token: '<eos>',
    });
  let open: string;
  let closed: string;
  try {
    open = render(true);
    closed = render(false);
  } catch (error) {
    return [`fails to render a user/assistant/user conversation: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  const missing = PROBE.filter((message) => !open.includes(message.content));
  if (missing.length > 0)
    problems.push(`drops message text (${missing.map((m) => m.role).join(', ')}) from the rendered prompt`);
  if (!(open.length > closed.length && open.startsWith(closed)))
    problems.push('opens no assistant turn when add_generation_prompt is true');
  return problems;
}
