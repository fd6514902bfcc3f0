// The dashboard page in Chromium, served by serveDashboard in this process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { from } from 'rxjs';
import type { Browser } from 'playwright-core';
import { serveDashboard } from '../../src/dashboard/serveDashboard.js';
import { chromiumPath, launchChromium } from '../support/chromium.js';
import { runEvents } from '../support/events.js';
import { whenPage } from '../support/whenPage.js';

interface PageApi {
  gradstreamDashboard: { points: (dataset?: string, run?: string) => number; runs: () => { name: string; status: string }[]; axis: () => string };
  pwned?: number;
}

describe.skipIf(chromiumPath === undefined)('the dashboard page', () => {
  let browser: Browser;
  beforeAll(async () => (browser = await launchChromium()));
  afterAll(async () => browser?.close());

  it('charts every row of a finished run: one loss point per update, one accuracy point per evaluation', async () => {
    const dashboard = await serveDashboard(from(runEvents(3, 5)), { name: 'done' });
    const page = await browser.newPage();
    try {
      await page.goto(dashboard.url);
      const points = () => page.evaluate(() => (window as unknown as PageApi).gradstreamDashboard.points());
      expect(await whenPage(page, points, (n) => n === 15)).toBe(15);
      expect(await page.evaluate(() => (window as unknown as PageApi).gradstreamDashboard.points('evaluations'))).toBe(3);
    } finally {
      await page.close();
      await dashboard.close();
    }
  });

  it('shows a run name and configuration holding markup as text, and runs none of it', async () => {
    const name = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    const config = { note: '<b id="injected">bold</b><script>window.pwned=3</script>' };
    const dashboard = await serveDashboard(from(runEvents(1, 2)), { name, config });
    const page = await browser.newPage();
    try {
      await page.goto(dashboard.url);
      await whenPage(page, () => page.locator('.run td').count(), (n) => n >= 2);
      expect(await page.locator('.run .name').textContent()).toBe(name);
      expect(await page.locator('.run td').nth(1).textContent()).toBe(config.note);
      expect(await page.locator('#injected').count()).toBe(0);
      expect(await page.locator('.run img, .run script').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as PageApi).pwned)).toBeUndefined();
    } finally {
      await page.close();
      await dashboard.close();
    }
  });

  it('redraws over examples and over wall time, keeping every point', async () => {
    const dashboard = await serveDashboard(from(runEvents(2, 4)), { name: 'axes' });
    const page = await browser.newPage();
    try {
      await page.goto(dashboard.url);
      const points = () => page.evaluate(() => (window as unknown as PageApi).gradstreamDashboard.points());
      await whenPage(page, points, (n) => n === 8);
      for (const axis of ['examplesSeen', 'seconds']) {
        await page.locator(`input[name="x"][value="${axis}"]`).check();
        await whenPage(page, () => page.evaluate(() => (window as unknown as PageApi).gradstreamDashboard.axis()), (x) => x === axis);
        expect(await whenPage(page, points, (n) => n === 8)).toBe(8);
      }
    } finally {
      await page.close();
      await dashboard.close();
    }
  });

  it('smooths the loss as TensorBoard does (a debiased moving average), and redraws it from the slider', async () => {
    const dashboard = await serveDashboard(from(runEvents(1, 6)), { name: 'smooth' });
    const page = await browser.newPage();
    try {
      await page.goto(dashboard.url);
      await whenPage(page, () => page.evaluate(() => (window as unknown as PageApi).gradstreamDashboard.points()), (n) => n === 6);
      // Hand-worked, weight 0.6 over 2 then 0: 0.4·2 / (1 − 0.6) = 2, then (0.6·0.8 + 0) / (1 − 0.36) = 0.75.
      // A string, so that vitest does not rewrite the page's import(); the module is the page's own, already loaded.
      const smoothed = (await page.evaluate(
        `import('/dashboard.js').then(({ smoother }) => { const s = smoother(0.6); return [s(2), s(0), smoother(0.6)(NaN)]; })`,
      )) as (number | null)[];
      expect(smoothed[0]).toBeCloseTo(2, 12);
      expect(smoothed[1]).toBeCloseTo(0.75, 12);
      expect(smoothed[2]).toBeNull();
      const rows = () =>
        page.evaluate(() =>
          (window as unknown as { gradstreamDashboard: { rows: () => { loss: number; smoothed: number }[] } }).gradstreamDashboard.rows(),
        );
      expect((await rows()).some((r) => Math.abs(r.smoothed - r.loss) > 1e-9)).toBe(true);
      await page.locator('#smoothing').fill('0');
      const unsmoothed = await whenPage(page, rows, (rs) => rs.length === 6 && rs.every((r) => r.smoothed === r.loss));
      expect(unsmoothed).toHaveLength(6);
    } finally {
      await page.close();
      await dashboard.close();
    }
  });
});
