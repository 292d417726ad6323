// The worker's request handlers around the engine: one cached model, the loaded axes, and a
// queue so that only one engine call runs at a time (the engine's sessions are not re-entrant,
// and a cancelled run must finish unwinding before the next one starts).
import * as path from 'node:path';
import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc';
import {
  Encode,
  Hello,
  LoadAxes,
  LoadModel,
  ModelBuildProgress,
  PROTOCOL_VERSION,
  Shutdown,
  Trace,
  TraceToken,
  onRequest,
  sendNotification,
  type AxisFile,
  type LoadModelParams,
  type TraceParams,
} from '../protocol/rpc';
import { interventionAxes, type AxisSummary, type ModelSummary, type TokenEvent, type TraceResult } from '../protocol/types';
import { describeDevice, isDeviceSetting, DEVICES } from '../protocol/device';
import { registerExperiments } from './experiments';
import type { Logger } from './log';

// The engine is imported on first use: a worker whose onnxruntime fails to load still answers
// `hello` and reports the failure as the error of the request that needed it.
type Engine = typeof import('../engine/index.js');
type LoadOptions = NonNullable<Parameters<Engine['loadModel']>[1]>;
type LensModel = Awaited<ReturnType<Engine['loadModel']>>;
type Direction = Awaited<ReturnType<Engine['loadDirection']>>;

interface LoadedAxis {
  direction: Direction;
  summary: AxisSummary;
}

/** Error codes the host can tell apart (JSON-RPC server error range). */
export const ErrorCodes = { NoModel: -32001, BadRequest: -32002, Cancelled: -32800 } as const;

