// Every command in one table of small factories (id → handler built from the shared deps).
// Handlers take optional arguments so CodeLenses, tests and keybindings can call them
// without the interactive prompts.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseLayerSpec } from '../engine/prompts/layers';
import { VECTOR_EXTENSIONS } from '../engine/directions/formats/index';
import { exportAxis } from './exportAxis';
import { boundOrder, interventionProblems, isPositions, POSITION_LABELS, POSITIONS, type Intervention, type Positions } from '../protocol/interventions';
import { DEFAULT_STEER_POSITIONS, DEFAULT_STEER_TEXT } from '../protocol/defaults';
import { readSettings, resolvePath } from './config';
import type { Controller } from './controller';
import { experiments } from './experiments/index';
import { InspectorPanel } from './inspectorPanel';
import { hfHubDir, listModels, modelFolderProblem, type ModelCandidate } from './models';
import { formatBytes } from './hubCache';
import { promptSourceFromEditor, type PromptSource } from './promptFiles';
import { interventionSummary } from './statusBar';
import { notifyError, showError } from './errors';
import { copyExamples, EXAMPLES_FOLDER, type CopiedExamples } from './examples';
import { parseCoefficientText, parsePercentile, type CapBound, type PercentileBound } from '../protocol/reference';

export interface Deps {
  ctx: vscode.ExtensionContext;
  controller: Controller;
  log: vscode.LogOutputChannel;
}

type Factory = (d: Deps) => (...args: unknown[]) => unknown;

async function showAndRun(d: Deps, source: PromptSource, adopt: boolean): Promise<unknown> {
  InspectorPanel.show(d.ctx, d.controller);
  return d.controller.inspect(source, { adoptFileInterventions: adopt });
}

/** After an intervention change: rerun when there is something on screen to compare. */
async function rerunIfShown(d: Deps): Promise<void> {
  if (d.controller.source) {
    InspectorPanel.show(d.ctx, d.controller);
    await d.controller.rerun();
  }
}

/**
 * After an intervention change: the controller reruns the shown prompt (debounced); bring the
 * inspector forward so the user sees the view marked stale, then the new run.
 */
function revealIfShown(d: Deps): void {
  if (d.controller.source) InspectorPanel.show(d.ctx, d.controller);
}

const POSITION_ITEMS = POSITIONS.map((p) => ({ label: p, description: POSITION_LABELS[p], positions: p }));

async function askPositions(title: string, preferred: Positions): Promise<Positions | undefined> {
  const items = [...POSITION_ITEMS].sort((a, b) => Number(b.positions === preferred) - Number(a.positions === preferred));
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: `Token positions (default ${preferred})` });
  return pick?.positions;
}

/** A cap bound as typed: empty means open; otherwise a finite number or a percentile of the reference set (p25). */
function parseBound(text: string): CapBound | undefined | 'bad' {
  const t = text.trim();
  if (t === '') return undefined;
  if (parsePercentile(t) !== undefined) return t as PercentileBound;
  const v = Number(t);
  return Number.isFinite(v) ? v : 'bad';
}

/** Adds an intervention the registry finds sound for the loaded model and axes (coefficient and bound ranges included); else says why. */
function addChecked(d: Deps, iv: Intervention): boolean {
  const problem = interventionProblems(iv, { nLayers: d.controller.model?.layers, axes: d.controller.axes.map((a) => a.name) })[0];
  if (problem) void vscode.window.showErrorMessage(`Refusal Lens: ${problem.message}`);
  else d.controller.addIntervention(iv);
  return !problem;
}

/** Loaded axes (loading the model first when needed); undefined when that failed. */
async function loadedAxes(d: Deps): Promise<string[] | undefined> {
  const ok = await d.controller.prepare();
  if (!ok) return undefined;
  const names = d.controller.axes.map((a) => a.name);
  if (names.length === 0) {
    void vscode.window.showWarningMessage('Refusal Lens: no axes are loaded. Use "Select Axes…" to pick direction files.');
    return undefined;
  }
  return names;
}

