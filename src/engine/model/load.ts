// Opening a model folder: config, tokenizer, the chosen ONNX graph, its hooked rewrite and
// the ONNX Runtime session(s). Weights are never read into JS: sessions open graphs by path,
// so external *.onnx_data files next to the graph are resolved by ONNX Runtime.

import { basename, resolve } from 'node:path';
import { checkpointGraph, type GraphForm } from '../checkpoint/index.js';
import { mibProgress } from '../checkpoint/progress.js';
import type { ProgressFn } from '../experiments/progress.js';
import { hookedModelPath, sha256File, type HookInfo } from '../onnx/index.js';
import { userCacheDir } from '../onnx/user-cache.js';
import { LIMITS } from '../../protocol/limits.js';
import { assertRegularFile } from '../io/read.js';
import { createSession, release, type SessionConfig } from '../runtime.js';
import { readModelConfig, type ModelConfig } from './config.js';
import { checkDtype, isDir, selectGraph, type Dtype } from './files.js';
import { describeGraph, type GraphIO } from './graph.js';
import { loadTokenizer, type Tokenizer } from './tokenizer.js';

export interface LoadOptions {
  /** graph variant: fp32 (default), fp16, q4, q4f16, quantized */
  dtype?: string;
  /** intra-op threads (default: ONNX Runtime's choice) */
  threads?: number;
  /** where rewritten graphs go when the model folder is not writable (default: userCacheDir()) */
  cacheDir?: string;
  /** execution providers, default ['cpu'] */
  providers?: string[];
  /** progress of building a safetensors checkpoint's graph (MiB of weights converted); not called when the build is cached */
  onProgress?: ProgressFn;
  /** cancels a checkpoint build; nothing half-written stays in the cache */
  signal?: AbortSignal;
  /** a checkpoint's graph form (standard ops or onnxruntime's fused contrib ops); not a user setting yet */
  graphForm?: GraphForm;
}

export interface LoadedModel {
  folder: string;
  name: string;
  config: ModelConfig;
  tokenizer: Tokenizer;
  dtype: Dtype;
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
  /** the source graph's session, opened on first use (for comparisons and benchmarks) */
  unhooked(): Promise<GraphIO>;
  dispose(): Promise<void>;
}

export async function openModel(folderArg: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  if (typeof folderArg !== 'string' || folderArg === '') throw new Error('loadModel: a model folder path is needed');
  const folder = resolve(folderArg);
  if (!isDir(folder)) throw new Error(`model folder not found: ${folder}`);
  const dtypeAsked = checkDtype(opts.dtype ?? 'fp32');
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 0 && opts.threads <= LIMITS.threads)) {
    throw new Error(`loadModel: threads must be an integer from 0 to ${LIMITS.threads}, got ${JSON.stringify(opts.threads)}`);
  }
  const config = readModelConfig(folder);
  const tokenizer = await loadTokenizer(folder);
  // a safetensors checkpoint without an ONNX graph: built into one (cached), then as any export
  const { dtype, path: graphPath } = (await checkpointGraph(folder, dtypeAsked, opts.cacheDir, buildProgress(opts))) ?? selectGraph(folder, dtypeAsked);
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
  const sessionCfg: SessionConfig = {
    ...(opts.threads ? { threads: opts.threads } : {}),
    ...(opts.providers ? { providers: opts.providers } : {}),
  };
  let hookedSession: Awaited<ReturnType<typeof createSession>>;
  try {
    hookedSession = await createSession(hook.path, sessionCfg);
  } catch (e) {
    // A cached graph onnxruntime cannot open is rewritten once; a fresh one that fails is a real error.
    if (!hook.cached) throw e;
    hook = await hookedModelPath(graphPath, { ...hookOpts, rebuild: true });
    hookedSession = await createSession(hook.path, sessionCfg);
  }
  const hooked = describeGraph(hookedSession, hook.path, config);
  if (hooked.hookLayers !== config.numLayers) {
    await release(hookedSession);
    throw new Error(
      `${hook.path}: the hooked graph has rl.add inputs for ${hooked.hookLayers} layers but config.json says num_hidden_layers = ${config.numLayers}`,
    );
  }
  let unhooked: Promise<GraphIO> | undefined;
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
    unhooked() {
      unhooked ??= createSession(graphPath, sessionCfg).then((s) => describeGraph(s, graphPath, config));
      return unhooked;
    },
    async dispose() {
      await release(hookedSession);
      if (unhooked) await release((await unhooked).session);
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
