// The only file in src/ that imports onnxruntime-node. Everything else talks to ONNX Runtime
// through these helpers, so session options, feed checking and tensor construction live in one
// place (same idea as transformers.js' backends/onnx.js).

import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Device } from '../protocol/device.js';
import { halfToFloat } from './half.js';

export type Session = ort.InferenceSession;
export type OrtTensor = ort.Tensor;
export type Feeds = Record<string, OrtTensor>;
export type TensorType = 'float32' | 'float16' | 'int64' | 'int32';

export interface SessionConfig {
  /** intra-op threads; 0 or absent lets ONNX Runtime choose. */
  threads?: number;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** the execution provider; default 'cpu' (src/engine/device.ts chooses it). */
  device?: Device;
  /** outputs returned in device memory (the KV cache's present.*), webgpu only: the caller disposes them */
  deviceOutputs?: readonly string[];
  /** outputs left in device memory and freed, never fetched (the hooked graph's rl.resid.*), webgpu only */
  parkedOutputs?: readonly string[];
}

export interface ValueInfo {
  name: string;
  type: string;
  /** numbers for fixed dims, strings for symbolic ones, [] when unknown. */
  shape: ReadonlyArray<number | string>;
}

export async function createSession(path: string, cfg: SessionConfig = {}): Promise<Session> {
  const device = cfg.device ?? 'cpu';
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [device],
    graphOptimizationLevel: cfg.optimization ?? 'all',
    // Sequential execution: the decode loop is latency-bound and inter-op threads only add
    // scheduling overhead on small graphs.
    executionMode: 'sequential',
    // ONNX Runtime keys its memory patterns by input shapes, and every decode step has a new
    // past length: the pattern is rebuilt each step and never reused. Off: 0.97–0.99× decode
    // step time at 1 thread, prefill unchanged within noise (BENCHMARKS.md; the probe, bench/probe-mempattern.mjs, is gone).
    enableMemPattern: false,
    // Idle worker threads must not spin: the engine shares its cores with the editor (and, in
    // batch work, other processes); spinning cost 1.6× per decode step at 2 threads under load
    // (BENCHMARKS.md) and gained nothing measurable at 1 thread.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
  if (cfg.threads && cfg.threads > 0) {
    opts.intraOpNumThreads = cfg.threads;
    opts.interOpNumThreads = 1;
  }
  if (device !== 'cpu') {
    // Every GPU session warns that shape ops stay on the CPU (by design): errors only.
    opts.logSeverityLevel = 3;
    const names = [...(cfg.deviceOutputs ?? []), ...(cfg.parkedOutputs ?? [])];
    if (device === 'webgpu' && names.length) {
      opts.preferredOutputLocation = Object.fromEntries(names.map((n) => [n, 'gpu-buffer' as const]));
    }
  }
  try {
    const fault = injectedFault('create', device);
    if (fault) throw new Error(fault);
    const s = await ort.InferenceSession.create(path, opts);
    sessionDevice.set(s, device);
    if (opts.preferredOutputLocation) deviceOutputs.set(s, new Set(cfg.deviceOutputs));
    return s;
  } catch (e) {
    throw new Error(`ONNX Runtime could not open ${path}${device === 'cpu' ? '' : ` on ${device}`}: ${(e as Error).message}`);
  }
}

// ───────────── devices: what the package offers, which session runs where, what failed ─────────────

const sessionDevice = new WeakMap<Session, Device>();
const deviceOutputs = new WeakMap<Session, Set<string>>();
const failed = new Map<Device, string>();

/** The device a session was opened on. */
export function deviceOf(session: Session): Device {
  return sessionDevice.get(session) ?? 'cpu';
}

