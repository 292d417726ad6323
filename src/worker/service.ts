// The worker's request handlers around the engine: one cached model, the loaded axes, and a
// queue so that only one engine call runs at a time (the engine's sessions are not re-entrant,
// and a cancelled run must finish unwinding before the next one starts).
import { createHash } from 'node:crypto';
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
  sendNotification,
  type AxisFile,
  type LoadModelParams,
  type TraceParams,
} from '../protocol/rpc';
import { interventionAxes } from '../protocol/interventions';
import { randomControlName, type AxisSummary, type ModelSummary, type TokenEvent, type TraceResult } from '../protocol/types';
import { describeDevice, isDeviceSetting, DEVICES } from '../protocol/device';
import { ErrorCodes } from '../protocol/errors';
import { errorText, handle, rpcError, toResponseError } from './errors';
import { registerExperiments } from './experiments';
import type { Logger } from './log';
import { existsSync } from 'node:fs';
import { referenceSpec } from '../engine/directions/reference';
import { builtinSetNames } from '../engine/experiments/dataset';

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

export class WorkerService {
  private engine: Engine | undefined;
  private model: LensModel | undefined;
  private modelKey = '';
  private loadOptions: LoadOptions = {};
  private readonly axes = new Map<string, LoadedAxis>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The folder whose load failed last (cleared by a successful load), for the "no model" message. */
  private lastLoadFailure: string | undefined;

  constructor(
    private readonly conn: MessageConnection,
    private readonly log: Logger,
    private readonly exit: (code: number) => void,
  ) {}

  register(): void {
    handle(this.conn, Hello, () => ({ protocolVersion: PROTOCOL_VERSION, pid: process.pid, node: process.version }));
    // loadModel and loadAxes name the folder or file themselves; what else escapes (the engine not loading) is the engine's.
    handle(this.conn, LoadModel, (p, token) => this.serial(token, (signal) => this.loadModel(p, signal)));
    handle(this.conn, LoadAxes, (p, token) => this.serial(token, () => this.loadAxes(p?.files, p?.replace !== false, p?.randomControls ?? [])));
    handle(this.conn, Encode, (p, token) => this.serial(token, async () => this.requireModel().encode(p?.prompt)), 'BadRequest');
    handle(this.conn, Trace, (p, token) => this.serial(token, (signal) => this.trace(p, signal)));
    registerExperiments({
      conn: this.conn,
      log: this.log,
      serial: (token, work) => this.serial(token, work),
      model: () => this.requireModel(),
      axes: () => new Map([...this.axes].map(([n, a]) => [n, a.direction])),
    });
    handle(this.conn, Shutdown, () => {
      this.log.info('shutdown requested');
      // Answer first, then leave: the host waits for the answer, not for the exit.
      setTimeout(() => this.exit(0), 20);
    });
  }

