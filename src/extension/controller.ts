// The extension's state and its one workflow: pick a prompt, make sure the worker has the
// model and axes, run the baseline and the intervened run, and hand results to the view.
// Commands, the status bar and the inspector panel all go through this class.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AxisFile } from '../protocol/rpc';
import type { RunStopReason, RunSubject } from '../protocol/webview';
import { RERUN_DEBOUNCE_MS } from '../protocol/defaults';
import { interventionAxes, renameAxis } from '../protocol/interventions';
import { randomControlName, type AxisSummary, type DecodingOptions, type Intervention, type ModelSummary, type TokenEvent, type TraceResult } from '../protocol/types';
import { readSettings, resolvePath, type Settings } from './config';
import { EngineSession, type EngineTarget } from './engineSession';
import { resolveRunTarget } from '../engine/run-target';
import { readPromptAt, type LoadedPrompt, type PromptSource } from './promptFiles';
import { runSubject } from './subject';
import { confirmLoad } from './trust';
import { CancelledError, WorkerClient, WorkerDiedError } from './workerClient';
import { describeError, type UserError } from '../protocol/errors';
import { notifyError, showError } from './errors';

/** What the inspector panel needs from the controller; it implements this. */
export interface RunView {
  runStarted(axes: AxisSummary[], layers: number[], interventions: Intervention[]): void;
  tokens(event: TokenEvent): void;
  showRun(run: TraceResult, baseline: TraceResult | undefined, axes: AxisSummary[], model: ModelSummary, interventions: Intervention[], subject: RunSubject | undefined): void;
  setInterventions(interventions: Intervention[]): void;
  busy(busy: boolean, message?: string): void;
  /** the streaming run ended without a result; what streamed stays visible */
  runStopped(reason: RunStopReason): void;
  /** Shows a failure in the view's banner, with its actions. */
  error(e: UserError): void;
  /** Whether the view is on screen: a run's failure is shown there, else as a notification. */
  readonly visible: boolean;
}

/** A one-off control run: `axis` replaced by its norm-matched random direction with `seed`. */
export interface ControlRequest {
  axis: string;
  seed: number;
}

export interface ModelChoice {
  folder: string;
  dtype?: string;
}

export class Controller implements vscode.Disposable {
  readonly session: EngineSession;
  private _interventions: Intervention[] = [];
  private modelChoice: ModelChoice | undefined;
  private axesChoice: string[] | undefined;
  private lastSource: PromptSource | undefined;
  private lastPrompt: LoadedPrompt | undefined;
  private lastRun: TraceResult | undefined;
  private lastBaseline: TraceResult | undefined;
  private lastSubject: RunSubject | undefined;
  private baselineKey = '';
  private rerunTimer: ReturnType<typeof setTimeout> | undefined;
  /** A GPU the engine process died on: under device `auto`, later loads use the CPU (this window). */
  private crashedOn: string | undefined;
  private running: vscode.CancellationTokenSource | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the model, the interventions or the last run change. */
  readonly onDidChange = this.changed.event;
  view: RunView | undefined;

  constructor(
    readonly client: WorkerClient,
    readonly extensionPath: string,
    readonly log: vscode.LogOutputChannel,
    /** Where the engine caches rewritten graphs of read-only model folders (the installed extension's own). */
    private readonly cacheDir: string,
  ) {
    this.session = new EngineSession(client, (warnings) => {
      // A direction from another model of the same shape loads fine and reads out nonsense: say so.
      for (const w of warnings) this.log.warn(w);
      void vscode.window.showWarningMessage(`Refusal Lens: ${warnings.join(' · ')}`, 'Show Log').then((a) => a && this.log.show());
    });
  }

  dispose(): void {
    clearTimeout(this.rerunTimer);
    this.running?.cancel();
    this.changed.dispose();
  }

  get interventions(): Intervention[] {
    return this._interventions;
  }
  get model(): ModelSummary | undefined {
    return this.session.model;
  }
  /** The axes a user can name: the loaded ones less the random control of a control run. */
  get axes(): AxisSummary[] {
    return this.session.loadedAxes.filter((a) => !a.control);
  }
  get source(): PromptSource | undefined {
    return this.lastSource;
  }
  get run(): TraceResult | undefined {
    return this.lastRun;
  }
  get baseline(): TraceResult | undefined {
    return this.lastBaseline;
  }
  get subject(): RunSubject | undefined {
    return this.lastSubject;
  }
  /**
   * The engine process died. If it was running on a GPU under `auto` (a driver crash, a lost
   * device), the next runs go to the CPU rather than into the same crash; naming a device in
   * `refusalLens.engine.device` still forces it.
   */
  workerDied(): void {
    const device = this.session.model?.device;
    if (!device || device.device === 'cpu' || device.requested !== 'auto' || this.crashedOn) return;
    this.crashedOn = device.device;
    this.log.warn(`the engine died while running on ${device.device}: with device auto, the next runs use the CPU (set refusalLens.engine.device to ${device.device} to insist)`);
  }

