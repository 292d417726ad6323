// Times a 1,000-token × 32-layer run (2 axes) in the inspector webview, from the host's message
// to drawn (the heatmap has the run's columns) and to painted (two frames later), three times,
// for this checkout and optionally another one under the same load:
//   node --import tsx test/integration/webview-heatmap-timing.ts [/path/to/other/checkout]
// (the other checkout needs webview/, src/protocol/, media/webview/ and node_modules).

import { openWebview, applyTheme, REPO } from './webview-page';
import { showRunMessage } from '../unit/webview-fixture';
(async () => {
  for (const repo of [REPO, ...process.argv.slice(2)]) {
    const wv = await openWebview({ width: 1000, height: 1100 }, repo);
    const { page } = wv;
    await applyTheme(page, 'light');
    for (let k = 0; k < 3; k++) {
      const r = await page.evaluate(async ({ msg, k }) => {
        const L = 32, n = 1000;
        const tokens = Array.from({ length: n }, (_, i) => ({ id: i, text: ` t${i}`, position: i, generated: i >= 900 }));
        const layers = Array.from({ length: L }, (_, l) => l);
        const run = { ...msg.run, tokens, layers, model: { ...msg.run.model, layers: L }, projections: msg.run.axes.map((_: unknown, a: number) => layers.map((l) => tokens.map((_t, t) => Math.sin(a + l * 0.1 + t * 0.01 + k)))) };
        // a different size first, so "drawn" is this run's
        window.postMessage({ ...msg, baseline: undefined }, '*');
        await new Promise<void>((ok) => { const check = () => (document.querySelector('svg.heatmap')?.getAttribute('data-cols') === '24' ? ok() : requestAnimationFrame(check)); requestAnimationFrame(check); });
        await new Promise((r) => setTimeout(r, 500));
        const t0 = performance.now();
        window.postMessage({ ...msg, baseline: undefined, run, model: run.model }, '*');
        await new Promise<void>((ok) => { const check = () => (document.querySelector('svg.heatmap')?.getAttribute('data-cols') === String(n) ? ok() : requestAnimationFrame(check)); requestAnimationFrame(check); });
        const drawn = performance.now() - t0;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return { drawn: Math.round(drawn), painted: Math.round(performance.now() - t0) };
      }, { msg: showRunMessage(), k });
      console.log(`${repo} run ${k + 1}: ${JSON.stringify(r)}`);
    }
    await wv.close();
  }
})();
