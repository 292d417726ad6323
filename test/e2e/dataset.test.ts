// End to end, the dataset view in a real VS Code (code-server + the packaged VSIX, headless
// Chromium): annotate the sample dataset, open the view from a row's CodeLens, sort and filter
// it, click a row and check the inspector shows that row (its prompt's tokens, its response and
// label, and at the CodeLens's layer the CodeLens's projection), then compare the results file
// with one the engine wrote with the refusal axis projected out. Screenshots go to
// test-artifacts/e2e-dataset/.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Frame } from 'playwright-core';
import { annotate } from '../../src/engine/experiments/index';
import { loadDirection, loadModel } from '../../src/engine/index';
import { parseJsonl, toPromptInput } from '../../src/engine/prompts/index';
import { inlineCell, inlineText, isErrorRow, parseResults, type ResultRow } from '../../src/extension/experiments/results';
import { CACHE, ROOT, buildVsix, ensureInstalled, startCodeServer, type CodeServer } from './codeServer';
import { chooseModel, type E2eModel } from './model';
import { Workbench, openWorkbench } from './workbench';

const RUN = path.join(CACHE, 'run-dataset');
const WORKSPACE = path.join(CACHE, 'ws-dataset');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e-dataset');
const MAX_NEW_TOKENS = 12; // the sample workspace's setting
const PROJECTED = 'prompts-projected.results.jsonl';
const TOLERANCE = 1e-3;

let server: CodeServer | undefined;
let browser: Browser | undefined;
let wb: Workbench;
let model: E2eModel;
/** Per dataset row id: its prompt's token count under the built-in model. */
const promptTokens = new Map<string, number>();
let results: Map<string, ResultRow>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The webview frame whose page has `selector` (several webviews are open at once). */
async function frameWith(selector: string, timeout = 60_000): Promise<Frame> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const f of wb.page.frames()) {
      if (await f.$(selector).catch(() => null)) return f;
    }
    const error = await wb.shownError();
    if (error) assert.fail(`waiting for ${selector}: the editor shows an error: ${error}`);
    await sleep(300);
  }
  await wb.screenshot(`failed-${selector.replace(/\W+/g, '-')}`).catch(() => undefined);
  throw new Error(`no webview shows ${selector}`);
}

const rowIds = (f: Frame) => f.$$eval('.ds-row', (rs) => rs.map((r) => (r as HTMLElement).dataset.id!));

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeout = 30_000): Promise<T> {
  const deadline = Date.now() + timeout;
  let v = await get();
  while (!ok(v) && Date.now() < deadline) {
    await sleep(300);
    v = await get();
  }
  assert.ok(ok(v), `${what}: got ${JSON.stringify(v)}`);
  return v;
}