  get builtinModelFolder(): string {
    return path.join(this.extensionPath, 'media', 'models', 'organism');
  }

  /**
   * Replaces the active interventions. With something on screen, the shown prompt reruns once the
   * changes stop for RERUN_DEBOUNCE_MS (the palette, the chips and the forms all come here); until
   * the new run arrives the inspector marks its view as of the previous settings.
   */
  setInterventions(list: Intervention[], opts: { rerun?: boolean } = {}): void {
    this._interventions = list;
    this.view?.setInterventions(list);
    this.changed.fire();
    if (opts.rerun !== false) this.scheduleRerun();
  }
  addIntervention(iv: Intervention): void {
    this.setInterventions([...this._interventions, iv]);
  }
  private scheduleRerun(): void {
    if (!this.lastSource) return;
    clearTimeout(this.rerunTimer);
    this.rerunTimer = setTimeout(() => {
      this.rerunTimer = undefined;
      void this.rerun();
    }, RERUN_DEBOUNCE_MS);
  }
  selectModel(choice: ModelChoice | undefined): void {
    this.modelChoice = choice;
    this.changed.fire();
  }
  selectAxes(files: string[] | undefined): void {
    this.axesChoice = files;
    this.changed.fire();
  }

  /** Model folder, dtype and axis files for a run: the user's pick, else the prompt file's, else settings, else built-in. */
  async target(settings: Settings, prompt: LoadedPrompt | undefined, control?: ControlRequest): Promise<EngineTarget> {
    // One order for the CLI and the editor (src/engine/run-target.ts): the user's pick, the prompt
    // file, the settings, then the built-in model and the model's shipped axes.
    const settingModel = settings.modelFolder ? (settings.modelFolder === 'builtin' ? 'builtin' : resolvePath(settings.modelFolder)) : undefined;
    const { folder, dtype, axisFiles: files } = resolveRunTarget({
      explicit: { ...(this.modelChoice ? { model: this.modelChoice.folder, ...(this.modelChoice.dtype ? { dtype: this.modelChoice.dtype } : {}) } : {}), ...(this.axesChoice ? { axes: this.axesChoice } : {}) },
      ...(prompt ? { prompt: { ...(prompt.model ? { model: prompt.model } : {}), ...(prompt.axes ? { axes: prompt.axes } : {}), dir: prompt.fileDir ?? '.' } } : {}),
      settings: { ...(settingModel ? { model: settingModel } : {}), dtype: settings.dtype, axes: settings.axesFiles.map(resolvePath) },
      builtinFolder: this.builtinModelFolder,
    });
    await confirmLoad('model folder', folder);
    for (const f of files) await confirmLoad('direction file', f);
    const axes: AxisFile[] = files.map((p) => ({ path: p }));

    const model: EngineTarget['model'] = { folder, cacheDir: settings.modelCacheDir ? resolvePath(settings.modelCacheDir) : this.cacheDir };
    if (dtype) model.dtype = dtype;
    if (settings.threads) model.threads = settings.threads;
    model.device = settings.device === 'auto' && this.crashedOn ? 'cpu' : settings.device;
    return { model, axes, ...(control ? { randomControls: [control] } : {}) };
  }