/** Execution providers this onnxruntime-node build knows, and whether their binaries ship in the package. */
export function supportedBackends(): { name: string; bundled: boolean }[] {
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

/** The folder of the native binding for this platform (where the CUDA provider library lands when installed). */
export function bindingDir(): string {
  const root = dirname(dirname(require.resolve('onnxruntime-node')));
  return join(root, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Devices whose runs failed in this process, with the message: `auto` passes them over afterwards. */
export function failedDevices(): ReadonlyMap<Device, string> {
  return failed;
}

/**
 * Test hook: REFUSAL_LENS_TEST_DEVICE_FAULT=create:<device> or run:<device> makes session creation or
 * every run on that device fail as a lost device would (test/integration/device-failure.test.ts).
 */
function injectedFault(when: 'create' | 'run', device: Device): string | undefined {
  const f = process.env.REFUSAL_LENS_TEST_DEVICE_FAULT;
  if (f && f === `${when}:${device}`) return `injected ${when} fault on ${device} (REFUSAL_LENS_TEST_DEVICE_FAULT)`;
  return undefined;
}

export function inputInfo(session: Session): ValueInfo[] {
  return valueInfo(session.inputNames, session.inputMetadata);
}

export function outputInfo(session: Session): ValueInfo[] {
  return valueInfo(session.outputNames, session.outputMetadata);
}

function valueInfo(
  names: readonly string[],
  meta: readonly ort.InferenceSession.ValueMetadata[] | undefined,
): ValueInfo[] {
  return names.map((name, i) => {
    const m = meta?.[i];
    if (m && m.isTensor) return { name, type: m.type, shape: m.shape };
    return { name, type: 'unknown', shape: [] };
  });
}

// Sets of names per session, built once: feed checking runs on every decode step.
const nameSets = new WeakMap<Session, { inputs: Set<string>; outputs: Set<string> }>();

function namesOf(session: Session): { inputs: Set<string>; outputs: Set<string> } {
  let s = nameSets.get(session);
  if (!s) {
    s = { inputs: new Set(session.inputNames), outputs: new Set(session.outputNames) };
    nameSets.set(session, s);
  }
  return s;
}

/**
 * Check feeds and fetches against the session's declared inputs and outputs.
 * ONNX Runtime's own message names one missing input at a time; this lists all of them.
 */
export function checkRun(session: Session, feeds: Feeds, fetches: readonly string[], what = 'model'): void {
  const { inputs, outputs } = namesOf(session);
  let keys = 0;
  let unknown: string[] | undefined;
  for (const k in feeds) {
    keys++;
    if (!inputs.has(k)) (unknown ??= []).push(k);
  }
  let badFetch: string[] | undefined;
  for (const f of fetches) if (!outputs.has(f)) (badFetch ??= []).push(f);
  if (keys === inputs.size && !unknown && !badFetch) return;
  const missing = session.inputNames.filter((n) => !(n in feeds));
  const parts: string[] = [];
  if (missing.length) parts.push(`missing input${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  if (unknown) parts.push(`unknown input${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  if (badFetch) parts.push(`unknown output${badFetch.length > 1 ? 's' : ''}: ${badFetch.join(', ')}`);
  if (!parts.length) return;
  throw new Error(
    `${what}: cannot run: ${parts.join('; ')} (the graph takes ${session.inputNames.join(', ')})`,
  );
}

/** Run after checking every feed and fetch name; returns only the fetched outputs. */
export async function run(
  session: Session,
  feeds: Feeds,
  fetches: readonly string[],
  what = 'model',
): Promise<Record<string, OrtTensor>> {
  checkRun(session, feeds, fetches, what);
  const device = deviceOf(session);
  try {
    const fault = device === 'cpu' ? undefined : injectedFault('run', device);
    if (fault) throw new Error(fault);
    const keep = deviceOutputs.get(session);
    if (!keep) return await session.run(feeds, fetches as string[]);
    return fetched(await session.run(feeds, session.outputNames), fetches, keep);
  } catch (e) {
    const msg = (e as Error).message;
    if (device === 'cpu') throw new Error(`${what}: ONNX Runtime failed: ${msg}`);
    // Out of device memory, a lost device, a driver fault: the session may be unusable now.
    failed.set(device, msg);
    throw new Error(
      `${what}: ONNX Runtime failed on ${device}: ${msg}. The device may be out of memory or lost; ` +
        `the model is reloaded for the next run, and with device auto it runs on the CPU (or set the device to cpu: --device cpu, refusalLens.engine.device).`,
    );
  }
}

/**
 * The fetched outputs of a run that asked for every output; the others are freed.
 * onnxruntime-node 1.30 applies preferredOutputLocation by position in the fetch list, not by
 * name, and a run that fetches a subset fails at the next shape change ("The output OrtValue
 * provided for output 'present.0.value' has shape …"): sessions with device outputs always fetch
 * the whole list, in the session's order. Its Tensor.getData() on a gpu-buffer output aborts the
 * process ("terminate called after throwing an instance of 'char const*'"), so device outputs
 * are only ever fed back, never read: anything else in device memory is an error here.
 */
function fetched(out: Record<string, OrtTensor>, fetches: readonly string[], keep: ReadonlySet<string>): Record<string, OrtTensor> {
  const want = new Set(fetches);
  const res: Record<string, OrtTensor> = {};
  for (const [name, t] of Object.entries(out)) {
    if (want.has(name)) res[name] = t;
    else if (onDevice(t)) dispose(t);
  }
  for (const name of fetches) {
    if (onDevice(res[name]) && !keep.has(name)) throw new Error(`output ${name} came back in device memory, where it cannot be read`);
  }
  return res;
}

/** Whether a tensor lives in device memory (a KV cache kept on the GPU): it must be disposed. */
export function onDevice(t: OrtTensor | undefined): boolean {
  return t !== undefined && t.location !== 'cpu' && t.location !== 'cpu-pinned';
}

export function floatTensor(data: Float32Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('float32', data, dims);
}

/** fp16 payload as raw IEEE half bits (Node 20 has no Float16Array). */
export function halfTensor(data: Uint16Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('float16', data, dims);
}

export function int64Tensor(data: BigInt64Array | readonly number[], dims: readonly number[]): OrtTensor {
  const arr = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (x) => BigInt(x));
  return new ort.Tensor('int64', arr, dims);
}

export function int32Tensor(data: Int32Array | readonly number[], dims: readonly number[]): OrtTensor {
  const arr = data instanceof Int32Array ? data : Int32Array.from(data);
  return new ort.Tensor('int32', arr, dims);
}

/** Integer tensor in whichever integer type the graph declares for that input. */
export function intTensor(type: string, data: readonly number[] | Int32Array, dims: readonly number[]): OrtTensor {
  if (type === 'int32') return int32Tensor(data, dims);
  if (type === 'int64' || type === 'unknown') return int64Tensor(Array.from(data), dims);
  throw new Error(`integer input of unsupported type ${type}`);
}

/** A KV-cache input with a 0-length past axis, e.g. dims [batch, kv_heads, 0, head_dim]. */
export function emptyTensor(type: 'float32' | 'float16', dims: readonly number[]): OrtTensor {
  if (dims.reduce((a, b) => a * b, 1) !== 0) throw new Error(`emptyTensor: dims ${dims.join('x')} are not empty`);
  return type === 'float16' ? halfTensor(new Uint16Array(0), dims) : floatTensor(new Float32Array(0), dims);
}

/** Read a float tensor (float32 or float16) into float32, optionally only [offset, offset+length). */
export function readFloats(t: OrtTensor, offset = 0, length?: number): Float32Array {
  const n = length ?? t.size - offset;
  if (t.type === 'float32') return (t.data as Float32Array).subarray(offset, offset + n);
  if (t.type === 'float16') {
    const src = t.data as Uint16Array;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = halfToFloat(src[offset + i]!);
    return out;
  }
  throw new Error(`expected a float tensor, got ${t.type}`);
}

/** Free a result tensor's native memory now rather than at garbage collection. */
export function dispose(t: OrtTensor | undefined): void {
  try {
    t?.dispose();
  } catch {
    // tensors that wrap JS memory have nothing to free
  }
}

export async function release(session: Session | undefined): Promise<void> {
  if (session) await session.release();
}
