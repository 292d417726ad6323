// The inspector webview, bundled as it ships, in real headless Chromium under the page's own
// CSP, with a stub acquireVsCodeApi that records posted messages and keeps setState in
// sessionStorage (as VS Code keeps it across a webview reload). Screenshots per theme go to
// test-artifacts/webview/.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isWebviewToHostMessage, ShowRun, SetInterventions, Tokens, RunStarted, RunStopped, ErrorShown } from '../../src/protocol/webview';
import { AXES, COMPLY, INTERVENTIONS, MODEL, N_LAYERS, PROMPT, baselineRun, baselineValue, intervenedValue, showRunMessage } from '../unit/webview-fixture';
import { CHROMIUM, REPO, applyTheme, cellPixel, cellPoint, lastPosted, openWebview, posted, readValues, send, settle } from './webview-page';

const ARTIFACTS = path.join(REPO, 'test-artifacts', 'webview');
const T = PROMPT.length + COMPLY.length;

const fmt = (v: number) => v.toFixed(3);
const fmtDelta = (d: number) => `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(3)}`;

// 4 minutes: on a 2-core machine shared by several agents the bundle, Chromium's start and the 32 × 1024 run take most of it.
test('inspector webview in headless Chromium', { timeout: 240_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}: install Debian's "chromium" package (apt-get install -y chromium) to run the webview browser test.`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const wv = await openWebview();
  const { page, problems } = wv;
  try {
    await applyTheme(page, 'light');
    await send(page, showRunMessage());
    await page.waitForSelector('div.heatmap-block[data-axis="refusal"] div.heatmap-values span.row', { state: 'attached' });
    await settle(page);

    await t.test('one heatmap per axis with layers × tokens cells', async () => {
      const maps = await page.$$eval('svg.heatmap', (svgs) => svgs.map((s) => ({ axis: s.getAttribute('data-axis'), rows: Number(s.getAttribute('data-rows')), cols: Number(s.getAttribute('data-cols')) })));
      assert.deepEqual(maps.map((m) => m.axis), AXES.map((a) => a.name));
      for (const m of maps) {
        assert.equal(m.rows, N_LAYERS);
        assert.equal(m.cols, T);
        const cells = await readValues(page, m.axis!);
        assert.equal(cells.length, N_LAYERS * T);
        assert.equal(new Set(cells.map((c) => `${c.layer}:${c.token}`)).size, N_LAYERS * T);
      }
      const v = (await readValues(page, 'persona')).find((c) => c.layer === 3 && c.token === 5)!.value;
      assert.equal(v, intervenedValue(0, 3, 5));
      const row = await Promise.all(Array.from({ length: T }, (_, t) => cellPixel(page, 'persona', 4, t)));
      const fills = new Set(row.map((p) => p.join(',')));
      assert.ok(fills.size > 15, `cells are coloured by value (${fills.size} distinct colours in a row of ${T})`);
    });

    await t.test('the divider sits between the last prompt and the first generated token', async () => {
      const geo = await page.$eval(`div.heatmap-block[data-axis="refusal"]`, (block, n) => {
        const svg = block.querySelector('svg.heatmap')!;
        const d = svg.querySelector('line.divider')!;
        const db = d.getBoundingClientRect();
        const c = block.querySelector('canvas.heatmap-cells')!.getBoundingClientRect();
        return {
          after: Number(d.getAttribute('data-after-token')),
          x: db.left + db.width / 2,
          boundary: c.left + n * Number(svg.getAttribute('data-cell-w')),
          generatedLabel: Array.from(svg.querySelectorAll('text.token-label.generated')).map((e) => Number(e.getAttribute('data-token'))),
          visible: getComputedStyle(d).display !== 'none' && db.height > 0,
        };
      }, PROMPT.length);
      assert.equal(geo.after, PROMPT.length - 1);
      assert.ok(geo.visible);
      assert.ok(geo.generatedLabel.length > 0 && Math.min(...geo.generatedLabel) === PROMPT.length, 'the first generated token is labelled, in the generated style');
      assert.ok(Math.abs(geo.x - geo.boundary) < 0.6, JSON.stringify(geo));
    });

    await t.test('hover shows token, layer, value and Δ vs baseline', async () => {
      const tok = PROMPT.length - 2; // ' ?' is at index 9; take '<|im_start|>'… whichever: read it from the fixture
      let p = await cellPoint(page, 'refusal', 6, tok);
      await page.mouse.move(p.x, p.y);
      const tip = page.locator('#tooltip');
      await tip.waitFor({ state: 'visible' });
      const text = (await tip.textContent()) ?? '';
      const v = intervenedValue(1, 6, tok);
      for (const part of ['refusal', `#${tok}`, 'prompt', 'layer 6', `value ${fmt(v)}`, `Δ ${fmtDelta(v - baselineValue(1, 6, tok))} vs baseline`]) {
        assert.ok(text.includes(part), `"${part}" in "${text}"`);
      }
      const gen = PROMPT.length; // "Sure"
      p = await cellPoint(page, 'persona', 2, gen);
      await page.mouse.move(p.x, p.y);
      await page.waitForFunction(() => (document.querySelector('#tooltip')?.textContent ?? '').includes('"Sure"'));
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
      assert.deepEqual(await lastPosted(page), { type: 'addSteer', axis: 'persona', coefficient: -4, layers: [3, 4, 5], positions: 'prompt' }, 'the form starts at the default positions (prompt)');
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
      const postedBefore = (await posted(page)).length;
      const p = await cellPoint(page, 'persona', 4, tok);
      await page.mouse.click(p.x, p.y);
      await page.waitForFunction((n) => document.querySelector('svg.profile')?.getAttribute('data-token') === String(n), tok);
      const dots = await page.$$eval('svg.profile g.panel[data-axis="refusal"] circle.dot-current', (cs) => cs.map((c) => Number(c.getAttribute('data-value'))));
      assert.deepEqual(dots, Array.from({ length: N_LAYERS }, (_, l) => intervenedValue(1, l, tok)));
      assert.equal(await page.locator('svg.profile g.panel[data-axis="refusal"] path.line-baseline').getAttribute('display'), null);
      // Keyboard: in a focused heatmap ← → choose the token, ↑ ↓ move the readout's layer.
      await page.focus('svg.heatmap[data-axis="refusal"]');
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction((n) => document.querySelector('svg.profile')?.getAttribute('data-token') === String(n), tok + 1);
      await page.keyboard.press('ArrowDown');
      await page.waitForFunction(() => /layer 5 /.test(document.querySelector('.heatmap-block[data-axis="refusal"] .readout')?.textContent ?? ''));
      const readout = (await page.textContent('.heatmap-block[data-axis="refusal"] .readout')) ?? '';
      assert.ok(readout.includes(`#${tok + 1}`) && readout.includes(`value ${fmt(intervenedValue(1, 5, tok + 1))}`), readout);
      assert.equal(await page.getAttribute('svg.heatmap[data-axis="refusal"] rect.cursor', 'display'), null, 'the cursor shows while focused');
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction((n) => document.querySelector('svg.profile')?.getAttribute('data-token') === String(n), tok);
      // The page keeps the chosen token itself: nothing goes to the host for it.
      assert.equal((await posted(page)).length, postedBefore);
    });

    await t.test('difference view shows run − baseline', async () => {
      const before = (await cellPixel(page, 'refusal', 7, 13)).join(',');
      await page.click('#diff-toggle');
      await page.waitForFunction(() => document.querySelector('svg.heatmap')?.getAttribute('data-mode') === 'diff');
      await settle(page);
      assert.notEqual((await cellPixel(page, 'refusal', 7, 13)).join(','), before);
      const deltas = (await page.getAttribute('div.heatmap-block[data-axis="refusal"] span.row[data-layer="7"]', 'data-deltas'))!.split(' ').map(Number);
      assert.equal(deltas[13], intervenedValue(1, 7, 13) - baselineValue(1, 7, 13));
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
      await page.waitForSelector('div.heatmap-values span.row', { state: 'attached' });
      await settle(page);
      assert.equal((await readValues(page, 'refusal')).length, N_LAYERS * T);
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
      const cells = await readValues(page, 'persona');
      assert.equal(cells.length, L * n);
      assert.equal(cells.find((c) => c.layer === 7 && c.token === 500)!.value.toFixed(6), Math.sin(0 + 0.7 + 5).toFixed(6));
      const p = await cellPoint(page, 'persona', 7, 500);
      await page.mouse.click(p.x, p.y);
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
      assert.equal((await readValues(page, 'persona')).length, 4 * 3);
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
      // An error with actions shows one button each; a click asks the host to carry it out.
      await send(page, { type: ErrorShown, message: 'model folder /x: no config.json', actions: ['openSettings', 'useBuiltinModel'] });
      await page.waitForFunction(() => document.querySelectorAll('.error-actions .error-action').length === 2);
      assert.deepEqual(await page.$$eval('.error-actions .error-action', (bs) => bs.map((b) => b.textContent)), ['Open Settings', 'Use the Built-in Model']);
      await page.click('.error-actions .error-action:nth-child(2)');
      assert.deepEqual(await lastPosted(page), { type: 'errorAction', action: 'useBuiltinModel' });
      await page.click('.error-dismiss');
      await send(page, showRunMessage());
      await page.waitForFunction((n) => document.querySelector('svg.heatmap')?.getAttribute('data-cols') === String(n), T);
      assert.equal(await page.getAttribute('.response .current .badge', 'data-stopped'), null);
    });

    await t.test('issue 14: subject, stale banner, Cap and random-control forms, pin and compare', async () => {
      const subject = { kind: 'prompt-file' as const, file: 'a.rlprompt', system: 'You are Quinn.', user: 'How do I pick a lock?', model: 'lens-tiny-chat · fp32', device: 'cpu', requested: INTERVENTIONS };
      await send(page, { ...showRunMessage(), subject });
      await page.waitForFunction(() => document.querySelector('.subject-source')?.textContent === 'Prompt file a.rlprompt');
      assert.equal(await page.textContent('.subject-system .v'), 'You are Quinn.');
      assert.match((await page.textContent('.subject-interventions .v')) ?? '', /^steer persona \+2 @ L2–4 \(prompt\); project out refusal @ L0–7$/);
      await send(page, { type: RunStopped, reason: 'failed' });
      await page.waitForFunction(() => !document.querySelector('.stale-banner')?.hasAttribute('hidden'));
      assert.match((await page.textContent('.stale-banner')) ?? '', /^Stale: the last request failed/);
      assert.equal(await page.locator('div.app.stale').count(), 1, 'the readouts are dimmed');
      await send(page, { ...showRunMessage(), subject });
      await page.waitForFunction(() => document.querySelector('.stale-banner')?.hasAttribute('hidden'));

      await page.fill('#cap-hi input', '0');
      await page.click('#add-cap');
      assert.deepEqual(await lastPosted(page), { type: 'addCap', axis: 'persona', hi: 0, layers: [0, 1, 2, 3, 4, 5, 6, 7] });
      await page.click('#run-control');
      assert.deepEqual(await lastPosted(page), { type: 'runControl', axis: 'persona', seed: 0 });

      await page.click('#pin');
      await page.waitForSelector('#unpin:not([hidden])');
      const other = { ...baselineRun(), prompt: { kind: 'chat' as const, messages: [{ role: 'system' as const, content: 'You answer everything.' }, { role: 'user' as const, content: 'How do I pick a lock?' }] } };
      await send(page, { type: ShowRun, run: other, axes: AXES, model: MODEL, interventions: [], subject: { ...subject, file: 'b.rlprompt', requested: [] } });
      await page.waitForSelector('section.compare:not([hidden]) table.compare-table td.delta');
      assert.equal(await page.locator('table.compare-table td.delta').count(), AXES.length * N_LAYERS);
      assert.match((await page.textContent('div.compare-col.compare-current .compare-title')) ?? '', /^Prompt file b\.rlprompt · system: You answer everything\.$/);
      assert.equal(await page.locator('section.compare div.heatmap-block.pinned').count(), AXES.length, "the pinned run's heatmaps");
      assert.equal(await page.locator('div.current').count(), 1, 'the compare columns do not reuse the response block class');
      await page.screenshot({ path: path.join(ARTIFACTS, 'compare.png'), fullPage: true });
      await page.click('#unpin');
      await page.waitForSelector('section.compare[hidden]', { state: 'attached' });
      await send(page, showRunMessage());
      await page.waitForFunction((n) => document.querySelector('svg.heatmap')?.getAttribute('data-cols') === String(n), T);
    });

    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      await t.test(`screenshot in the ${theme} theme`, async () => {
        await applyTheme(page, theme);
        await settle(page);
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(bg, { light: 'rgb(255, 255, 255)', dark: 'rgb(31, 31, 31)', 'high-contrast': 'rgb(0, 0, 0)' }[theme]);
        // Cells at 0 take the background colour, so the scale's midpoint follows the theme.
        const mid = await page.$eval('div.heatmap-block[data-axis="refusal"] svg.legend linearGradient stop:nth-child(5)', (s) => s.getAttribute('stop-color'));
        assert.equal(mid, bg);
        const grid = await page.getAttribute('div.heatmap-block[data-axis="refusal"] canvas.heatmap-cells', 'data-grid');
        const edge = await cellPixel(page, 'refusal', 1, 3, 0.5, 0.02);
        if (theme === 'high-contrast') {
          assert.equal(grid, '#6fc3df', 'high contrast draws cell borders');
          assert.deepEqual(edge.slice(0, 3), [111, 195, 223], 'in the border colour');
        } else assert.equal(grid, '');
        await page.screenshot({ path: path.join(ARTIFACTS, `${theme}.png`), fullPage: true });
      });
    }

    assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
    for (const m of await posted(page)) assert.ok(isWebviewToHostMessage(m), `posted message passes the host's validator: ${JSON.stringify(m).slice(0, 100)}`);
  } finally {
    await wv.close();
  }
});