  /**
   * Runs the prompt at `source` with the active interventions (after adopting the file's own
   * interventions when `adoptFileInterventions`); with `control`, once with that axis replaced by
   * its norm-matched random direction in every intervention. Shows progress, cancellable; a new
   * run cancels the one before. Errors are shown to the user (and mark the inspector's previous
   * run stale), never thrown.
   */
  async inspect(source: PromptSource, opts: { adoptFileInterventions: boolean; control?: ControlRequest }): Promise<TraceResult | undefined> {
    clearTimeout(this.rerunTimer);
    this.rerunTimer = undefined;
    this.running?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.running = cts;
    const problems: string[] = [];
    const settings = readSettings(problems);
    for (const p of problems) this.log.warn(`settings: ${p}`);
    const failed = (message: string) => {
      this.view?.runStopped('failed');
      this.view?.error({ message, actions: [] });
    };
    try {
      let prompt = await readPromptAt(source, undefined, failed);
      if (!prompt) return undefined; // diagnostics and a message already say why
      this.lastSource = source;
      this.lastPrompt = prompt;
      const decoding: DecodingOptions = { maxNewTokens: settings.maxNewTokens, ...(prompt.decoding ?? {}) };
      const target = await this.target(settings, prompt, opts.control);
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Refusal Lens: ${prompt.label}${opts.control ? ' (random control)' : ''}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => cts.cancel());
          const step = (message: string) => {
            progress.report({ message });
            this.view?.busy(true, message);
          };
          step('starting engine');
          const { model, axes: loaded } = await this.session.prepare(target, cts.token, step);
          if (prompt!.needsLayerCount) {
            const again = await readPromptAt(source, model.layers);
            if (!again) throw new Error(`${prompt!.label}: its interventions do not fit this model (see Problems)`);
            prompt = again;
          }
          if (opts.adoptFileInterventions && prompt!.interventions) this.setInterventions(prompt!.interventions, { rerun: false });
          this.changed.fire();
          const requested = this._interventions;
          // A control run reads out the user's axes only, so its heatmaps line up with the real run's.
          const axes = loaded.filter((a) => !a.control);
          let interventions = requested;
          let control: RunSubject['control'];
          if (opts.control) {
            const { axis, seed } = opts.control;
            const name = randomControlName(axis, seed);
            if (!requested.some((iv) => interventionAxes(iv).includes(axis))) {
              throw new Error(`no active intervention uses ${axis}: add one (e.g. a steer along ${axis}) first; the control reruns it with a norm-matched random direction in place of ${axis}`);
            }
            interventions = requested.map((iv) => renameAxis(iv, axis, name));
            control = { axis, seed, name };
          }
          const lens = prompt!.logitLens ? { logitLens: prompt!.logitLens } : {};
          const key = JSON.stringify([model.graphHash, model.dtype, axes, prompt!.prompt, decoding, lens]);
          let baseline = key === this.baselineKey ? this.lastBaseline : undefined;
          if (!baseline || interventions.length === 0) {
            step('running baseline');
            baseline = await this.traceLive({ prompt: prompt!.prompt, interventions: [], decoding, axes: axes.map((a) => a.name), ...lens }, axes, model, cts.token);
            this.baselineKey = key;
            this.lastBaseline = baseline;
          }
          let run = baseline;
          if (interventions.length > 0) {
            step(`running ${control ? 'the random control' : `with ${interventions.length} intervention${interventions.length > 1 ? 's' : ''}`}`);
            run = await this.traceLive({ prompt: prompt!.prompt, interventions, decoding, axes: axes.map((a) => a.name), ...(prompt!.reference ? { reference: prompt!.reference } : {}), ...lens }, axes, model, cts.token);
          }
          this.lastRun = run;
          this.lastSubject = runSubject(prompt!, model, requested, control);
          this.log.info(`${prompt!.label}${control ? ` (control: ${control.name} for ${control.axis})` : ''}: ${run.label.label} (refusal score ${run.label.refusalScore.toFixed(3)}), ${run.timings.totalMs.toFixed(0)} ms`);
          this.view?.showRun(run, interventions.length ? baseline : undefined, this.axes, model, this._interventions, this.lastSubject); // ends busy
          this.changed.fire();
          return run;
        },
      );
    } catch (err) {
      if (err instanceof CancelledError || cts.token.isCancellationRequested) {
        this.view?.runStopped('cancelled');
        this.log.info('run cancelled');
        return undefined;
      }
      if (err instanceof WorkerDiedError) {
        // The death has its own notification (extension.ts, with Restart Engine): not a second one.
        this.view?.runStopped('failed');
        this.changed.fire();
        return undefined;
      }
      // One place per error: the inspector's banner when it shows this run, else a notification.
      const e = describeError(err);
      this.log.error(`run failed: ${e.message}`);
      this.view?.runStopped('failed');
      if (this.view?.visible) this.view.error(e);
      else notifyError(e);
      this.changed.fire(); // a failed load leaves no model: the status bar says so
      return undefined;
    } finally {
      if (this.running === cts) this.running = undefined;
      cts.dispose();
    }
  }

  /** Loads the model and axes a run would use, with progress; false (and a message shown) on failure. */
  async prepare(): Promise<boolean> {
    try {
      const target = await this.target(readSettings(), this.lastPrompt);
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Refusal Lens', cancellable: true },
        async (progress, token) => {
          await this.session.prepare(target, token, (message) => progress.report({ message }));
        },
      );
      this.changed.fire();
      return true;
    } catch (err) {
      this.changed.fire();
      if (err instanceof CancelledError || err instanceof WorkerDiedError) return false; // a death has its own notification
      showError(err, 'loading the model', this.log);
      return false;
    }
  }

  /** Runs again the last prompt, re-read from its file, with the active interventions (or once as their random control). */
  async rerun(control?: ControlRequest): Promise<TraceResult | undefined> {
    if (!this.lastSource) {
      void vscode.window.showInformationMessage('Refusal Lens: nothing to rerun yet: run "Inspect Prompt" on a prompt file first.');
      return undefined;
    }
    return this.inspect(this.lastSource, { adoptFileInterventions: false, ...(control ? { control } : {}) });
  }

  private async traceLive(
    req: { prompt: LoadedPrompt['prompt']; interventions: Intervention[]; decoding: DecodingOptions; axes: string[]; reference?: string; logitLens?: LoadedPrompt['logitLens'] },
    axes: AxisSummary[],
    model: ModelSummary,
    token: vscode.CancellationToken,
  ): Promise<TraceResult> {
    const layers = Array.from({ length: model.layers }, (_, i) => i);
    this.view?.runStarted(axes, layers, req.interventions);
    return this.session.trace(req, token, (e) => this.view?.tokens(e));
  }
}

