// Owns a service's orderly shutdown: steps are registered as resources come up and run in reverse
// (the last thing started stops first); a failing step is logged and the others still run.
import type { Logger } from './logger.factory';

export type ShutdownStep = () => Promise<void> | void;

export class ShutdownSteps {
  private readonly steps: ShutdownStep[] = [];

  push(step: ShutdownStep): void {
    this.steps.push(step);
  }

  /** Runs and forgets every registered step, newest first. */
  async runAll(logger: Logger, failureMessage: string): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop() as ShutdownStep;
      try {
        await step();
      } catch (error) {
        logger.warn({ err: error }, failureMessage);
      }
    }
  }
}
