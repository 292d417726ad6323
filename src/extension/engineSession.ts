// What the worker has loaded, so each run sends only what changed. The state belongs to one
// worker process: a restarted worker (new generation) starts empty and everything is re-sent.
// No `vscode` import: tests use it with a real worker.
import { ErrorCodes, LoadAxes, LoadModel, ModelBuildProgress, Trace, type AxisFile, type LoadModelParams, type ModelBuildProgressParams } from '../protocol/rpc';
import { formatDuration } from '../engine/experiments/progress';
import type { AxisSummary, DecodingOptions, Intervention, ModelSummary, PromptInput, TokenEvent, TraceResult } from '../protocol/types';
import type { CancelToken, WorkerClient } from './workerClient';
import { promptSizeProblem } from '../protocol/limits';
import type { LogitLensOptions } from '../protocol/readouts';

export interface EngineTarget {
  model: LoadModelParams;
  axes: AxisFile[];
  /** Norm-matched random controls to load beside the axes (a control run of the inspector). */
  randomControls?: { axis: string; seed: number }[];
}

export interface TraceRequest {
  prompt: PromptInput;
  interventions: Intervention[];
  decoding: DecodingOptions;
  axes?: string[];
  /** The reference set (TraceParams.reference). */
  reference?: string;
  logitLens?: LogitLensOptions;
}

export class EngineSession {
  private generation = -2;
  private modelKey = '';
  private axesKey = '';
  private summary: ModelSummary | undefined;
  private axes: AxisSummary[] = [];
  private runs = 0;

  /** `onAxisWarnings` hears the warnings of freshly loaded axes (e.g. computed on another graph). */
  constructor(
    private readonly client: WorkerClient,
    private readonly onAxisWarnings?: (warnings: string[]) => void,
  ) {}

  get model(): ModelSummary | undefined {
    return this.summary;
  }
  get loadedAxes(): AxisSummary[] {
    return this.axes;
  }

  /** Loads the model and axes the target names, unless the live worker already has them. */
  async prepare(target: EngineTarget, token?: CancelToken, step?: (what: string) => void): Promise<{ model: ModelSummary; axes: AxisSummary[] }> {
    await this.client.ensureStarted(token);
    if (this.client.currentGeneration !== this.generation) {
      this.generation = this.client.currentGeneration;
      this.forget();
    }
    const modelKey = JSON.stringify(target.model);
    if (modelKey !== this.modelKey || !this.summary) {
      step?.(`loading model ${target.model.folder}`);
      // a checkpoint folder's first load builds its graph: the notification shows how far (cancellable there)
      const off = this.client.onNotification(ModelBuildProgress, (p) => {
        if (p.folder === target.model.folder) step?.(buildMessage(p));
      });
      // The worker frees its model before loading the next one: whatever happens now, what was
      // loaded is gone, so nothing is remembered until this load answers (a failed load, then a
      // fixed setting naming the old model again, must load it again rather than trust a stale key).
      this.forget();
      try {
        this.summary = await this.client.request(LoadModel, target.model, token);
      } finally {
        off();
      }
      this.modelKey = modelKey;
    }
    const controls = target.randomControls ?? [];
    const axesKey = JSON.stringify([target.axes, controls]);
    if (axesKey !== this.axesKey) {
      step?.('loading axes');
      this.axesKey = '';
      this.axes = [];
      // A failed load leaves the worker with no axes (it replaces them): nothing remembered either.
      this.axes = await this.client.request(LoadAxes, { files: target.axes, replace: true, ...(controls.length ? { randomControls: controls } : {}) }, token);
      this.axesKey = axesKey;
      const warnings = this.axes.flatMap((a) => a.warnings ?? []);
      if (warnings.length) this.onAxisWarnings?.(warnings);
    }
    return { model: this.summary, axes: this.axes };
  }

  /** Drops what the worker was known to hold; the next prepare loads the model and axes again. */
  forget(): void {
    this.modelKey = this.axesKey = '';
    this.summary = undefined;
    this.axes = [];
  }

  /** One traced run; `onTokens` sees the streamed tokens of this run only. */
  async trace(req: TraceRequest, token?: CancelToken, onTokens?: (e: TokenEvent) => void): Promise<TraceResult> {
    // Refused here, not in the worker: a 100 MB message alone costs seconds and memory on both sides of IPC.
    const tooBig = promptSizeProblem(req.prompt);
    if (tooBig) throw new Error(`prompt: ${tooBig}`);
    const runId = `run-${process.pid}-${++this.runs}`;
    const off = this.client.onTraceTokens(runId, (p) => onTokens?.(p.event));
    try {
      const params = { runId, prompt: req.prompt, interventions: req.interventions, decoding: req.decoding, ...(req.axes ? { axes: req.axes } : {}), ...(req.reference ? { reference: req.reference } : {}), ...(req.logitLens ? { logitLens: req.logitLens } : {}) };
      return await this.client.request(Trace, params, token);
    } catch (err) {
      // The worker lost its model (a GPU failure it could not recover from): load again next time.
      if ((err as { code?: unknown } | null)?.code === ErrorCodes.NoModel) this.forget();
      throw err;
    } finally {
      off();
    }
  }
}

/** "building the checkpoint graph (MiB converted) 120/300 (40%), about 1 min 05 s left" */
export function buildMessage(p: ModelBuildProgressParams): string {
  const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0;
  const eta = p.etaMs !== undefined && p.done < p.total ? `, about ${formatDuration(p.etaMs)} left` : '';
  return `${p.phase} ${p.done}/${p.total} (${pct}%)${eta}`;
}