async function askLayers(d: Deps, prompt: string): Promise<number[] | undefined> {
  const n = d.controller.model?.layers ?? 0;
  const text = await vscode.window.showInputBox({
    title: prompt,
    prompt: `Layers, 0-based: "all", "2-5" or "1,3,5" (the model has ${n} layers)`,
    value: 'all',
    validateInput: (v) => {
      try {
        parseLayerSpec(v, n);
        return undefined;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
  });
  return text === undefined ? undefined : parseLayerSpec(text, n);
}

const table: Record<string, Factory> = {
  'refusalLens.inspectPrompt': (d) => async (uri?: unknown, line?: unknown) => {
    const source = uri instanceof vscode.Uri ? { uri, ...(typeof line === 'number' ? { line } : {}) } : promptSourceFromEditor(vscode.window.activeTextEditor);
    if (!source) {
      void vscode.window.showInformationMessage('Refusal Lens: open a .rlprompt file or a .jsonl dataset (cursor on a line) to inspect it.');
      return undefined;
    }
    return showAndRun(d, source, true);
  },

  'refusalLens.rerunPromptFile': (d) => async () => {
    if (!d.controller.source) {
      const source = promptSourceFromEditor(vscode.window.activeTextEditor);
      if (source) return showAndRun(d, source, true);
    }
    InspectorPanel.show(d.ctx, d.controller);
    return d.controller.rerun();
  },

  'refusalLens.steer': (d) => async (axisArg?: unknown, coefArg?: unknown, layersArg?: unknown, positionsArg?: unknown) => {
    const axes = await loadedAxes(d);
    if (!axes) return;
    const axis = typeof axisArg === 'string' ? axisArg : (await vscode.window.showQuickPick(axes, { title: 'Steer: axis', placeHolder: 'Add a multiple of this direction' }));
    if (!axis) return;
    if (!axes.includes(axis)) return void notifyError({ message: `unknown axis "${axis}"; loaded: ${axes.join(', ')}`, actions: ['selectAxes'] });
    let coef = typeof coefArg === 'number' ? { coefficient: coefArg } : typeof coefArg === 'string' ? parseCoefficientText(coefArg) : undefined;
    if (coef === undefined) {
      const text = await vscode.window.showInputBox({
        title: `Steer along ${axis}: coefficient`,
        prompt: `With n, a multiple of the layer's mean residual norm on the reference set (${DEFAULT_STEER_TEXT} at the prompt's positions is specific on the built-in model); a plain number multiplies the stored direction (1 = one difference of means). Negative subtracts it.`,
        value: DEFAULT_STEER_TEXT,
        validateInput: (v) => (parseCoefficientText(v) ? undefined : `a norm multiple such as ${DEFAULT_STEER_TEXT}, or a number such as 0.25 or -0.5`),
      });
      if (text === undefined) return;
      coef = parseCoefficientText(text)!;
    }
    const layers = Array.isArray(layersArg) ? parseLayerSpec(layersArg as number[], d.controller.model?.layers) : await askLayers(d, `Steer along ${axis}: layers`);
    if (!layers) return;
    const positions = isPositions(positionsArg) ? positionsArg : layersArg !== undefined ? DEFAULT_STEER_POSITIONS : await askPositions(`Steer along ${axis}: positions`, DEFAULT_STEER_POSITIONS);
    if (!positions) return;
    if (addChecked(d, { kind: 'steer', axis, ...coef, layers, ...(positions !== 'all' ? { positions } : {}) })) revealIfShown(d);
  },

  'refusalLens.projectOut': (d) => async (axesArg?: unknown, layersArg?: unknown) => {
    const axes = await loadedAxes(d);
    if (!axes) return;
    let chosen: string[] | undefined = Array.isArray(axesArg) ? (axesArg as string[]) : typeof axesArg === 'string' ? [axesArg] : undefined;
    if (!chosen) {
      const items = axes.map((a) => ({ label: a, axes: [a] }));
      if (axes.length > 1) items.push({ label: axes.join(' + '), axes });
      const pick = await vscode.window.showQuickPick(items, { title: 'Project out: axis', placeHolder: 'Remove this direction from the residual stream' });
      chosen = pick?.axes;
    }
    if (!chosen) return;
    const unknown = chosen.filter((a) => !axes.includes(a));
    if (unknown.length) return void notifyError({ message: `unknown axis ${unknown.join(', ')}; loaded: ${axes.join(', ')}`, actions: ['selectAxes'] });
    const layers = Array.isArray(layersArg) ? parseLayerSpec(layersArg as number[], d.controller.model?.layers) : await askLayers(d, `Project out ${chosen.join(' + ')}: layers`);
    if (!layers) return;
    if (addChecked(d, { kind: 'project_out', axes: chosen, layers })) revealIfShown(d);
  },

  'refusalLens.cap': (d) => async (axisArg?: unknown, loArg?: unknown, hiArg?: unknown, layersArg?: unknown, positionsArg?: unknown) => {
    const axes = await loadedAxes(d);
    if (!axes) return;
    const axis = typeof axisArg === 'string' ? axisArg : await vscode.window.showQuickPick(axes, { title: 'Cap: axis', placeHolder: 'Clamp the projection on this direction' });
    if (!axis) return;
    if (!axes.includes(axis)) return void vscode.window.showErrorMessage(`Refusal Lens: unknown axis "${axis}"; loaded: ${axes.join(', ')}`);
    const scripted = layersArg !== undefined;
    const boundArg = (x: unknown): CapBound | undefined => (typeof x === 'number' ? x : typeof x === 'string' && parsePercentile(x) !== undefined ? (x as PercentileBound) : undefined);
    let lo = boundArg(loArg);
    let hi = boundArg(hiArg);
    if (!scripted) {
      const ask = async (which: 'lower' | 'upper', other?: CapBound) => {
        const text = await vscode.window.showInputBox({
          title: `Cap ${axis}: ${which} bound`,
          prompt: `The projection r·v̂ is kept ${which === 'lower' ? 'at or above' : 'at or below'} this value: a number, or a percentile of the axis' projections on the reference set at each layer (p25); leave empty for no ${which} bound`,
          value: '',
          validateInput: (v) => {
            const b = parseBound(v);
            if (b === 'bad') return 'a number, a percentile such as p25, or empty for no bound';
            if (which === 'upper' && b === undefined && other === undefined) return 'give at least one bound';
            if (which === 'upper' && b !== undefined && other !== undefined && typeof b === typeof other && boundOrder(b) < boundOrder(other)) return `the upper bound must be ≥ the lower bound (${other})`;
            return undefined;
          },
        });
        if (text === undefined) return 'cancel' as const;
        return parseBound(text) as CapBound | undefined;
      };
      const l = await ask('lower');
      if (l === 'cancel') return;
      const h = await ask('upper', l);
      if (h === 'cancel') return;
      lo = l;
      hi = h;
    }
    if (lo === undefined && hi === undefined) return void vscode.window.showErrorMessage('Refusal Lens: a cap needs a lower bound, an upper bound or both.');
    if (lo !== undefined && hi !== undefined && lo > hi) return void vscode.window.showErrorMessage(`Refusal Lens: the cap's lower bound ${lo} is above its upper bound ${hi}.`);
    const layers = Array.isArray(layersArg) ? parseLayerSpec(layersArg as number[], d.controller.model?.layers) : await askLayers(d, `Cap ${axis}: layers`);
    if (!layers) return;
    const positions = isPositions(positionsArg) ? positionsArg : scripted ? 'all' : await askPositions(`Cap ${axis}: positions`, 'all');
    if (!positions) return;
    if (addChecked(d, { kind: 'cap', axis, ...(lo !== undefined ? { lo } : {}), ...(hi !== undefined ? { hi } : {}), layers, ...(positions !== 'all' ? { positions } : {}) })) revealIfShown(d);
  },

  'refusalLens.clearInterventions': (d) => async () => {
    if (!d.controller.interventions.length) return;
    d.controller.setInterventions([]);
    revealIfShown(d);
  },

  'refusalLens.selectModel': (d) => async (folderArg?: unknown) => {
    const settings = readSettings();
    if (typeof folderArg === 'string') {
      // 'builtin' (the error action "Use the Built-in Model"): overrides a bad setting for this window.
      const folder = folderArg === 'builtin' ? d.controller.builtinModelFolder : folderArg;
      const problem = modelFolderProblem(folder);
      if (problem) return void showError(problem);
      d.controller.selectModel({ folder });
      if (folderArg === 'builtin') d.controller.selectAxes(undefined);
      return rerunIfShown(d);
    }
    const { models, problems } = listModels(d.controller.builtinModelFolder, settings.extraModelFolders.map(resolvePath), hfHubDir());
    for (const p of problems) d.log.warn(p);
    type Item = vscode.QuickPickItem & { model?: ModelCandidate; browse?: true };
    const sourceText = { builtin: 'built-in', settings: 'from settings', 'hf-cache': 'Hugging Face cache' } as const;
    const what = (m: ModelCandidate) =>
      [
        sourceText[m.source],
        m.format === 'checkpoint' ? `safetensors${m.storedDtype ? ` ${m.storedDtype}` : ''}, built in ${m.dtypes.join(', ')}` : m.dtypes.join(', '),
        m.sizeBytes !== undefined ? formatBytes(m.sizeBytes) : '',
      ].filter(Boolean).join(' · ');
    const items: Item[] = models.map((m) => ({ label: m.label, description: what(m), detail: m.folder, model: m }));
    items.push({ label: '$(folder-opened) Browse for a model folder…', browse: true });
    const pick = await vscode.window.showQuickPick(items, { title: 'Select Model', placeHolder: 'ONNX exports and safetensors checkpoints found on this machine (offline)', matchOnDetail: true });
    if (!pick) return;
    let folder = pick.model?.folder;
    let dtypes = pick.model?.dtypes ?? [];
    if (pick.browse) {
      const uris = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Model folder (config.json, tokenizer.json, and onnx/*.onnx or *.safetensors)' });
      if (!uris?.[0]) return;
      folder = uris[0].fsPath;
      const problem = modelFolderProblem(folder);
      if (problem) return void showError(problem);
      dtypes = listModels(undefined, [folder], '').models[0]?.dtypes ?? [];
    }
    if (!folder) return;
    let dtype: string | undefined;
    if (dtypes.length > 1) {
      dtype = await vscode.window.showQuickPick(dtypes, { title: `dtype for ${path.basename(folder)}` });
      if (!dtype) return;
    }
    d.controller.selectModel({ folder, ...(dtype ? { dtype } : {}) });
    d.controller.selectAxes(undefined); // axes belong to a model: back to the new model's own
    await rerunIfShown(d);
  },

  'refusalLens.selectAxes': (d) => async (filesArg?: unknown) => {
    let files: string[] | undefined = Array.isArray(filesArg) ? (filesArg as string[]) : undefined;
    if (!files) {
      type Item = vscode.QuickPickItem & { files?: string[] | null; browse?: true };
      const settings = readSettings();
      const items: Item[] = [{ label: "The model's shipped axes", description: 'axes/*.safetensors in the model folder', files: null }];
      if (settings.axesFiles.length) items.push({ label: 'Axes from settings', description: settings.axesFiles.join(', '), files: settings.axesFiles.map(resolvePath) });
      items.push({ label: '$(file) Browse for direction files…', browse: true });
      const pick = await vscode.window.showQuickPick(items, { title: 'Select Axes' });
      if (!pick) return;
      if (pick.browse) {
        const uris = await vscode.window.showOpenDialog({ canSelectMany: true, filters: { 'Vector files': [...VECTOR_EXTENSIONS] }, title: 'Direction files (.safetensors, .pt, .npy, .gguf, vector.yaml)' });
        if (!uris?.length) return;
        files = uris.map((u) => u.fsPath);
      } else {
        files = pick.files ?? undefined;
        d.controller.selectAxes(files);
        return rerunIfShown(d);
      }
    }
    d.controller.selectAxes(files);
    await rerunIfShown(d);
  },

  'refusalLens.restartEngine': (d) => async () => {
    await d.controller.client.kill();
    try {
      await d.controller.client.ensureStarted();
      void vscode.window.showInformationMessage('Refusal Lens: engine restarted.');
    } catch (err) {
      showError(err, 'starting the engine', d.log);
    }
  },

  'refusalLens.openExamples': (d) => async (folderArg?: unknown) => {
    const ws = vscode.workspace.workspaceFolders?.[0];
    let parent = typeof folderArg === 'string' ? folderArg : ws?.uri.scheme === 'file' ? ws.uri.fsPath : undefined;
    if (!parent) {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: `Folder to copy the examples into (as ${EXAMPLES_FOLDER}/)` });
      if (!picked?.[0]) return undefined;
      parent = picked[0].fsPath;
    }
    const dest = path.join(parent, EXAMPLES_FOLDER);
    let res: CopiedExamples;
    try {
      res = copyExamples(d.ctx.extensionPath, dest);
    } catch (err) {
      showError(err, 'copying the examples', d.log);
      return undefined;
    }
    d.log.info(`examples: ${res.written.length} file(s) written to ${dest}, ${res.kept.length} already there (left as they were)`);
    const first = res.prompts[0];
    if (first) await vscode.window.showTextDocument(vscode.Uri.file(first), { preview: false });
    const kept = res.kept.length ? `; ${res.kept.length} already there, left as they were` : '';
    const cond = res.conditions[0];
    void vscode.window
      .showInformationMessage(
        `Refusal Lens: examples in ${EXAMPLES_FOLDER}/ (${res.prompts.length} prompt files, ${res.conditions.length} condition file${res.conditions.length === 1 ? '' : 's'}${kept}). Inspect Prompt runs the open prompt file.`,
        ...(first ? ['Inspect Prompt'] : []),
        ...(cond ? ['Run Ablation Check'] : []),
      )
      .then((a) => {
        if (a === 'Inspect Prompt' && first) void vscode.commands.executeCommand('refusalLens.inspectPrompt', vscode.Uri.file(first));
        if (a === 'Run Ablation Check' && cond) void vscode.commands.executeCommand('refusalLens.runAblation', vscode.Uri.file(cond));
      });
    return res;
  },

  'refusalLens.showLog': (d) => () => d.log.show(),
  'refusalLens.exportAxis': (d) => (uri?: unknown) => exportAxis(d.controller.model, uri),

  // Experiments (src/extension/experiments): each takes an optional file (Uri or path).
  'refusalLens.annotateDataset': (d) => (uri?: unknown) => experiments().annotate(uri),
  'refusalLens.showAnnotationSummary': (d) => (uri?: unknown) => experiments().showSummary(uri),
  'refusalLens.runAblation': (d) => (uri?: unknown) => experiments().ablate(uri),
  'refusalLens.showReceipt': (d) => (uri?: unknown) => experiments().showReceipt(uri),
  'refusalLens.openDatasetView': (d) => (uri?: unknown) => experiments().openDatasetView(uri),
  'refusalLens.compareResults': (d) => (a?: unknown, b?: unknown) => experiments().compareResults(a, b),

  /** Not in the palette: lists the active interventions as text (used by tests and the status bar tooltip). */
  'refusalLens.listInterventions': (d) => () => d.controller.interventions.map((iv: Intervention) => interventionSummary(iv)),
};

export function registerCommands(d: Deps): vscode.Disposable[] {
  return Object.entries(table).map(([id, make]) => vscode.commands.registerCommand(id, make(d)));
}

export const COMMAND_IDS = Object.keys(table);
