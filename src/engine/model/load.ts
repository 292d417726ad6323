// Opening a model folder: config, tokenizer, the chosen ONNX graph, its hooked rewrite and
// the ONNX Runtime session(s). Weights are never read into JS: sessions open graphs by path,
// so external *.onnx_data files next to the graph are resolved by ONNX Runtime.

import { basename, resolve } from 'node:path';
import { checkpointGraph, type GraphForm } from '../checkpoint/index.js';
import { mibProgress } from '../checkpoint/progress.js';
import type { ProgressFn } from '../experiments/progress.js';
import { hookedModelPath, hookNames, sha256File, type HookInfo } from '../onnx/index.js';
import { userCacheDir } from '../onnx/user-cache.js';
import { LIMITS } from '../../protocol/limits.js';
import { assertRegularFile } from '../io/read.js';
import type { Device, DeviceReport } from '../../protocol/device.js';
import { checkDevice, openOnDevice } from '../device.js';
import { createSession, release, type SessionConfig } from '../runtime.js';
import { readModelConfig, type ModelConfig } from './config.js';
import { availableGraphs, checkModelDtype, isDir, selectGraph } from './files.js';
import type { ModelDtype, QuantScope } from '../../protocol/dtypes.js';
import { describeGraph, type GraphIO } from './graph.js';
import { loadTokenizer, type Tokenizer } from './tokenizer.js';

export interface LoadOptions {
  /** graph variant of an export (fp32, fp16, q4, q4f16, quantized), or what a checkpoint is built in (fp32, fp16, q8, q4); auto (default): fp32 on the CPU, fp16 or q4f16 where present on a GPU */
  dtype?: string;
  /** checkpoints at q8/q4: which weights are quantised (default: the decoder's linear layers and the lm_head) */
  quantize?: QuantScope;
  /** checkpoints at q8/q4: MatMulNBits accuracy_level, 4 (default: int8 activations, fast) or 0 (float32 activations, slow at q8) */
  accuracyLevel?: 0 | 4;
  /** intra-op threads (default: ONNX Runtime's choice) */
  threads?: number;
  /** where rewritten graphs go when the model folder is not writable (default: userCacheDir()) */
  cacheDir?: string;
  /** progress of building a safetensors checkpoint's graph (MiB of weights converted); not called when the build is cached */
  onProgress?: ProgressFn;
  /** cancels a checkpoint build; nothing half-written stays in the cache */
  signal?: AbortSignal;
  /**
   * where the sessions run: auto, cpu, webgpu, cuda, dml, coreml (src/engine/device.ts). The
   * library's default is cpu, so embedding code and tests get the same numbers on every machine;
   * the CLI and the extension default to auto.
   */
  device?: string;
  /** webgpu: keep the KV cache in device memory between decode steps (default true; false for A/B benchmarks) */
  kvOnDevice?: boolean;
  /** a checkpoint's graph form (standard ops or onnxruntime's fused contrib ops); not a user setting yet */
  graphForm?: GraphForm;
}

export interface LoadedModel {
  folder: string;
  name: string;
  config: ModelConfig;
  tokenizer: Tokenizer;
  dtype: ModelDtype;
  /** the source graph and its sha256 */
  graphPath: string;
  graphHash: string;
  /** the rewritten graph, and whether it came from the cache */
  hookedPath: string;
  hookCached: boolean;
  hookInfo: HookInfo;
  /**
   * Attention ops that cannot take left-padded rows (HookInfo.paddingUnsafeOps); when any,
   * batches hold prompts of one length only.
   */
  paddingUnsafeOps: readonly string[];
  hooked: GraphIO;
  /** the device the sessions run on, and why the others were not used */
  device: DeviceReport;
  /**
   * The graph that residuals() runs: the hooked one, or on a GPU the hooked graph on the CPU,
   * opened on first use (onnxruntime-node cannot read a tensor back from GPU memory, and the
   * GPU session keeps rl.resid.* there so traces do not copy every layer's residual stream).
   */
  residualGraph(): Promise<GraphIO>;
  /** the source graph's session, opened on first use (for comparisons and benchmarks) */
  unhooked(): Promise<GraphIO>;
  dispose(): Promise<void>;
}

