// Waiting on the dashboard page by its events, never by a clock: the page fires `gradstream:change`
// whenever what it shows changes (rows drawn, a run's news, charts rebuilt, smoothing redrawn).
import type { Page } from 'playwright-core';

/**
 * Resolves with `probe()` once `done` accepts it, probing now and after each change of the page. The
 * listener is registered before each probe, so a change between the probe and the wait is not missed.
 * A reload in the middle (the page's context replaced) just probes again on the new page.
 */
export async function whenPage<T>(page: Page, probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const change = page
      .evaluate(() => new Promise<void>((resolve) => window.addEventListener('gradstream:change', () => resolve(), { once: true })))
      .catch(() => undefined);
    let value: T;
    try {
      value = await probe();
    } catch (error) {
      // The page navigated away under the probe (a reload): wait for the new one to be ready, then probe it.
      if (!/context was destroyed|navigat/i.test(String(error))) throw error;
      await page.waitForLoadState('load');
      continue;
    }
    if (done(value)) return value;
    await change;
  }
}
