// The logit lens in the inspector webview, bundled as it ships, in headless Chromium under the
// page's CSP: the layer × top-token table under the heatmaps, the refusal-probability panel in
// the layer profile, a click on another lens position, and nothing for a run without the lens.
// Screenshots go to test-artifacts/webview-lens/.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { N_LAYERS, showRunMessage } from '../unit/webview-fixture';
import { LAST, withLens } from '../unit/webview-lens-fixture';
import { applyTheme, cellPoint, openWebview, REPO, send } from './webview-page';

const ARTIFACTS = path.join(REPO, 'test-artifacts', 'webview-lens');

test('logit lens in the inspector webview', { timeout: 90_000 }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { page, problems, close } = await openWebview({ width: 1100, height: 1400 });
  try {
    await applyTheme(page, 'light');
    const msg = showRunMessage();

    await t.test('no lens in the run: no table, no lens panel', async () => {
      await send(page, msg);
      await page.waitForSelector('div.heatmap-block div.heatmap-values span.row', { state: 'attached' });
      assert.equal(await page.$eval('section.lens-section', (s) => s.hasAttribute('hidden')), true);
      assert.equal(await page.$$eval('svg.profile g.panel', (ps) => ps.length), 2, 'one panel per axis only');
    });

    await t.test('a run with the lens: a row per layer (deepest first) at the last prompt token, top tokens, baseline beside', async () => {
      await send(page, { ...msg, run: withLens(msg.run, 0.5), baseline: withLens(msg.baseline!, 0.9) });
      await page.waitForSelector('table.lens tbody tr');
      assert.equal(await page.$eval('section.lens-section', (s) => s.hasAttribute('hidden')), false);
      assert.equal(Number(await page.getAttribute('table.lens', 'data-position')), LAST);
      const rows = await page.$$eval('table.lens tbody tr', (trs) => trs.map((tr) => ({
        layer: Number(tr.getAttribute('data-layer')),
        refusal: Number(tr.getAttribute('data-refusal')),
        text: tr.querySelector('td.refusal')!.textContent,
        toks: Array.from(tr.querySelectorAll('td.tok')).map((td) => td.textContent),
      })));
      assert.deepEqual(rows.map((r) => r.layer), Array.from({ length: N_LAYERS }, (_, l) => N_LAYERS - 1 - l));
      assert.equal(rows.at(-1)!.refusal, 0.5);
      assert.match(rows.at(-1)!.text!, /0\.500 \(baseline 0\.900\)/);
      assert.deepEqual(rows[0]!.toks, [`I ${(0.5 / N_LAYERS).toFixed(3)}`, 'Sure 0.100']);
      assert.match((await page.textContent('section.lens-section p.lens-title'))!, new RegExp(`#${LAST}.*Read at #0, #${LAST}`));
    });

    await t.test('the layer profile gains the refusal-probability panel on [0, 1]', async () => {
      const panels = await page.$$eval('svg.profile g.panel', (ps) => ps.map((p) => p.getAttribute('data-axis')));
      assert.equal(panels.length, 3);
      assert.match(panels[2]!, new RegExp(`p\\(refusal start\\), logit lens at #${LAST}`));
      const dots = await page.$$eval('svg.profile g.panel[data-axis^="p(refusal"] circle.dot-current', (cs) => cs.map((c) => Number(c.getAttribute('data-value'))));
      assert.equal(dots.length, N_LAYERS);
      assert.equal(dots[0], 0.5);
      await page.locator('section.lens-section').screenshot({ path: path.join(ARTIFACTS, 'lens-table.png') });
      await page.locator('section.profile-section').screenshot({ path: path.join(ARTIFACTS, 'lens-profile.png') });
    });

    await t.test('clicking the first prompt token shows the lens there', async () => {
      const p = await cellPoint(page, 'persona', 0, 0); // cells are on a canvas (webview/heatmap-canvas.ts)
      await page.mouse.click(p.x, p.y);
      await page.waitForFunction(() => document.querySelector('table.lens')?.getAttribute('data-position') === '0');
      assert.deepEqual(await page.$$eval('table.lens tbody tr:first-child td.tok', (tds) => tds.map((td) => td.textContent)), ['a 0.500', 'b 0.250']);
      await page.screenshot({ path: path.join(ARTIFACTS, 'inspector.png'), fullPage: true });
    });
    assert.deepEqual(problems, [], 'no console errors or CSP violations');
  } finally {
    await close();
  }
});
