// The dataset view, bundled as it ships, in headless Chromium under its page's own CSP with a
// stub acquireVsCodeApi, at 10,000 rows: the first draw and a sort are timed in the page
// (asserted loosely; the figures go to BENCHMARKS.md), the table stays virtualised, sort,
// filter, brush and group change what it shows, a row click and the exports post the right
// messages. Screenshots go to test-artifacts/dataset/.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as esbuild from 'esbuild';
import { runInNewContext } from 'node:vm';
import { chromium, type Page } from 'playwright-core';
import { DatasetData, isDatasetViewMessage, type DatasetDataMessage } from '../../src/protocol/dataset';
import { THEMES } from './webview-themes';

const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(__dirname, '../..');
const ARTIFACTS = path.join(REPO, 'test-artifacts', 'dataset');
const N = 10_000;
const LAYERS = ['0', '1', '2', '3', '4', '5'];

const STUB = `(() => {
  window.__posted = [];
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
    getState: () => { const s = sessionStorage.getItem('vscode-state'); return s ? JSON.parse(s) : undefined; },
    setState: (s) => { sessionStorage.setItem('vscode-state', JSON.stringify(s)); return s; },
  });
})();`;

/**
 * Deterministic rows: refusals sit high on refusal and low on persona, bypasses the other way.
 * Plain JavaScript text, run in the page (handing 10,000 rows to page.evaluate as an argument
 * takes Playwright's serialiser longer than the view takes to draw them) and in this process.
 */
const GEN = `(() => {
  const N = ${N}, LAYERS = ${JSON.stringify(LAYERS)};
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const kinds = ['harmful', 'benign', 'borderline'];
  const personas = ['default', 'compliant', 'pirate', 'lawyer'];
  const rows = [];
  for (let i = 0; i < N; i++) {
    const u = rnd();
    const label = i % 97 === 0 ? 'error' : u < 0.45 ? 'refusal' : u < 0.9 ? 'bypass' : 'degenerate';
    const base = label === 'refusal' ? 2 : label === 'bypass' ? -1.5 : 0;
    const proj = {};
    if (label !== 'error') {
      for (const axis of ['persona', 'refusal']) {
        proj[axis] = {};
        for (const l of LAYERS) {
          const depth = (Number(l) + 1) / LAYERS.length;
          const v = (axis === 'refusal' ? base : -base / 2) * depth + (rnd() - 0.5) * 1.5;
          proj[axis][l] = { last_prompt: Number(v.toFixed(4)), response_mean: Number((v * 0.6).toFixed(4)) };
        }
      }
    }
    const row = { id: 'row-' + String(i).padStart(5, '0'), line: i + 1, label, prompt: 'Prompt number ' + i + ' about ' + kinds[i % 3] + ' things', proj, fields: { kind: kinds[i % 3], persona: personas[i % 4] } };
    if (label === 'error') row.reason = 'longer than the context';
    else {
      row.score = Number((base + (rnd() - 0.5) * 2).toFixed(4));
      row.response = label === 'refusal' ? "I'm sorry, I can't help with that." : 'Sure, here is how.';
    }
    rows.push(row);
  }
  return { type: '${DatasetData}', dataset: 'big.jsonl', inspectable: true, a: { results: 'big.results.jsonl', rows }, axes: ['persona', 'refusal'], layers: LAYERS, positions: ['last_prompt', 'response_mean'], fields: ['kind', 'persona'], notes: [] };
})()`;

function message(): DatasetDataMessage {
  // Through JSON: objects made in another V8 context have other prototypes, which deepStrictEqual compares.
  return JSON.parse(JSON.stringify(runInNewContext(GEN))) as DatasetDataMessage;
}