  /** Runs `work` after every earlier request; a cancellation before or during it aborts it. */
  private serial<R>(token: CancellationToken, work: (signal: AbortSignal) => Promise<R>): Promise<R> {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort(rpcError('Cancelled', 'cancelled')));
    const run = this.queue.then(async () => {
      if (abort.signal.aborted) throw rpcError('Cancelled', 'cancelled before it started');
      try {
        return await work(abort.signal);
      } catch (err) {
        await this.reopenAfterDeviceFailure();
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run.finally(() => sub.dispose()).catch((err: unknown) => {
      if (abort.signal.aborted) throw rpcError('Cancelled', 'cancelled');
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
    if (!this.model) throw rpcError('NoModel', this.lastLoadFailure ? `no model loaded: loading ${this.lastLoadFailure} did not succeed; load a model again` : 'no model loaded: send loadModel first');
    return this.model;
  }

  private async loadModel(p: LoadModelParams, signal?: AbortSignal): Promise<ModelSummary> {
    if (typeof p?.folder !== 'string' || !path.isAbsolute(p.folder)) {
      throw rpcError('BadRequest', `loadModel: folder must be an absolute path, got ${JSON.stringify(p?.folder)}`);
    }
    const device = p.device ?? 'auto';
    if (!isDeviceSetting(device)) throw rpcError('BadRequest', `loadModel: device must be one of ${DEVICES.join(', ')}, got ${JSON.stringify(p.device)}`);
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
    try {
      this.model = await engine.loadModel(p.folder, opts);
    } catch (err) {
      // The previous model is gone (freed above): later requests say which load failed.
      this.lastLoadFailure = p.folder;
      const e = toResponseError(err, 'ModelFolder');
      if (e.code === ErrorCodes.Cancelled) throw e;
      throw rpcError('ModelFolder', `model folder ${p.folder}: ${plainEngineMessage(errorText(err), p.folder)}`, { folder: p.folder });
    }
    this.lastLoadFailure = undefined;
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

  private async loadAxes(files: AxisFile[], replace: boolean, controls: { axis: string; seed: number }[]): Promise<AxisSummary[]> {
    if (!Array.isArray(files)) throw rpcError('BadRequest', 'loadAxes: files must be an array');
    if (!Array.isArray(controls)) throw rpcError('BadRequest', 'loadAxes: randomControls must be an array');
    const model = this.requireModel();
    const engine = await this.loadEngine();
    const loaded: LoadedAxis[] = [];
    for (const f of files) {
      if (typeof f?.path !== 'string' || !path.isAbsolute(f.path)) {
        throw rpcError('BadRequest', `loadAxes: path must be absolute, got ${JSON.stringify(f?.path)}`);
      }
      // Errors name the file: the host shows them as they are.
      let direction: Direction;
      try {
        // One bounded read (regular files only; size from the header); it also hashes the bytes.
        direction = await engine.loadDirection(f.path, model);
      } catch (err) {
        throw rpcError('AxisFile', `axis file ${f.path}: ${errorText(err)}`, { file: f.path });
      }
      const name = f.name ?? direction.name;
      // Extracted under another chat template: a warning beside the graph-hash one (docs/vectors.md).
      const warnings = [...(direction.warnings ?? []), ...engine.renderWarnings(direction, { templateSha256: engine.chatTemplateSha256(model.loaded.tokenizer.chatTemplate) })];
      for (const w of warnings) this.log.warn(w);
      const summary: AxisSummary = { name, file: f.path, sha256: direction.sha256! };
      if (warnings.length) summary.warnings = warnings;
      loaded.push({ direction: { ...direction, name }, summary });
    }
    // Random controls (the CLI's --random-control): made from an axis of this request or one already loaded.
    for (const c of controls) {
      const seed = c?.seed;
      if (typeof c?.axis !== 'string' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
        throw rpcError('BadRequest', `loadAxes: a random control needs an axis name and a whole-number seed, got ${JSON.stringify(c)}`);
      }
      const source = loaded.find((a) => a.summary.name === c.axis)?.direction ?? (replace ? undefined : this.axes.get(c.axis)?.direction);
      if (!source) throw rpcError('BadRequest', `random control: no axis named "${c.axis}" among ${loaded.map((a) => a.summary.name).join(', ') || '(none)'}`);
      const name = randomControlName(c.axis, seed);
      const control = engine.randomControl(source, seed, name);
      control.sha256 = createHash('sha256').update(Buffer.from(control.vectors.buffer, control.vectors.byteOffset, control.vectors.byteLength)).digest('hex');
      loaded.push({ direction: control, summary: { name, sha256: control.sha256, control: { of: c.axis, seed } } });
    }
    if (replace) this.axes.clear();
    for (const a of loaded) this.axes.set(a.summary.name, a);
    this.log.info(`axes: ${[...this.axes.keys()].join(', ') || '(none)'}`);
    return [...this.axes.values()].map((a) => a.summary);
  }

  /** A set name as a file or a user writes it (persona-default, builtin:NAME, a path) as the engine takes it. */
  private referenceOf(name: string): string {
    try {
      return referenceSpec(name, process.cwd(), builtinSetNames(), existsSync);
    } catch (e) {
      throw rpcError('BadRequest', `reference: ${(e as Error).message}`);
    }
  }

  private async trace(p: TraceParams, signal: AbortSignal): Promise<TraceResult> {
    const model = this.requireModel();
    const names = p.axes ?? [...this.axes.keys()];
    const axes = names.map((n) => {
      const a = this.axes.get(n);
      if (!a) throw rpcError('BadRequest', `unknown axis "${n}"; loaded: ${[...this.axes.keys()].join(', ') || '(none)'}`);
      return a.direction;
    });
    for (const iv of p.interventions ?? []) {
      const used = interventionAxes(iv);
      for (const n of used) {
        if (!this.axes.has(n)) throw rpcError('BadRequest', `intervention uses axis "${n}", which is not loaded`);
      }
    }
    // Interventions may use axes that are not read out: pass every loaded axis the engine may need.
    const extra = [...this.axes.values()].map((a) => a.direction).filter((d) => !names.includes(d.name));
    const t0 = Date.now();
    const result = await model.trace(
      { prompt: p.prompt, axes: [...axes, ...extra], interventions: p.interventions ?? [], decoding: p.decoding, ...(p.reference ? { reference: this.referenceOf(p.reference) } : {}), ...(p.logitLens ? { logitLens: p.logitLens } : {}) },
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

/** The engine's message without the folder it repeats at its start (the caller names it once). */
function plainEngineMessage(message: string, folder: string): string {
  for (const prefix of [`model folder ${folder}: `, `${folder}: `]) if (message.startsWith(prefix)) return message.slice(prefix.length);
  return message;
}