export async function openModel(folderArg: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  if (typeof folderArg !== 'string' || folderArg === '') throw new Error('loadModel: a model folder path is needed');
  const folder = resolve(folderArg);
  if (!isDir(folder)) throw new Error(`model folder not found: ${folder}`);
  const autoDtype = opts.dtype === undefined || opts.dtype === 'auto';
  const dtypeAsked = autoDtype ? 'fp32' : checkModelDtype(opts.dtype!);
  const requested = checkDevice(opts.device ?? 'cpu');
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 0 && opts.threads <= LIMITS.threads)) {
    throw new Error(`loadModel: threads must be an integer from 0 to ${LIMITS.threads}, got ${JSON.stringify(opts.threads)}`);
  }
  const config = readModelConfig(folder);
  const tokenizer = await loadTokenizer(folder);
  const available = availableGraphs(folder);
  const opened = await openOnDevice(requested, async (device) => {
    // auto dtype: a GPU takes the fp16 (then q4f16) variant where the folder has one.
    const gpuDtype = autoDtype && device !== 'cpu' ? (['fp16', 'q4f16'] as const).find((d) => available.has(d)) : undefined;
    const want = gpuDtype ?? dtypeAsked;
    // a safetensors checkpoint without an ONNX graph: built into one (cached), then as any export
    const { dtype, path: graphPath } = (await checkpointGraph(folder, want, {
      ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
      ...(opts.quantize ? { quantize: opts.quantize } : {}),
      ...(opts.accuracyLevel !== undefined ? { accuracyLevel: opts.accuracyLevel } : {}),
      ...(opts.graphForm ? { form: opts.graphForm } : {}),
      ...buildProgress(opts),
    })) ?? selectGraph(folder, want);
    // Hashing a FIFO would block forever: the graph must be a regular file.
    assertRegularFile(graphPath, 'ONNX graph');
    const graphHash = await sha256File(graphPath);
    const hookOpts = {
      numLayers: config.numLayers,
      dModel: config.dModel,
      // A read-only model folder (a system install) still works: the graph goes to the user's cache.
      cacheDir: opts.cacheDir || userCacheDir(),
    };
    let hook = await hookedModelPath(graphPath, hookOpts);
    const sessionCfg = sessionConfig(opts, device, config.numLayers, true);
    let hookedSession: Awaited<ReturnType<typeof createSession>>;
    try {
      hookedSession = await createSession(hook.path, sessionCfg);
    } catch (e) {
      // A cached graph onnxruntime cannot open is rewritten once; a fresh one that fails is a real
      // error. Only on the CPU: a GPU that does not start is no reason to rewrite (auto tries the
      // CPU next, where a broken cache is repaired; a named GPU reports ONNX Runtime's reason).
      if (!hook.cached || device !== 'cpu') throw e;
      hook = await hookedModelPath(graphPath, { ...hookOpts, rebuild: true });
      hookedSession = await createSession(hook.path, sessionCfg);
    }
    return { dtype, graphPath, graphHash, hook, hookedSession };
  });
  const { dtype, graphPath, graphHash, hook, hookedSession } = opened.value;
  const hooked = describeGraph(hookedSession, hook.path, config);
  if (hooked.hookLayers !== config.numLayers) {
    await release(hookedSession);
    throw new Error(
      `${hook.path}: the hooked graph has rl.add inputs for ${hooked.hookLayers} layers but config.json says num_hidden_layers = ${config.numLayers}`,
    );
  }
  let unhooked: Promise<GraphIO> | undefined;
  let residual: Promise<GraphIO> | undefined;
  return {
    folder,
    name: basename(folder),
    config,
    tokenizer,
    dtype,
    graphPath,
    graphHash,
    hookedPath: hook.path,
    hookCached: hook.cached,
    hookInfo: hook.info,
    paddingUnsafeOps: hook.info.paddingUnsafeOps,
    hooked,
    device: opened.report,
    residualGraph() {
      if (opened.report.device === 'cpu') return Promise.resolve(hooked);
      residual ??= createSession(hook.path, sessionConfig(opts, 'cpu', config.numLayers, true)).then((s) => describeGraph(s, hook.path, config));
      return residual;
    },
    unhooked() {
      unhooked ??= createSession(graphPath, sessionConfig(opts, opened.report.device, config.numLayers, false)).then((s) => describeGraph(s, graphPath, config));
      return unhooked;
    },
    async dispose() {
      await release(hookedSession);
      if (unhooked) await release((await unhooked).session);
      if (residual) await release((await residual).session);
    },
  };
}

/** The checkpoint build's progress and cancellation, from LoadOptions. */
function buildProgress(opts: LoadOptions): { onProgress?: (done: number, total: number) => void; signal?: AbortSignal; form?: GraphForm } {
  return {
    ...(opts.graphForm ? { form: opts.graphForm } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: mibProgress('building the checkpoint graph (MiB converted)', opts.onProgress) } : {}),
  };
}

/** Session options for one device; on webgpu the KV cache (present.*) stays in device memory between steps. */
function sessionConfig(opts: LoadOptions, device: Device, numLayers: number, hooked: boolean): SessionConfig {
  const cfg: SessionConfig = { device };
  if (opts.threads) cfg.threads = opts.threads;
  if (device !== 'webgpu') return cfg;
  if (opts.kvOnDevice !== false) {
    cfg.deviceOutputs = Array.from({ length: numLayers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat();
  }
  // every layer's [batch, seq, d_model] residual would otherwise be copied to the host each run
  if (hooked) cfg.parkedOutputs = Array.from({ length: numLayers }, (_, i) => hookNames(i).outputNames.resid);
  return cfg;
}
