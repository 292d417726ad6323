// The inspector webview, bundled as it ships, in real headless Chromium under the page's own
// CSP, with a stub acquireVsCodeApi that records posted messages and keeps setState in
// sessionStorage (as VS Code keeps it across a webview reload). Screenshots per theme go to
// test-artifacts/webview/.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as esbuild from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { isWebviewToHostMessage, SetInterventions, Tokens, RunStarted, RunStopped, ErrorShown, type HostToWebviewMessage } from '../../src/protocol/webview';
import { AXES, COMPLY, INTERVENTIONS, N_LAYERS, PROMPT, baselineValue, intervenedValue, showRunMessage } from '../unit/webview-fixture';
import { THEMES } from './webview-themes';

const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(__dirname, '../..');
const ARTIFACTS = path.join(REPO, 'test-artifacts', 'webview');
const T = PROMPT.length + COMPLY.length;

const STUB = `(() => {
  window.__posted = [];
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return {
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => { const s = sessionStorage.getItem('vscode-state'); return s ? JSON.parse(s) : undefined; },
      setState: (s) => { sessionStorage.setItem('vscode-state', JSON.stringify(s)); return s; },
    };
  };
})();`;

async function serve(dir: string): Promise<{ url: string; close: () => void }> {
  const template = readFileSync(path.join(REPO, 'media/webview/inspector.html'), 'utf8');
  const server = http.createServer((req, res) => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const files: Record<string, [string, string | Buffer]> = {
      '/webview.js': ['text/javascript', readFileSync(path.join(dir, 'webview.js'))],
      '/inspector.css': ['text/css', readFileSync(path.join(REPO, 'media/webview/inspector.css'))],
    };
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    if (req.url === '/') {
      // Filled exactly as the host fills it: the page runs under its real CSP.
      const html = template
        .replaceAll('{{cspSource}}', origin)
        .replaceAll('{{nonce}}', randomBytes(16).toString('base64'))
        .replaceAll('{{styleUri}}', `${origin}/inspector.css`)
        .replaceAll('{{scriptUri}}', `${origin}/webview.js`);
      files['/'] = ['text/html', html];
    }
    const f = files[req.url ?? ''];
    res.writeHead(f ? 200 : 404, { 'content-type': f ? f[0] : 'text/plain' }).end(f ? f[1] : 'not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() };
}

const send = (page: Page, m: HostToWebviewMessage) => page.evaluate((msg) => window.postMessage(msg, '*'), m);
const posted = (page: Page) => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);
const lastPosted = async (page: Page) => (await posted(page)).at(-1) as Record<string, unknown> | undefined;

async function applyTheme(page: Page, name: keyof typeof THEMES): Promise<void> {
  await page.evaluate((th) => {
    for (const [k, v] of Object.entries(th.vars)) document.documentElement.style.setProperty(k, v);
    document.body.className = th.bodyClass;
  }, THEMES[name]);
}

async function settle(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

const fmt = (v: number) => v.toFixed(3);
const fmtDelta = (d: number) => `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(3)}`;

test('inspector webview in headless Chromium', { timeout: 90_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}: install Debian's "chromium" package (apt-get install -y chromium) to run the webview browser test.`);
  const work = mkdtempSync(path.join(tmpdir(), 'rl-webview-'));
  await esbuild.build({ entryPoints: [path.join(REPO, 'webview/main.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', outfile: path.join(work, 'webview.js'), logLevel: 'silent' });
  mkdirSync(ARTIFACTS, { recursive: true });
  const server = await serve(work);
  const context: BrowserContext = await chromium.launchPersistentContext(path.join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    viewport: { width: 1100, height: 1200 },
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
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    await applyTheme(page, 'light');
    await send(page, showRunMessage());
    await page.waitForSelector('svg.heatmap[data-axis="refusal"] rect.cell');
    await settle(page);

    await t.test('one heatmap per axis with layers × tokens cells', async () => {
      const maps = await page.$$eval('svg.heatmap', (svgs) =>
        svgs.map((s) => ({
          axis: s.getAttribute('data-axis'),
          rows: Number(s.getAttribute('data-rows')),
          cols: Number(s.getAttribute('data-cols')),
          cells: s.querySelectorAll('rect.cell').length,
          distinct: new Set(Array.from(s.querySelectorAll('rect.cell')).map((c) => `${c.getAttribute('data-layer')}:${c.getAttribute('data-token')}`)).size,
        })),
      );
      assert.deepEqual(maps.map((m) => m.axis), AXES.map((a) => a.name));
      for (const m of maps) {
        assert.equal(m.rows, N_LAYERS);
        assert.equal(m.cols, T);
        assert.equal(m.cells, N_LAYERS * T);
        assert.equal(m.distinct, N_LAYERS * T);
      }
      const v = await page.getAttribute('svg.heatmap[data-axis="persona"] rect.cell[data-layer="3"][data-token="5"]', 'data-value');
      assert.equal(Number(v), intervenedValue(0, 3, 5));
      const fills = await page.$$eval('svg.heatmap[data-axis="persona"] rect.cell', (cs) => new Set(cs.map((c) => c.getAttribute('fill'))).size);
      assert.ok(fills > 20, `cells are coloured by value (${fills} distinct fills)`);
    });

    await t.test('the divider sits between the last prompt and the first generated token', async () => {
      const geo = await page.$eval(`svg.heatmap[data-axis="refusal"]`, (svg, n) => {
        const d = svg.querySelector('line.divider')!;
        const db = d.getBoundingClientRect();
        return {
          after: Number(d.getAttribute('data-after-token')),
          x: db.left + db.width / 2,
          lastPromptRight: svg.querySelector(`rect.cell[data-layer="0"][data-token="${n - 1}"]`)!.getBoundingClientRect().right,
          firstGenLeft: svg.querySelector(`rect.cell[data-layer="0"][data-token="${n}"]`)!.getBoundingClientRect().left,
          lastPromptGenerated: svg.querySelector(`rect.cell[data-token="${n - 1}"]`)!.classList.contains('generated'),
          firstGenGenerated: svg.querySelector(`rect.cell[data-token="${n}"]`)!.classList.contains('generated'),
          visible: getComputedStyle(d).display !== 'none' && db.height > 0,
        };
      }, PROMPT.length);
      assert.equal(geo.after, PROMPT.length - 1);
      assert.ok(geo.visible);
      assert.equal(geo.lastPromptGenerated, false);
      assert.equal(geo.firstGenGenerated, true);
      assert.ok(Math.abs(geo.x - geo.lastPromptRight) < 0.6 && Math.abs(geo.x - geo.firstGenLeft) < 0.6, JSON.stringify(geo));
    });

    await t.test('hover shows token, layer, value and Δ vs baseline', async () => {
      const tok = PROMPT.length - 2; // ' ?' is at index 9; take '<|im_start|>'… whichever: read it from the fixture
      await page.hover(`svg.heatmap[data-axis="refusal"] rect.cell[data-layer="6"][data-token="${tok}"]`);
      const tip = page.locator('#tooltip');
      await tip.waitFor({ state: 'visible' });
      const text = (await tip.textContent()) ?? '';
      const v = intervenedValue(1, 6, tok);
      for (const part of ['refusal', `#${tok}`, 'prompt', 'layer 6', `value ${fmt(v)}`, `Δ ${fmtDelta(v - baselineValue(1, 6, tok))} vs baseline`]) {
        assert.ok(text.includes(part), `"${part}" in "${text}"`);
      }
      const gen = PROMPT.length; // "Sure"
      await page.hover(`svg.heatmap[data-axis="persona"] rect.cell[data-layer="2"][data-token="${gen}"]`);
      const text2 = (await tip.textContent()) ?? '';
      assert.ok(text2.includes('"Sure"') && text2.includes('generated') && text2.includes('layer 2') && text2.includes('(baseline token there: "I")'), text2);
      await page.screenshot({ path: path.join(ARTIFACTS, 'light-hover.png') });
      await page.mouse.move(2, 2);
      await tip.waitFor({ state: 'hidden' });
    });

    await t.test('response, label badge and refusal score; baseline alongside', async () => {
      assert.equal(await page.getAttribute('.response .current .badge', 'data-label'), 'bypass');
      assert.match((await page.textContent('.response .current .score')) ?? '', /refusal score −?-?2\.150/);
      assert.equal(await page.textContent('.response .current .response-text'), COMPLY.join(''));
      assert.equal(await page.getAttribute('.response .baseline .badge', 'data-label'), 'refusal');
    });

    await t.test('chips: removing one posts its index (mouse and keyboard)', async () => {
      assert.equal(await page.locator('li.chip').count(), INTERVENTIONS.length);
      await page.click('li.chip[data-index="1"] vscode-button.chip-remove');
      assert.deepEqual(await lastPosted(page), { type: 'removeIntervention', index: 1 });
      await page.focus('li.chip[data-index="0"] vscode-button.chip-remove');
      await page.keyboard.press('Enter');
      assert.deepEqual(await lastPosted(page), { type: 'removeIntervention', index: 0 });
      // The host answers with the new list; the view follows it.
      await send(page, { type: SetInterventions, interventions: [INTERVENTIONS[0]!] });
      await page.waitForFunction(() => document.querySelectorAll('li.chip').length === 1);
      assert.match((await page.textContent('li.chip')) ?? '', /steer persona \+2/);
    });

    await t.test('every control is reachable with Tab and labelled', async () => {
      await page.focus('#rerun');
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        seen.add(await page.evaluate(() => {
          const a = document.activeElement as HTMLElement | null;
          return a?.id || a?.getAttribute('class') || a?.tagName || '';
        }));
      }
      for (const id of ['diff-toggle', 'export-svg', 'export-png', 'export-json', 'chip-remove', 'steer-axis', 'steer-coefficient', 'steer-from', 'steer-to', 'steer-positions', 'add-steer', 'po-axis', 'po-from', 'po-to', 'add-project-out', 'chart heatmap']) {
        assert.ok(seen.has(id), `${id} reached by Tab (saw ${[...seen].join(', ')})`);
      }
      const unlabelled = await page.$$eval('vscode-textfield, vscode-single-select, vscode-checkbox, vscode-button', (els) =>
        els.filter((e) => !(e.getAttribute('label') || e.getAttribute('aria-label') || e.textContent?.trim())).map((e) => e.id || e.tagName),
      );
      assert.deepEqual(unlabelled, []);
    });

    await t.test('the steer form posts a valid addSteer; a bad range is explained', async () => {
      await page.fill('#steer-coefficient input', '-4');
      await page.fill('#steer-from input', '3');
      await page.fill('#steer-to input', '5');
      await page.click('#add-steer');
      assert.deepEqual(await lastPosted(page), { type: 'addSteer', axis: 'persona', coefficient: -4, layers: [3, 4, 5] });
      const before = (await posted(page)).length;
      await page.fill('#po-to input', String(N_LAYERS + 3));
      await page.click('#add-project-out');
      await page.waitForFunction(() => (document.querySelector('.form-error')?.textContent ?? '').length > 0);
      assert.match((await page.textContent('.form-error')) ?? '', /Layers run from 0 to 7/);
      assert.equal((await posted(page)).length, before, 'nothing posted for an invalid form');
    });

    await t.test('clicking a column chooses the layer-profile token', async () => {
      assert.equal(await page.getAttribute('svg.profile', 'data-token'), String(PROMPT.length - 1), 'default: last prompt token');
      const tok = PROMPT.length + 2;
      await page.click(`svg.heatmap[data-axis="persona"] rect.cell[data-layer="4"][data-token="${tok}"]`);
      assert.deepEqual(await lastPosted(page), { type: 'selectToken', token: tok });
      await page.waitForFunction((n) => document.querySelector('svg.profile')?.getAttribute('data-token') === String(n), tok);
      const dots = await page.$$eval('svg.profile g.panel[data-axis="refusal"] circle.dot-current', (cs) => cs.map((c) => Number(c.getAttribute('data-value'))));
      assert.deepEqual(dots, Array.from({ length: N_LAYERS }, (_, l) => intervenedValue(1, l, tok)));
      assert.equal(await page.locator('svg.profile g.panel[data-axis="refusal"] path.line-baseline').getAttribute('display'), null);
      // Keyboard: in a focused heatmap ← → choose the token, ↑ ↓ move the readout's layer.
      await page.focus('svg.heatmap[data-axis="refusal"]');
      await page.keyboard.press('ArrowRight');
      assert.deepEqual(await lastPosted(page), { type: 'selectToken', token: tok + 1 });
      await page.keyboard.press('ArrowDown');
      await page.waitForFunction(() => /layer 5 /.test(document.querySelector('.heatmap-block[data-axis="refusal"] .readout')?.textContent ?? ''));
      const readout = (await page.textContent('.heatmap-block[data-axis="refusal"] .readout')) ?? '';
      assert.ok(readout.includes(`#${tok + 1}`) && readout.includes(`value ${fmt(intervenedValue(1, 5, tok + 1))}`), readout);
      assert.equal(await page.getAttribute('svg.heatmap[data-axis="refusal"] rect.cursor', 'display'), null, 'the cursor shows while focused');
      await page.keyboard.press('ArrowLeft');
      assert.deepEqual(await lastPosted(page), { type: 'selectToken', token: tok });
    });

    await t.test('difference view shows run − baseline', async () => {
      const cell = 'svg.heatmap[data-axis="refusal"] rect.cell[data-layer="7"][data-token="13"]';
      const before = await page.getAttribute(cell, 'fill');
      await page.click('#diff-toggle');
      await page.waitForFunction(() => document.querySelector('svg.heatmap')?.getAttribute('data-mode') === 'diff');
      assert.notEqual(await page.getAttribute(cell, 'fill'), before);
      assert.equal(Number(await page.getAttribute(cell, 'data-delta')), intervenedValue(1, 7, 13) - baselineValue(1, 7, 13));
      await page.screenshot({ path: path.join(ARTIFACTS, 'light-diff.png'), fullPage: true });
    });

    await t.test('exports post an SVG, a PNG and the run as JSON, all valid', async () => {
      for (const f of ['svg', 'png', 'json']) {
        await page.click(`#export-${f}`);
        await page.waitForFunction((fmt) => (window as unknown as { __posted: { type: string; format?: string }[] }).__posted.some((m) => m.type === 'export' && m.format === fmt), f);
      }
      const exports = (await posted(page)).filter((m) => m.type === 'export') as unknown as { format: string; data: string }[];
      const by = Object.fromEntries(exports.map((e) => [e.format, e.data]));
      assert.match(by.svg!, /<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.ok(!by.svg!.includes('var(--'), 'the exported SVG does not depend on VS Code variables');
      assert.equal((by.svg!.match(/class="cell[ "]/g) ?? []).length, 2 * N_LAYERS * T);
      // Each legend bar points at its own gradient, renamed so ids stay unique in one file.
      const gradients = [...by.svg!.matchAll(/<linearGradient id="([^"]+)"/g)].map((m) => m[1]);
      const users = [...by.svg!.matchAll(/class="legend-bar"[^>]*fill="url\(#([^)]+)\)"|fill="url\(#([^)]+)\)"[^>]*class="legend-bar"/g)].map((m) => m[1] ?? m[2]);
      assert.equal(new Set(gradients).size, 2);
      assert.deepEqual(users.sort(), gradients.sort());
      const png = Buffer.from(by.png!.slice('data:image/png;base64,'.length), 'base64');
      assert.equal(png.subarray(1, 4).toString(), 'PNG');
      assert.ok(png.readUInt32BE(16) > 400 && png.readUInt32BE(20) > 400, 'the PNG has the size of the view');
      writeFileSync(path.join(ARTIFACTS, 'export.png'), png);
      writeFileSync(path.join(ARTIFACTS, 'export.svg'), by.svg!);
      assert.equal(JSON.parse(by.json!).schema, 'refusal-lens.trace/2');
      assert.ok(!('projections' in JSON.parse(by.json!)), 'the trace/2 file form: projections only in readouts');
    });

    await t.test('state is restored after a reload', async () => {
      await page.reload();
      await applyTheme(page, 'light');
      await page.waitForSelector('svg.heatmap rect.cell');
      await settle(page);
      assert.equal(await page.locator('svg.heatmap[data-axis="refusal"] rect.cell').count(), N_LAYERS * T);
      assert.equal(await page.getAttribute('svg.heatmap', 'data-mode'), 'diff');
      assert.equal(await page.getAttribute('svg.profile', 'data-token'), String(PROMPT.length + 2));
      assert.equal(await page.locator('li.chip').count(), 1);
      assert.deepEqual((await posted(page)).map((m) => m.type), ['ready'], 'the reloaded page announces itself again');
      await page.click('#diff-toggle');
      await page.waitForFunction(() => document.querySelector('svg.heatmap')?.getAttribute('data-mode') === 'values');
    });

    await t.test('a real-model-sized run (32 layers × 1024 tokens): every cell drawn, a click selects its token', async () => {
      const L = 32;
      const n = 1024;
      const base = showRunMessage();
      const tokens = Array.from({ length: n }, (_, i) => ({ id: i, text: `t${i}`, position: i, generated: i >= n - 64 }));
      const projections = base.run.axes.map((_, a) => Array.from({ length: L }, (_, l) => Array.from({ length: n }, (_, t) => Math.sin(a + l * 0.1 + t * 0.01))));
      const run = { ...base.run, tokens, layers: Array.from({ length: L }, (_, l) => l), readouts: { projections }, projections, model: { ...base.run.model, layers: L } };
      await send(page, { ...base, run, baseline: undefined, model: { ...base.model, layers: L }, interventions: [] });
      await page.waitForFunction((k) => document.querySelector('svg.heatmap')?.getAttribute('data-cols') === String(k), n, { timeout: 60_000 });
      assert.equal(await page.locator('svg.heatmap[data-axis="persona"] rect.cell').count(), L * n);
      const cell = page.locator('svg.heatmap[data-axis="persona"] rect.cell[data-layer="7"][data-token="500"]');
      assert.equal(Number(await cell.getAttribute('data-value')).toFixed(6), Math.sin(0 + 0.7 + 5).toFixed(6));
      await cell.click();
      await page.waitForFunction(() => document.querySelector('svg.profile')?.getAttribute('data-token') === '500');
      await send(page, showRunMessage());
      await page.waitForFunction((k) => document.querySelector('svg.heatmap')?.getAttribute('data-cols') === String(k), T);
    });

    await t.test('streamed tokens grow the heatmap while generating', async () => {
      await send(page, { type: RunStarted, axes: AXES, layers: [0, 1, 2, 3], interventions: [] });
      const tok = (text: string, position: number, generated: boolean) => ({ id: position, text, position, generated });
      await send(page, { type: Tokens, event: { tokens: [tok('Hi', 0, false), tok('!', 1, false)], projections: AXES.map(() => [0, 1, 2, 3].map((l) => [l, -l])) } });
      await page.waitForFunction(() => document.querySelector('svg.heatmap')?.getAttribute('data-cols') === '2');
      await send(page, { type: Tokens, event: { tokens: [tok(' OK', 2, true)], projections: AXES.map(() => [0, 1, 2, 3].map((l) => [l / 2])) } });
      await page.waitForFunction(() => document.querySelector('svg.heatmap')?.getAttribute('data-cols') === '3');
      assert.equal(await page.locator('svg.heatmap[data-axis="persona"] rect.cell').count(), 4 * 3);
      assert.equal(await page.getAttribute('.response .current .badge', 'data-label'), null);
      assert.equal(await page.textContent('.response .current .response-text'), ' OK');
      await send(page, showRunMessage());
      await page.waitForFunction((n) => document.querySelector('svg.heatmap')?.getAttribute('data-cols') === String(n), T);
    });

    await t.test('a cancelled run keeps what streamed, badged as partial; an error alongside does not drop it', async () => {
      await send(page, { type: RunStarted, axes: AXES, layers: [0, 1, 2, 3], interventions: [] });
      const tok = (text: string, position: number, generated: boolean) => ({ id: position, text, position, generated });
      await send(page, { type: Tokens, event: { tokens: [tok('Hi', 0, false), tok(' I', 1, true)], projections: AXES.map(() => [0, 1, 2, 3].map((l) => [l, -l])) } });
      await page.waitForFunction(() => document.querySelector('svg.heatmap')?.getAttribute('data-cols') === '2');
      await send(page, { type: ErrorShown, message: 'steer layers 0-99: the model has layers 0..3' });
      await page.waitForFunction(() => document.querySelector('.error-text')?.textContent?.includes('0..3'));
      assert.equal(await page.getAttribute('svg.heatmap', 'data-cols'), '2', 'the error left the streaming run on screen');
      await send(page, { type: RunStopped, reason: 'cancelled' });
      await page.waitForFunction(() => document.querySelector('.response .current .badge')?.getAttribute('data-stopped') === 'cancelled');
      assert.equal(await page.textContent('.response .current .badge'), 'cancelled: partial');
      assert.equal(await page.textContent('.response .current .response-text'), ' I');
      assert.equal(await page.getAttribute('svg.heatmap', 'data-cols'), '2');
      await page.click('.error-dismiss');
      await send(page, showRunMessage());
      await page.waitForFunction((n) => document.querySelector('svg.heatmap')?.getAttribute('data-cols') === String(n), T);
      assert.equal(await page.getAttribute('.response .current .badge', 'data-stopped'), null);
    });

    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      await t.test(`screenshot in the ${theme} theme`, async () => {
        await applyTheme(page, theme);
        await settle(page);
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(bg, { light: 'rgb(255, 255, 255)', dark: 'rgb(31, 31, 31)', 'high-contrast': 'rgb(0, 0, 0)' }[theme]);
        // Cells at 0 take the background colour, so the scale's midpoint follows the theme.
        const mid = await page.$eval('svg.heatmap[data-axis="refusal"] linearGradient stop:nth-child(3)', (s) => s.getAttribute('stop-color'));
        assert.equal(mid, bg);
        const stroke = await page.$eval('svg.heatmap rect.cell', (c) => getComputedStyle(c).stroke);
        if (theme === 'high-contrast') assert.equal(stroke, 'rgb(111, 195, 223)', 'high contrast draws cell borders');
        else assert.equal(stroke, 'none');
        await page.screenshot({ path: path.join(ARTIFACTS, `${theme}.png`), fullPage: true });
      });
    }

    assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
    for (const m of await posted(page)) assert.ok(isWebviewToHostMessage(m), `posted message passes the host's validator: ${JSON.stringify(m).slice(0, 100)}`);
  } finally {
    await context.close();
    server.close();
    rmSync(work, { recursive: true, force: true });
  }
});
