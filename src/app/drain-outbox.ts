import type { Telemetry } from '../telemetry/index.js';

export interface DrainTiming {
  /** How long one sync event may wait for batches that are due later. */
  budgetMs: number;
  /** How often it looks again while it waits. */
  recheckMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Flushes until the outbox is empty. Batches that are due later (a retry backoff, a Retry-After pause,
 * a dead page's unload lease) are waited for within `budgetMs`; past that it rejects, so the browser
 * fires the Background Sync again later instead of believing the outbox was delivered.
 */
export async function drainUntilEmpty(
  client: Pick<Telemetry, 'flush' | 'status'>,
  {
    budgetMs,
    recheckMs,
    now = Date.now,
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  }: DrainTiming,
): Promise<void> {
  const giveUpAt = now() + budgetMs;
  for (;;) {
    await client.flush();
    const { queued, lastError, enabled } = client.status();
    if (queued === 0 || !enabled) return;
    if (now() + recheckMs > giveUpAt) {
      throw new Error(`telemetry outbox not drained (${queued} events left): ${lastError ?? 'due later'}`);
    }
    await sleep(recheckMs);
  }
}