async function serve(dir: string): Promise<{ url: string; close: () => void }> {
  const template = readFileSync(path.join(REPO, 'media/webview/dataset.html'), 'utf8');
  const server = http.createServer((req, res) => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const files: Record<string, [string, string | Buffer]> = {
      '/dataset.js': ['text/javascript', readFileSync(path.join(dir, 'dataset.js'))],
      '/dataset.css': ['text/css', readFileSync(path.join(REPO, 'media/webview/dataset.css'))],
      '/': ['text/html', template.replaceAll('{{cspSource}}', origin).replaceAll('{{nonce}}', randomBytes(16).toString('base64')).replaceAll('{{styleUri}}', `${origin}/dataset.css`).replaceAll('{{scriptUri}}', `${origin}/dataset.js`)],
    };
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    const f = files[req.url ?? ''];
    res.writeHead(f ? 200 : 404, { 'content-type': f ? f[0] : 'text/plain' }).end(f ? f[1] : 'not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() };
}

const posted = (page: Page) => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);
const settle = (page: Page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
const shownRows = (page: Page) => page.$$eval('.ds-row', (rs) => rs.map((r) => (r as HTMLElement).dataset.id!));
const count = (page: Page) => page.$eval('.ds-count', (e) => Number((e as HTMLElement).dataset.shown));

test('dataset view at 10,000 rows in headless Chromium', { timeout: 400_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}: install Debian's "chromium" package to run the browser tests.`);
  const work = mkdtempSync(path.join(tmpdir(), 'rl-dataset-'));
  await esbuild.build({ entryPoints: [path.join(REPO, 'webview/dataset/main.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', outfile: path.join(work, 'dataset.js'), logLevel: 'silent' });
  mkdirSync(ARTIFACTS, { recursive: true });
  const server = await serve(work);
  const context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    viewport: { width: 1400, height: 1100 },
  });
  const problems: string[] = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.addInitScript(STUB);
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'datasetReady'));
    await page.evaluate((th) => {
      for (const [k, v] of Object.entries(th.vars)) document.documentElement.style.setProperty(k, v);
      document.body.className = th.bodyClass;
    }, THEMES.light);
    const msg = message();
    const figures: Record<string, number> = {};

    await t.test('first draw of 10,000 rows, measured in the page', async () => {
      // Timed from the message's arrival to the end of the synchronous draw (derive + DOM).
      // Built in the page first, then timed from posting the message to the end of the synchronous draw (derive + DOM).
      await page.evaluate(`window.__msg = ${GEN}; window.__t0 = performance.now(); window.postMessage(window.__msg, '*');`);
      await page.waitForFunction(() => ((window as unknown as { __datasetDrawEnd?: number }).__datasetDrawEnd ?? 0) > (window as unknown as { __t0: number }).__t0);
      figures.firstDrawMs = await page.evaluate(() => (window as unknown as { __datasetDrawEnd: number }).__datasetDrawEnd - (window as unknown as { __t0: number }).__t0);
      figures.firstRenderMs = await page.evaluate(() => (window as unknown as { __datasetDrawMs: number }).__datasetDrawMs);
      // The part before the draw: the browser copying the message (postMessage clones the 10,000 rows).
      figures.messageMs = await page.evaluate(() => (window as unknown as { __datasetRecvAt: number }).__datasetRecvAt - (window as unknown as { __t0: number }).__t0);
      assert.equal(await count(page), N);
      const domRows = (await shownRows(page)).length;
      assert.ok(domRows > 10 && domRows < 80, `virtualised: ${domRows} row elements for ${N} rows`);
      assert.equal(await page.$eval('svg.scatter', (s) => Number(s.getAttribute('data-points'))), N - Math.ceil(N / 97), 'every row with projections is a point');
      assert.ok(figures.firstDrawMs < 30_000, `first draw took ${figures.firstDrawMs} ms`);
    });

    await t.test('sort by score, measured in the page; scroll to the end', async () => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        // Descending needs two clicks from unsorted; time each draw after a header click's state change.
        times.push(await page.evaluate(() => (window as unknown as { __datasetAct: (a: unknown) => number }).__datasetAct({ type: 'view/sort', key: 'score' })));
      }
      // Three clicks: ascending, descending, back to file order. Once more for ascending, then by the header.
      figures.sortMs = Math.max(times[0]!, times[1]!);
      await page.click('.ds-th[data-key="score"]');
      await page.click('.ds-th[data-key="score"]');
      await settle(page);
      const scores = await page.$$eval('.ds-row .ds-cell[data-key="score"]', (cs) => cs.map((c) => Number((c as HTMLElement).dataset.value)));
      const want = msg.a.rows.map((r) => r.score).filter((s): s is number => s !== undefined).sort((a, b) => b - a);
      assert.deepEqual(scores.slice(0, 5), want.slice(0, 5), 'highest scores first');
      assert.equal(await page.$eval('.ds-th[data-key="score"]', (e) => e.getAttribute('aria-sort')), 'descending');
      await page.$eval('.ds-scroll', (s) => (s.scrollTop = s.scrollHeight));
      await settle(page);
      const last = await shownRows(page);
      assert.ok(last.length < 80);
      const labels = await page.$$eval('.ds-row .ds-cell[data-key="label"]', (cs) => cs.map((c) => c.textContent));
      assert.equal(labels.at(-1), 'error', 'rows without a score sort last');
      await page.$eval('.ds-scroll', (s) => (s.scrollTop = 0));
      assert.ok(figures.sortMs < 10_000, `sort took ${figures.sortMs} ms`);
    });

    await t.test('filters: label, text, score range, a field; group by persona with intervals', async () => {
      await page.click('.ds-label-toggle[data-label="refusal"]');
      await settle(page);
      const refusals = msg.a.rows.filter((r) => r.label === 'refusal').length;
      assert.equal(await count(page), refusals);
      await page.fill('input[name="scoreMin"]', '2.5');
      await settle(page);
      assert.equal(await count(page), msg.a.rows.filter((r) => r.label === 'refusal' && r.score! >= 2.5).length);
      await page.selectOption('select[name="fieldKey"]', 'field:kind');
      await page.fill('input[name="fieldValue"]', '=benign');
      await settle(page);
      const want = msg.a.rows.filter((r) => r.label === 'refusal' && r.score! >= 2.5 && r.fields.kind === 'benign').length;
      assert.equal(await count(page), want);
      await page.click('.ds-clear');
      await page.fill('input[name="text"]', 'number 4242 ');
      await settle(page);
      assert.deepEqual(await shownRows(page), ['row-04242']);
      await page.fill('input[name="text"]', '');
      await page.selectOption('select[name="groupBy"]', 'field:persona');
      await settle(page);
      const groups = await page.$$eval('.ds-group-table tbody tr', (trs) => trs.map((tr) => ({ g: tr.getAttribute('data-group'), n: Number(tr.children[1]!.textContent), lo: Number(tr.querySelector('td[data-label="refusal"]')!.getAttribute('data-lo')), hi: Number(tr.querySelector('td[data-label="refusal"]')!.getAttribute('data-hi')) })));
      assert.equal(groups.length, 4);
      assert.equal(groups.reduce((s, g) => s + g.n, 0), N);
      for (const g of groups) assert.ok(g.lo > 0.3 && g.hi < 0.6 && g.lo < g.hi, JSON.stringify(g));
      await page.screenshot({ path: path.join(ARTIFACTS, 'grouped.png'), fullPage: false });
      await page.selectOption('select[name="groupBy"]', '');
    });

    await t.test('brush on the scatter filters the table to the rows inside it', async () => {
      const box = (await page.$('svg.scatter'))!;
      const b = (await box.boundingBox())!;
      // Upper left quarter of the plot: low persona, high refusal (the refusals).
      await page.mouse.move(b.x + 60, b.y + 30);
      await page.mouse.down();
      await page.mouse.move(b.x + 180, b.y + 140, { steps: 5 });
      await page.mouse.up();
      await settle(page);
      const n = await count(page);
      assert.ok(n > 0 && n < N, `brushed ${n}`);
      const labels = await page.$$eval('.ds-row .ds-cell[data-key="label"]', (cs) => cs.map((c) => c.textContent));
      assert.ok(labels.filter((l) => l === 'refusal').length > labels.length / 2, `mostly refusals in the brush: ${labels.join(',')}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'brushed.png'), fullPage: false });
      await page.click('.ds-clear');
      await settle(page);
      assert.equal(await count(page), N);
    });

    await t.test('a row click asks the host to inspect it; exports post the shown ids', async () => {
      await page.click('.ds-th[data-key="id"]'); // back from the score sort: by id, ascending
      await settle(page);
      await page.click('.ds-row[data-id="row-00003"] .ds-cell[data-key="prompt"]');
      await settle(page);
      const all = await posted(page);
      const inspect = all.at(-1) as { type: string; id?: string };
      assert.deepEqual(inspect, { type: 'datasetInspect', id: 'row-00003' });
      assert.ok(await page.$eval('.ds-row[data-id="row-00003"]', (r) => r.classList.contains('selected')));
      await page.click('.ds-label-toggle[data-label="degenerate"]');
      await page.click('.ds-export-csv');
      await settle(page);
      const exp = (await posted(page)).at(-1) as { type: string; format: string; ids: string[] };
      assert.equal(exp.type, 'datasetExportRows');
      assert.equal(exp.ids.length, msg.a.rows.filter((r) => r.label === 'degenerate').length);
      await page.click('.ds-export-svg');
      await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.at(-1)!.type === 'datasetExportChart');
      const svg = (await posted(page)).at(-1) as unknown as { data: string };
      assert.ok(isDatasetViewMessage(svg), 'the chart export passes the host check');
      assert.ok(svg.data.includes('persona × refusal') && !svg.data.includes('class="brush"'));
      for (const m of await posted(page)) assert.ok(isDatasetViewMessage(m), JSON.stringify(m).slice(0, 100));
      await page.click('.ds-clear');
    });

    await t.test('the view settings survive a reload (the host sends the data again)', async () => {
      await page.click('.ds-th[data-key="proj:refusal"]');
      await page.selectOption('select[name="layer"]', '2');
      await settle(page);
      await page.reload();
      await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'datasetReady'));
      await page.evaluate(`window.postMessage(${GEN}, '*')`);
      await settle(page);
      assert.equal(await page.$eval('select[name="layer"]', (s) => (s as HTMLSelectElement).value), '2');
      assert.equal(await page.$eval('.ds-th[data-key="proj:refusal"]', (e) => e.getAttribute('aria-sort')), 'ascending');
      await page.evaluate((th) => {
        for (const [k, v] of Object.entries(th.vars)) document.documentElement.style.setProperty(k, v);
        document.body.className = th.bodyClass;
      }, THEMES.dark);
      await settle(page);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dark.png'), fullPage: false });
    });

    console.log(`dataset view, ${N} rows: ${JSON.stringify(figures)}`);
    assert.deepEqual(problems, [], 'no console errors or CSP violations');
  } finally {
    await context.close();
    server.close();
    rmSync(work, { recursive: true, force: true });
  }
});
