// End to end in a real VS Code: code-server (pinned) with the packaged VSIX installed, driven
// in headless Chromium. Inspect the sample prompt, project out an axis through the commands,
// kill the engine's process, and check each step against the engine run in this process.
// Screenshots of every step go to test-artifacts/e2e/. Installs what it needs on first run
// (test/e2e/setup.sh, about two minutes), then takes well under three minutes.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TraceResult } from '../../src/protocol/types';
import { inlineText, parseResults } from '../../src/extension/experiments/results';
import { ARTIFACTS, CACHE, ROOT, buildVsix, ensureInstalled, findWorkerPids, startCodeServer, type CodeServer } from './codeServer';
import { chooseModel, promptOf, referenceRuns, type E2eModel } from './model';
import { Workbench, openWorkbench, expectView as expectViewOf } from './workbench';
import { swiftShaderSkip } from '../integration/device-swiftshader';

const PROMPT_FILE = 'refusal.rlprompt';
const MAX_NEW_TOKENS = 12; // the sample workspace's setting
const RUN = path.join(CACHE, 'run');
const WORKSPACE = path.join(CACHE, 'workspace');
const TOLERANCE = 1e-3;

let server: CodeServer | undefined;
let browser: Browser | undefined;
let wb: Workbench;
let model: E2eModel;
let baseline: TraceResult;
let projected: TraceResult;
let steered: TraceResult;
let resaved: TraceResult;
let webgpuSkip: string | false = 'not checked';
const RESAVED_TOKENS = 5;
const STEER_COEFFICIENT = 0.25;

/** Waits until every axis's heatmap shows exactly `expected`'s layers × tokens and values (workbench.ts). */
const expectView = (expected: TraceResult, what: string, timeout = 90_000) => expectViewOf(wb, expected, what, timeout, TOLERANCE);

