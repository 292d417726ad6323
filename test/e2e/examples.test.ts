// Every shipped example works from the VSIX (issue 14 item 1), and a bad model setting is
// recovered from without a restart (item 8): code-server with the packaged VSIX on an empty
// workspace, driven in headless Chromium. Open Examples copies the examples in; each prompt
// file is inspected and checked against the engine run in this process; the condition file
// runs as an ablation check and writes its receipt. Screenshots: test-artifacts/e2e-examples/.
// About 5 minutes on the shared 2-core machine (the ablation alone is ~30 s of engine time, the
// VSIX build and code-server's start ~80 s).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { loadConditionFile } from '../../src/engine/experiments/index';
import { parsePromptFile, toPromptInput } from '../../src/engine/prompts/index';
import { EXAMPLES_FOLDER } from '../../src/extension/examples';
import type { TraceResult } from '../../src/protocol/types';
import { CACHE, ROOT, buildVsix, ensureInstalled, findWorkerPids, startCodeServer, type CodeServer } from './codeServer';
import { loadDirection, loadModel } from '../../src/engine/index';
import { chooseModel, type E2eModel } from './model';
import { Workbench, openWorkbench, expectView } from './workbench';

const RUN = path.join(CACHE, 'run-examples');
const WORKSPACE = path.join(CACHE, 'ws-examples');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e-examples');
const EXAMPLES = path.join(WORKSPACE, EXAMPLES_FOLDER);
const SETTINGS = path.join(WORKSPACE, '.vscode', 'settings.json');
/** refusalLens.decoding.maxNewTokens's default: what a prompt file without decoding gets. */
const DEFAULT_MAX_NEW_TOKENS = 24;
const RPC_WORDING = /Request refusalLens|failed with message|-32603/;

let server: CodeServer | undefined;
let browser: Browser | undefined;
let wb: Workbench;
let model: E2eModel;
/** The shipped prompt files (names), those without interventions first, and the engine's run of each. */
let prompts: { name: string; hasInterventions: boolean; expected: TraceResult }[] = [];

/** What the extension will run for each file: the built-in model, all axes, the file's interventions (one model load). */
async function references(files: string[]): Promise<{ hasInterventions: boolean; expected: TraceResult }[]> {
  const m = await loadModel(model.folder);
  try {
    const axes = [];
    for (const f of model.axisFiles) axes.push(await loadDirection(f, m));
    const out = [];
    for (const file of files) {
      const parsed = parsePromptFile(readFileSync(file, 'utf8'), file, { nLayers: m.summary.layers });
      if (!parsed.prompt) throw new Error(`${file} does not parse: ${JSON.stringify(parsed.diagnostics)}`);
      const interventions = parsed.prompt.interventions ?? [];
      const decoding = { maxNewTokens: DEFAULT_MAX_NEW_TOKENS, ...parsed.prompt.decoding };
      out.push({ hasInterventions: interventions.length > 0, expected: await m.trace({ prompt: toPromptInput(parsed.prompt), axes, interventions, decoding }) });
    }
    return out;
  } finally {
    await m.dispose();
  }
}