export class WorkerError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export class WorkerService {
  private engine: Engine | undefined;
  private model: LensModel | undefined;
  private modelKey = '';
  private loadOptions: LoadOptions = {};
  private readonly axes = new Map<string, LoadedAxis>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly conn: MessageConnection,
    private readonly log: Logger,
    private readonly exit: (code: number) => void,
  ) {}

  register(): void {
    onRequest(this.conn, Hello, () => ({ protocolVersion: PROTOCOL_VERSION, pid: process.pid, node: process.version }));
    onRequest(this.conn, LoadModel, (p, token) => this.serial(token, (signal) => this.loadModel(p, signal)));
    onRequest(this.conn, LoadAxes, (p, token) => this.serial(token, () => this.loadAxes(p.files, p.replace !== false)));
    onRequest(this.conn, Encode, (p, token) => this.serial(token, async () => this.requireModel().encode(p.prompt)));
    onRequest(this.conn, Trace, (p, token) => this.serial(token, (signal) => this.trace(p, signal)));
    registerExperiments({
      conn: this.conn,
      log: this.log,
      serial: (token, work) => this.serial(token, work),
      model: () => this.requireModel(),
      axes: () => new Map([...this.axes].map(([n, a]) => [n, a.direction])),
    });
    onRequest(this.conn, Shutdown, () => {
      this.log.info('shutdown requested');
      // Answer first, then leave: the host waits for the answer, not for the exit.
      setTimeout(() => this.exit(0), 20);
    });
  }

  /** Runs `work` after every earlier request; a cancellation before or during it aborts it. */
  private serial<R>(token: CancellationToken, work: (signal: AbortSignal) => Promise<R>): Promise<R> {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort(new WorkerError('cancelled', ErrorCodes.Cancelled)));
    const run = this.queue.then(async () => {
      if (abort.signal.aborted) throw new WorkerError('cancelled before it started', ErrorCodes.Cancelled);
      try {
        return await work(abort.signal);
      } catch (err) {
        await this.reopenAfterDeviceFailure();
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run.finally(() => sub.dispose()).catch((err: unknown) => {
      if (abort.signal.aborted) throw new WorkerError('cancelled', ErrorCodes.Cancelled);
      throw err;
    });
  }

  private async loadEngine(): Promise<Engine> {
    if (!this.engine) {
      const t0 = Date.now();
      this.engine = await import('../engine/index.js');
      this.log.info(`engine loaded in ${Date.now() - t0} ms`);
    }
    return this.engine;
  }

  private requireModel(): LensModel {
    if (!this.model) throw new WorkerError('no model loaded: send loadModel first', ErrorCodes.NoModel);
    return this.model;
  }

  private async loadModel(p: LoadModelParams, signal?: AbortSignal): Promise<ModelSummary> {
    if (typeof p?.folder !== 'string' || !path.isAbsolute(p.folder)) {
      throw new WorkerError(`loadModel: folder must be an absolute path, got ${JSON.stringify(p?.folder)}`, ErrorCodes.BadRequest);
    }
    const device = p.device ?? 'auto';
    if (!isDeviceSetting(device)) throw new WorkerError(`loadModel: device must be one of ${DEVICES.join(', ')}, got ${JSON.stringify(p.device)}`, ErrorCodes.BadRequest);
    const key = JSON.stringify([p.folder, p.dtype ?? '', p.threads ?? 0, device]);
    if (this.model && key === this.modelKey) return this.model.summary;
    const engine = await this.loadEngine();
    await this.disposeModel();
    const t0 = Date.now();
    this.log.info(`loading model ${p.folder}${p.dtype ? ` (${p.dtype})` : ''}`);
    const opts: LoadOptions = { device };
    if (p.dtype) opts.dtype = p.dtype;
    if (p.threads) opts.threads = p.threads;
    if (p.cacheDir) opts.cacheDir = p.cacheDir;
    if (signal) opts.signal = signal;
    opts.onProgress = (x) => void sendNotification(this.conn, ModelBuildProgress, { folder: p.folder, ...x });
    this.model = await engine.loadModel(p.folder, opts);
    this.loadOptions = opts;
    this.modelKey = key;
    const s = this.model.summary;
    this.log.info(`model ${s.name}: ${s.layers} layers, d_model ${s.dModel}, ${s.dtype}, loaded in ${Date.now() - t0} ms`);
    if (s.device) this.log.info(`device: ${describeDevice(s.device)}`);
    return s;
  }

  /**
   * After a run failed on a GPU (out of memory, device lost), its sessions may be unusable: the
   * model is opened again with the same options, which under `auto` now means the CPU (the
   * failed device is passed over). The loaded axes stay (same model). If that fails too, the
   * model is dropped and the next request says so.
   */
  private async reopenAfterDeviceFailure(): Promise<void> {
    const old = this.model;
    const device = old?.summary.device?.device;
    if (!old || !this.engine || !device || device === 'cpu' || !this.engine.failedDevices().has(device)) return;
    this.log.warn(`the ${device} device failed (${this.engine.failedDevices().get(device)}); reopening the model`);
    this.model = undefined;
    await Promise.resolve(old.dispose()).catch((e: unknown) => this.log.warn(`releasing the failed model: ${errorText(e)}`));
    try {
      this.model = await this.engine.loadModel(old.summary.folder, this.loadOptions);
      this.log.info(`device: ${describeDevice(this.model.summary.device!)}`);
    } catch (e) {
      this.log.error(`reopening the model failed: ${errorText(e)}`);
      this.axes.clear();
      this.modelKey = '';
    }
  }

  private async disposeModel(): Promise<void> {
    // Axes were checked against the previous model's shape: they go with it.
    this.axes.clear();
    const old = this.model as (LensModel & { dispose?: () => Promise<void> | void }) | undefined;
    this.model = undefined;
    this.modelKey = '';
    if (old?.dispose) await old.dispose();
  }

  private async loadAxes(files: AxisFile[], replace: boolean): Promise<AxisSummary[]> {
    if (!Array.isArray(files)) throw new WorkerError('loadAxes: files must be an array', ErrorCodes.BadRequest);
    const model = this.requireModel();
    const engine = await this.loadEngine();
    const loaded: LoadedAxis[] = [];
    for (const f of files) {
      if (typeof f?.path !== 'string' || !path.isAbsolute(f.path)) {
        throw new WorkerError(`loadAxes: path must be absolute, got ${JSON.stringify(f?.path)}`, ErrorCodes.BadRequest);
      }
      // Errors name the file: the host shows them as they are.
      let direction: Direction;
      try {
        // One bounded read (regular files only; size from the header); it also hashes the bytes.
        direction = await engine.loadDirection(f.path, model);
      } catch (err) {
        throw new WorkerError(`axis file ${f.path}: ${errorText(err)}`, ErrorCodes.BadRequest);
      }
      const name = f.name ?? direction.name;
      // Extracted under another chat template: a warning beside the graph-hash one (docs/vectors.md).
      const warnings = [...(direction.warnings ?? []), ...engine.renderWarnings(direction, { templateSha256: engine.chatTemplateSha256(model.loaded.tokenizer.chatTemplate) })];
      for (const w of warnings) this.log.warn(w);
      const summary: AxisSummary = { name, file: f.path, sha256: direction.sha256! };
      if (warnings.length) summary.warnings = warnings;
      loaded.push({ direction: { ...direction, name }, summary });
    }
    if (replace) this.axes.clear();
    for (const a of loaded) this.axes.set(a.summary.name, a);
    this.log.info(`axes: ${[...this.axes.keys()].join(', ') || '(none)'}`);
    return [...this.axes.values()].map((a) => a.summary);
  }

  private async trace(p: TraceParams, signal: AbortSignal): Promise<TraceResult> {
    const model = this.requireModel();
    const names = p.axes ?? [...this.axes.keys()];
    const axes = names.map((n) => {
      const a = this.axes.get(n);
      if (!a) throw new WorkerError(`unknown axis "${n}"; loaded: ${[...this.axes.keys()].join(', ') || '(none)'}`, ErrorCodes.BadRequest);
      return a.direction;
    });
    for (const iv of p.interventions ?? []) {
      const used = interventionAxes(iv);
      for (const n of used) {
        if (!this.axes.has(n)) throw new WorkerError(`intervention uses axis "${n}", which is not loaded`, ErrorCodes.BadRequest);
      }
    }
    // Interventions may use axes that are not read out: pass every loaded axis the engine may need.
    const extra = [...this.axes.values()].map((a) => a.direction).filter((d) => !names.includes(d.name));
    const t0 = Date.now();
    const result = await model.trace(
      { prompt: p.prompt, axes: [...axes, ...extra], interventions: p.interventions ?? [], decoding: p.decoding, ...(p.logitLens ? { logitLens: p.logitLens } : {}) },
      {
        signal,
        onToken: (event: TokenEvent) => {
          // Only the axes the host asked for, in its order.
          const ev = extra.length ? { ...event, projections: event.projections.slice(0, axes.length) } : event;
          void sendNotification(this.conn, TraceToken, { runId: p.runId, event: ev });
        },
      },
    );
    this.log.info(`trace ${p.runId}: ${result.tokens.length} tokens, label ${result.label.label} (${Date.now() - t0} ms)`);
    // Summaries carry the file and its hash, which only the worker knows.
    const summaries = names.map((n) => this.axes.get(n)!.summary);
    const projections = result.readouts.projections.slice(0, axes.length);
    return { ...result, axes: summaries, readouts: { ...result.readouts, projections }, projections };
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
