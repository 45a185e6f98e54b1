/**
 * Work answered before it is done (202 Accepted), so neither the status nor the timing of the answer tells what it
 * found. Failures are logged, never thrown; shutdown waits for what is running, within the shutdown budget.
 */
import { type Logger } from '@sightline/observability';
import { IdentityLogCode } from './errors.js';

export class BackgroundWork {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly logger: Logger,
    private readonly failureMessage: string,
  ) {}

  run(work: () => Promise<void>, onSettled?: () => void): void {
    const running = work()
      .catch((err: Error & { code?: string }) => {
        this.logger.error(this.failureMessage, { code: err.code ?? IdentityLogCode.backgroundWorkFailed, error: err.message });
      })
      .finally(() => {
        onSettled?.();
        this.inFlight.delete(running);
      });
    this.inFlight.add(running);
  }

  /** Resolves once everything running has settled, or after `budgetMs` (an SMTP server may hang). */
  async settle(budgetMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise((resolve) => (timer = setTimeout(resolve, budgetMs)));
    await Promise.race([Promise.allSettled([...this.inFlight]), budget]);
    clearTimeout(timer);
  }
}