/** Runs Rerun Prompt File until `settled` resolves (a settings change reaches the extension host asynchronously). */
async function rerunUntil(settled: () => Promise<unknown>, what: string, limitMs = 120_000): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    await wb.runCommand('Refusal Lens: Rerun Prompt File');
    try {
      await settled();
      return;
    } catch (e) {
      if (Date.now() > until) {
        await wb.screenshot(`failed-${what.replace(/\W+/g, '-')}`).catch(() => undefined);
        throw new Error(`waited ${limitMs / 1000} s for ${what}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
}

/** Quick open puts a file in the active group: keep the editors left of the inspector. */
async function openInFirstGroup(name: string): Promise<void> {
  await wb.page.locator('.monaco-workbench').click({ position: { x: 400, y: 5 } }).catch(() => undefined);
  await wb.page.keyboard.press('Control+1'); // View: Focus First Editor Group
  await wb.openFile(name);
}

describe('the VSIX examples in VS Code (code-server + Chromium)', { timeout: 15 * 60_000 }, () => {
  before(async () => {
    ensureInstalled();
    model = await chooseModel();
    const vsix = path.join(CACHE, 'vsix-examples.vsix');
    buildVsix(vsix);
    rmSync(WORKSPACE, { recursive: true, force: true });
    mkdirSync(path.dirname(SETTINGS), { recursive: true });
    writeFileSync(SETTINGS, '{}\n');
    server = await startCodeServer(RUN, vsix, WORKSPACE, model.settings);
    ({ browser, wb } = await openWorkbench(server.url, ARTIFACTS));
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  });

  test('Open Examples copies the examples into the workspace and opens the first prompt', async () => {
    await wb.runCommand('Refusal Lens: Open Examples');
    await wb.page.locator('.tab.active', { hasText: 'harmful-default.rlprompt' }).waitFor({ timeout: 90_000 });
    await wb.notification(`examples in ${EXAMPLES_FOLDER}/`, 60_000);
    const names = readdirSync(path.join(EXAMPLES, 'prompts')).filter((f) => f.endsWith('.rlprompt')).sort();
    assert.ok(names.length >= 4, `prompt files: ${names.join(', ')}`);
    assert.ok(existsSync(path.join(EXAMPLES, 'conditions', 'persona-gate.yaml')));
    // Interventions adopted from a file stay active for the next file without its own: plain files first.
    const refs = (await references(names.map((n) => path.join(EXAMPLES, 'prompts', n)))).map((r, i) => ({ name: names[i]!, ...r }));
    prompts = [...refs.filter((p) => !p.hasInterventions), ...refs.filter((p) => p.hasInterventions)];
    await wb.screenshot('examples-opened');
    await wb.clearNotifications();
  });

  test('the first example inspects as the engine runs it', async () => {
    const first = prompts.find((p) => p.name === 'harmful-default.rlprompt')!;
    await wb.runCommand('Refusal Lens: Inspect Prompt');
    await expectView(wb, first.expected, 'harmful-default');
    await wb.screenshot('harmful-default');
  });

  test('Export SVG asks where to save, proposing a file next to the prompt, and writes only there', async () => {
    await wb.inspector().locator('#export-svg').click();
    const dialog = wb.page.locator('.quick-input-widget');
    await dialog.locator('.quick-input-title', { hasText: 'Export' }).waitFor({ timeout: 20_000 });
    // The simple file dialog shows the folder first and fills in the proposed name a moment later.
    const input = dialog.locator('input').first();
    let proposed = '';
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      proposed = await input.inputValue();
      if (/\.svg$/.test(proposed)) break;
    }
    assert.match(proposed, /refusal-lens-examples\/prompts\/harmful-default\.trace\.svg$/);
    await wb.screenshot('export-dialog');
    await dialog.locator('input').first().press('Enter');
    const file = path.join(EXAMPLES, 'prompts', 'harmful-default.trace.svg');
    const deadline = Date.now() + 20_000;
    while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.match(readFileSync(file, 'utf8'), /<svg[\s>]/);
    assert.deepEqual(readdirSync(WORKSPACE).filter((f) => f.endsWith('.svg')), [], 'nothing written to the workspace root');
  });

  test('a model folder without config.json: one message with its actions; the setting removed, the rerun works without a restart', async () => {
    const first = prompts.find((p) => p.name === 'harmful-default.rlprompt')!;
    const pid = findWorkerPids(server!.extensionsDir);
    const bad = path.join(WORKSPACE, 'not-a-model');
    mkdirSync(bad, { recursive: true });
    writeFileSync(SETTINGS, JSON.stringify({ 'refusalLens.model.folder': bad }, null, 2) + '\n');
    // The settings file is watched; under load the change can take seconds to arrive: rerun until it has.
    const banner = wb.inspector().locator('div.error:not([hidden])');
    await rerunUntil(() => banner.waitFor({ timeout: 20_000 }), 'the bad setting to show its error');
    const text = (await banner.locator('.error-text').innerText()).trim();
    assert.match(text, /not-a-model/);
    assert.doesNotMatch(text, RPC_WORDING);
    assert.deepEqual(await banner.locator('.error-actions .error-action').allInnerTexts(), ['Open Settings', 'Select Model…', 'Use the Built-in Model']);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await wb.shownError(), undefined, 'the error is shown once: in the inspector, not also as a notification');
    await wb.screenshot('bad-model-folder');
    await banner.locator('.error-actions .error-action', { hasText: 'Open Settings' }).click();
    await wb.page.locator('.tab', { hasText: /Settings/ }).first().waitFor({ timeout: 20_000 });
    await wb.screenshot('open-settings');
    await wb.runCommand('View: Close Editor');

    writeFileSync(SETTINGS, '{}\n');
    // A successful run clears the banner (the heatmaps alone would still show the run before the error).
    await rerunUntil(() => wb.inspector().locator('div.error[hidden]').waitFor({ state: 'attached', timeout: 60_000 }), 'the fixed setting to run', 180_000);
    await expectView(wb, first.expected, 'recovered');
    assert.deepEqual(findWorkerPids(server!.extensionsDir), pid, 'the same engine process: no restart');
    await wb.page.locator('.statusbar-item', { hasText: 'organism' }).first().waitFor({ timeout: 20_000 });
    await wb.screenshot('recovered');
  });

  test('every other shipped prompt file inspects as the engine runs it', async () => {
    for (const p of prompts.filter((x) => x.name !== 'harmful-default.rlprompt')) {
      await openInFirstGroup(p.name);
      await wb.runCommand('Refusal Lens: Inspect Prompt');
      await expectView(wb, p.expected, p.name.replace(/\.rlprompt$/, ''));
      await wb.screenshot(p.name.replace(/\.rlprompt$/, ''));
    }
  });

  test('Run Ablation Check on the shipped condition file writes its receipt', async () => {
    const file = path.join(EXAMPLES, 'conditions', 'persona-gate.yaml');
    const plan = loadConditionFile(file);
    await openInFirstGroup('persona-gate.yaml');
    await wb.runCommand('Refusal Lens: Run Ablation Check');
    const deadline = Date.now() + 240_000;
    const receipt = path.join(EXAMPLES, 'conditions', 'receipt-persona-gate', 'receipt.json');
    while (!existsSync(receipt)) {
      const shown = await wb.shownError();
      if (shown) {
        await wb.screenshot('failed-ablation');
        assert.fail(`Run Ablation Check: the editor shows an error: ${shown}`);
      }
      if (Date.now() > deadline) assert.fail('no receipt after 4 minutes');
      await new Promise((r) => setTimeout(r, 1000));
    }
    await wb.notification('receipt written to', 60_000);
    const r = JSON.parse(readFileSync(receipt, 'utf8')) as { schema: string; conditions: { name: string }[] };
    assert.match(r.schema, /^refusal-lens\.receipt\//);
    assert.deepEqual(r.conditions.map((c) => c.name), plan.conditions.map((c) => c.name));
    await wb.page.locator('.tab', { hasText: 'Receipt:' }).first().waitFor({ timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 2000)); // the receipt page draws its charts
    await wb.screenshot('receipt');
  });
});