describe('the dataset view in VS Code (code-server + Chromium)', { timeout: 15 * 60_000 }, () => {
  before(async () => {
    ensureInstalled();
    model = await chooseModel();
    const vsix = path.join(CACHE, 'vsix-dataset.vsix');
    buildVsix(vsix);
    rmSync(WORKSPACE, { recursive: true, force: true });
    cpSync(path.join(ROOT, 'test', 'fixtures', 'workspace'), WORKSPACE, { recursive: true });
    // The "after" file of the comparison: the engine, in this process, with the refusal axis projected out everywhere.
    const lens = await loadModel(model.folder);
    try {
      const axes = [];
      for (const f of model.axisFiles) axes.push(await loadDirection(f, lens));
      const layers = Array.from({ length: lens.summary.layers }, (_, l) => l);
      await annotate(lens, path.join(WORKSPACE, 'prompts.jsonl'), path.join(WORKSPACE, PROJECTED), {
        axes,
        interventions: [{ kind: 'project_out', axes: [model.projectAxis], layers }],
        decoding: { maxNewTokens: MAX_NEW_TOKENS },
      });
      for (const r of parseJsonl(readFileSync(path.join(WORKSPACE, 'prompts.jsonl'), 'utf8'), 'prompts.jsonl').rows) {
        promptTokens.set(r.id, lens.encode(toPromptInput(r)).ids.length);
      }
    } finally {
      await lens.dispose();
    }
    server = await startCodeServer(RUN, vsix, WORKSPACE, model.settings);
    ({ browser, wb } = await openWorkbench(server.url, ARTIFACTS, 180_000)); // the shared machine can take a while to serve the workbench
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  });

  test('annotate, then a CodeLens opens the dataset view; sort and filter change the rows', async () => {
    await wb.openFile('prompts.jsonl');
    await wb.runCommand('Refusal Lens: Annotate Dataset');
    const lenses = wb.page.locator('.monaco-editor .codelens-decoration a', { hasText: ' · score ' });
    await until('three CodeLenses', async () => (await lenses.allInnerTexts().catch(() => [])).length, (n) => n === 3, 120_000);
    results = parseResults(readFileSync(path.join(WORKSPACE, 'prompts.results.jsonl'), 'utf8')).rows;
    assert.deepEqual([...results.keys()], ['harm-1', 'benign-1', 'chat-1']);
    await wb.clearNotifications();
    await lenses.first().click();
    const view = await frameWith('.ds-row');
    assert.deepEqual(await rowIds(view), ['harm-1', 'benign-1', 'chat-1']);
    assert.match(await view.$eval('.ds-files', (e) => e.textContent ?? ''), /prompts\.results\.jsonl · dataset prompts\.jsonl/);
    // The prompt column comes from the dataset, the score from the results.
    assert.equal(await view.$eval('.ds-row[data-id="benign-1"] .ds-cell[data-key="prompt"]', (e) => e.textContent), 'How do I bake bread at home?');
    await wb.screenshot('dataset-view');

    await view.click('.ds-th[data-key="score"]');
    await view.click('.ds-th[data-key="score"]');
    const byScore = [...results.values()].filter((r) => !isErrorRow(r)).sort((a, b) => (b as { refusalScore: number }).refusalScore - (a as { refusalScore: number }).refusalScore).map((r) => r.id);
    await until('rows by score, descending', () => rowIds(view), (ids) => JSON.stringify(ids) === JSON.stringify(byScore));
    await wb.screenshot('sorted-by-score');

    await view.fill('input[name="text"]', 'bread');
    await until('text filter', () => rowIds(view), (ids) => JSON.stringify(ids) === '["benign-1"]');
    await view.fill('input[name="text"]', '');
    const label = (results.get('harm-1') as { label: string }).label;
    await view.click(`.ds-label-toggle[data-label="${label}"]`);
    const want = [...results.values()].filter((r) => !isErrorRow(r) && r.label === label).map((r) => r.id);
    await until(`only ${label} rows`, async () => (await rowIds(view)).sort(), (ids) => JSON.stringify(ids) === JSON.stringify([...want].sort()));
    await wb.screenshot('filtered-by-label');
    await view.click('.ds-clear');
    await until('filters cleared', () => rowIds(view), (ids) => ids.length === 3);
  });

  test('clicking a row inspects it: its prompt, response, label and the CodeLens projection', async () => {
    const id = 'benign-1';
    const row = results.get(id)!;
    assert.ok(!isErrorRow(row));
    const view = await frameWith('.ds-row');
    await view.click(`.ds-row[data-id="${id}"] .ds-cell[data-key="prompt"]`);
    const inspector = await frameWith('div.current span.badge[data-label]', 120_000);
    // The response and label the annotation wrote for this row.
    const response = await until('inspector response', () => inspector.$eval('div.current pre.response-text', (e) => e.textContent ?? ''), (t) => t === (row as { response?: string }).response);
    assert.ok(response.length > 0);
    assert.equal(await inspector.$eval('div.current span.badge', (e) => e.getAttribute('data-label')), row.label);
    const scoreText = await inspector.$eval('div.current span.score', (e) => e.textContent ?? '');
    const shownScore = Number(/refusal score (−?-?[\d.]+)/.exec(scoreText)?.[1]?.replace('−', '-'));
    assert.ok(Math.abs(shownScore - row.refusalScore) < 1e-2, `inspector score ${scoreText}, results ${row.refusalScore}`);
    // The heatmap's tokens are this row's prompt ("bread" is in it), and at the CodeLens's cell
    // (the last layer, the last prompt token) it shows the CodeLens's value.
    // The inspector names its subject (the row's user text); token labels are thinned to fit, so read that.
    const subject = await inspector.$eval('section.subject', (e) => e.textContent ?? '');
    assert.ok(/bake|bread|home/.test(subject) && subject.includes(id), `inspector subject: ${subject.slice(0, 300)}`);
    const cell = inlineCell(row)!;
    const lastPrompt = promptTokens.get(id)! - 1;
    for (const axis of Object.keys(row.projections)) {
      const want = row.projections[axis]![cell.layer]![cell.position]!;
      // every value is in the DOM as text, one row per layer (webview/heatmap.ts)
      const shown = await inspector.$eval(`section.heatmaps div.heatmap-block[data-axis="${axis}"] div.heatmap-values span.row[data-layer="${cell.layer}"]`, (e, t) => Number((e.getAttribute('data-values') ?? '').split(' ')[t]), lastPrompt);
      assert.ok(Math.abs(shown - want) <= TOLERANCE * Math.max(1, Math.abs(want)), `${axis} L${cell.layer} token ${lastPrompt}: inspector ${shown}, CodeLens ${want} (${inlineText(row)})`);
    }
    await wb.screenshot('row-inspected');
  });

  test('Compare Results Files…: the transition matrix and the flipped rows match the two files', async () => {
    const after = parseResults(readFileSync(path.join(WORKSPACE, PROJECTED), 'utf8')).rows;
    await wb.runCommand('Refusal Lens: Compare Results Files…');
    await wb.fileDialog('the first', path.join(WORKSPACE, 'prompts.results.jsonl'));
    await wb.fileDialog('the second', path.join(WORKSPACE, PROJECTED));
    const view = await frameWith('.ds-transition-table');
    const labelOf = (r: ResultRow | undefined) => (!r ? 'missing' : isErrorRow(r) ? 'error' : r.label);
    const counts = new Map<string, number>();
    let flipped = 0;
    for (const [id, a] of results) {
      const k = `${labelOf(a)}>${labelOf(after.get(id))}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      if (labelOf(a) !== labelOf(after.get(id))) flipped++;
    }
    const cells = await view.$$eval('.ds-transition-table td', (tds) => tds.map((td) => `${td.parentElement!.getAttribute('data-before')}>${td.getAttribute('data-after')}=${td.textContent}`));
    for (const c of cells) {
      const [k, n] = c.split('=') as [string, string];
      assert.equal(Number(n), counts.get(k) ?? 0, `transition ${k}`);
    }
    assert.match(await view.$eval('.ds-transition-table caption', (e) => e.textContent ?? ''), new RegExp(`${flipped} of 3 rows flipped`));
    // Per-row deltas: the Δ score column is after − before.
    for (const [id, a] of results) {
      const b = after.get(id);
      if (!b || isErrorRow(a) || isErrorRow(b)) continue;
      const d = await view.$eval(`.ds-row[data-id="${id}"] .ds-cell[data-key="d_score"]`, (e) => Number((e as HTMLElement).dataset.value));
      assert.ok(Math.abs(d - (b.refusalScore - a.refusalScore)) < 1e-9, `${id}: Δ score ${d}`);
    }
    await wb.screenshot('compared');
    await view.check('input[name="flippedOnly"]');
    await until('only the flipped rows', async () => (await rowIds(view)).length, (n) => n === flipped);
    await wb.screenshot('compared-flipped-only');
  });
});
