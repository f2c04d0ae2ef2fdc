// The harness's suites, in report order; each factory builds a fresh suite (its own per-run state).
import type { Suite, SuiteName } from '../eval.types';
import { groundedSuite } from './grounded.suite';
import { memorySuite } from './memory.suite';
import { safetySuite } from './safety.suite';
import { structuredSuite } from './structured.suite';
import { toolsSuite } from './tools.suite';

export const SUITES: Readonly<Record<SuiteName, () => Suite>> = {
  grounded: groundedSuite as () => Suite,
  structured: structuredSuite as () => Suite,
  tools: toolsSuite as () => Suite,
  memory: memorySuite as () => Suite,
  safety: safetySuite as () => Suite,
};