describe('Refusal Lens in VS Code (code-server + Chromium)', { timeout: 20 * 60_000 }, () => {
  before(async () => {
    ensureInstalled();
    model = await chooseModel();
    const vsix = path.join(CACHE, 'refusal-lens-e2e.vsix');
    buildVsix(vsix);
    // A fresh copy: the test must not write into the repository's sample workspace.
    rmSync(WORKSPACE, { recursive: true, force: true });
    cpSync(path.join(ROOT, 'test', 'fixtures', 'workspace'), WORKSPACE, { recursive: true });
    const wsSettings = path.join(WORKSPACE, '.vscode', 'settings.json');
    writeFileSync(wsSettings, readFileSync(wsSettings, 'utf8').replace(/\n\}\s*$/, ',\n  "refusalLens.rerunOnSave": true\n}\n'));
    const { prompt, decoding } = promptOf(readFileSync(path.join(WORKSPACE, PROMPT_FILE), 'utf8'), MAX_NEW_TOKENS);
    const po = [{ kind: 'project_out' as const, axes: [model.projectAxis], layers: [] as number[] }];
    [baseline] = await referenceRuns(model, prompt, decoding, [[]]);
    po[0]!.layers = baseline!.layers;
    [, projected] = await referenceRuns(model, prompt, decoding, [[], po]);
    const steer = [{ kind: 'steer' as const, axis: model.steerAxis, coefficient: STEER_COEFFICIENT, layers: baseline!.layers }];
    [steered] = await referenceRuns(model, prompt, decoding, [steer]);
    // the prompt file saved with a shorter generation, rerun with the steer still active
    [resaved] = await referenceRuns(model, prompt, { ...decoding, maxNewTokens: RESAVED_TOKENS }, [steer]);

    // Points Vulkan at SwiftShader in the environment code-server (and so the engine) inherits;
    // auto never picks a software driver, so the steps before the webgpu one run on the CPU.
    webgpuSkip = swiftShaderSkip();
    server = await startCodeServer(RUN, vsix, WORKSPACE, model.settings);
    ({ browser, wb } = await openWorkbench(server.url, ARTIFACTS));
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  });

  test('Inspect Prompt shows L × T heatmaps and the label the engine gives', async () => {
    await wb.openFile(PROMPT_FILE);
    await wb.screenshot('prompt-file');
    await wb.runCommand('Refusal Lens: Inspect Prompt');
    await expectView(baseline, 'inspect');
    await wb.screenshot('inspected');
  });

  test('Project Out through the commands changes the view as the engine says', async () => {
    // The projected axis reads ~0 after the intervention: the view must change.
    assert.ok(baseline.projections.some((ax) => ax.some((row) => row.some((v) => Math.abs(v) > 1e-3))));
    await wb.runCommand('Refusal Lens: Project Out');
    await wb.pick(model.projectAxis, 'Project out');
    await wb.input('layers');
    await expectView(projected, 'project-out');
    const heading = await wb.inspector().locator('div.current h2').innerText();
    assert.match(heading, /with interventions/);
    await wb.screenshot('projected-out');
  });

  test('killing the worker shows the cause, and the next run succeeds', async () => {
    const pids = findWorkerPids(server!.extensionsDir);
    assert.equal(pids.length, 1, `expected one worker process, found ${pids.join(', ') || 'none'}`);
    process.kill(pids[0]!, 'SIGKILL');
    const message = await wb.notification('Refusal Lens engine stopped');
    assert.match(message, /SIGKILL/);
    await new Promise((r) => setTimeout(r, 600)); // let the toast finish fading in for the screenshot
    await wb.screenshot('worker-killed');
    await wb.clearNotifications();
    await wb.runCommand('Refusal Lens: Rerun Prompt File');
    await expectView(projected, 'rerun-after-kill');
    const now = findWorkerPids(server!.extensionsDir);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], pids[0]);
    await wb.screenshot('rerun-after-kill');
  });

  test('Clear Interventions, then Steer… from the palette: the view follows the engine', async () => {
    await wb.runCommand('Refusal Lens: Clear Interventions');
    await expectView(baseline, 'cleared');
    // the steer must move the readouts, or following the engine would prove nothing
    const moved = steered.projections.some((ax, a) => ax.some((row, l) => row.some((v, t) => Math.abs(v - (baseline.projections[a]![l]![t] ?? v)) > 1e-2)));
    assert.ok(moved, 'the steer changes the projections');
    await wb.runCommand('Refusal Lens: Steer…');
    await wb.pick(model.steerAxis, 'Steer: axis');
    await wb.input('coefficient', String(STEER_COEFFICIENT));
    await wb.input('layers'); // the default: all
    await wb.pick('all', 'positions'); // the reference run steers every position
    await expectView(steered, 'steer');
    await wb.screenshot('steered');
  });

  test('with rerunOnSave, saving the inspected prompt file reruns it as the file now says', async () => {
    assert.notEqual(resaved.tokens.length, steered.tokens.length, 'the edit changes the run');
    await wb.openFile(PROMPT_FILE);
    await wb.replaceAndSave(PROMPT_FILE, '"maxNewTokens": 12', `"maxNewTokens": ${RESAVED_TOKENS}`);
    await expectView(resaved, 'rerun-on-save');
    await wb.screenshot('rerun-on-save');
  });

  test('a broken prompt file gets a diagnostic at its line and field, and Inspect says where', async () => {
    await wb.openFile('broken.rlprompt');
    await wb.page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 20_000 });
    await wb.runCommand('Refusal Lens: Inspect Prompt');
    const message = await wb.notification('broken.rlprompt has 1 problem');
    assert.match(message, /line 7, decoding\.maxNewTokens/);
    await new Promise((r) => setTimeout(r, 600));
    await wb.screenshot('broken-prompt');
  });

  test('Annotate Dataset writes the results next to the dataset and shows each line its label and projections', async () => {
    await wb.openFile('prompts.jsonl');
    await wb.runCommand('Refusal Lens: Annotate Dataset');
    const resultsFile = path.join(WORKSPACE, 'prompts.results.jsonl');
    const lenses = wb.page.locator('.monaco-editor .codelens-decoration a', { hasText: ' · score ' });
    const deadline = Date.now() + 90_000;
    let shown: string[] = [];
    while (Date.now() < deadline) {
      shown = (await lenses.allInnerTexts().catch(() => [])).map((t) => t.trim());
      if (shown.length === 3) break;
      const error = await wb.shownError();
      if (error) assert.fail(`Annotate Dataset: the editor shows an error: ${error}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await wb.screenshot('annotated-dataset');
    // Lens text, top to bottom, is each dataset row's result (matched by id) as the results file holds it.
    const rows = parseResults(readFileSync(resultsFile, 'utf8')).rows;
    assert.deepEqual([...rows.keys()], ['harm-1', 'benign-1', 'chat-1']);
    assert.deepEqual(shown, [...rows.values()].map((r) => inlineText(r)));
    assert.ok([...rows.values()].every((r) => 'projections' in r && Object.keys(r.projections).length > 0), 'rows carry projections');
  });

  test('with refusalLens.engine.device = webgpu (SwiftShader here), the rerun shows the CPU run within tolerance and the status bar names the device', async (t) => {
    if (webgpuSkip) return t.skip(webgpuSkip);
    const wsSettings = path.join(WORKSPACE, '.vscode', 'settings.json');
    writeFileSync(wsSettings, readFileSync(wsSettings, 'utf8').replace(/\n\}\s*$/, ',\n  "refusalLens.engine.device": "webgpu"\n}\n'));
    await wb.openFile(PROMPT_FILE);
    // the statusbar shows the CPU before the switch: the check below must see it change
    await wb.page.locator('.statusbar-item', { hasText: ' · cpu' }).first().waitFor({ timeout: 20_000 });
    await wb.runCommand('Refusal Lens: Rerun Prompt File');
    // same steer, same 5 tokens: the engine's CPU run, to 1e-3 (SwiftShader measured ≤ 3e-4 relative)
    await expectView(resaved, 'webgpu', 240_000);
    await wb.page.locator('.statusbar-item', { hasText: ' · webgpu' }).first().waitFor({ timeout: 20_000 });
    await wb.screenshot('webgpu');
  });
});
