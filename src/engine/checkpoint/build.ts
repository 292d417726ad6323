// Building (once) and caching the ONNX graph of a checkpoint folder. A build folder holds
// model.onnx (structure only), hard links to the F32 shards it reads in place, the converted
// float32 data of F16/BF16 tensors, and build.json, written last: a folder without a matching
// build.json is never trusted. The hooked rewrite then goes next to model.onnx as for any export.
//
// Where: `<cacheDir>/checkpoints/<key12>/` when a cacheDir is given; else
// `<checkpoint>/.refusal-lens/<key12>/` when the checkpoint folder is writable; else the user
// cache (`$XDG_CACHE_HOME` or `~/.cache`, `/refusal-lens/checkpoints/<key12>/`).

import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { freemem } from 'node:os';
import * as path from 'node:path';
import { encodeModelParts } from '../onnx/proto.js';
import { userCacheRoot } from '../onnx/user-cache.js';
import { expectedTensors, readArch, type ArchSpec } from './arch.js';
import { buildDecoderGraph } from './build-decoder.js';
import { buildFusedDecoderGraph, type GraphForm } from './build-fused.js';
import { readCheckpointFiles, type CheckpointFiles, type TensorRef } from './files.js';
import { convertTensors, linkFiles, planWeights, type WeightPlan } from './weights.js';
import { writePartsAtomic } from '../io/atomic.js';

/** Bump whenever the built graph or the build folder's layout changes: part of the cache key. */
export const BUILDER_VERSION = 1;
export const COMPUTE_DTYPE = 'fp32';
/** The graph form built unless BuildOptions.form says otherwise: chosen by measurement (BENCHMARKS.md, "Checkpoint graph form"). */
export const DEFAULT_GRAPH_FORM: GraphForm = 'standard';
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

export interface CheckpointPlan {
  folder: string;
  files: CheckpointFiles;
  spec: ArchSpec;
  tensors: TensorRef[];
  plan: WeightPlan;
  /** stored dtypes of the tensors used, e.g. ['BF16'] */
  storedDtypes: string[];
  key: string;
  form: GraphForm;
}

export interface BuiltCheckpoint extends CheckpointPlan {
  dir: string;
  graphPath: string;
  cached: boolean;
  /** shard files that had to be copied (not hard-linked) */
  copied: string[];
}

/** Read and check everything a build needs, without writing anything. */
export async function planCheckpoint(folderArg: string, form: GraphForm = DEFAULT_GRAPH_FORM): Promise<CheckpointPlan> {
  const folder = path.resolve(folderArg);
  const files = readCheckpointFiles(folder);
  const spec = readArch(folder, files);
  const tensors = expectedTensors(spec).map((e) => files.tensors.get(e.name)!);
  const plan = planWeights(tensors);
  const h = createHash('sha256');
  h.update(await fsp.readFile(path.join(folder, 'config.json')));
  h.update(`\0refusal-lens-checkpoint/${BUILDER_VERSION}/${COMPUTE_DTYPE}${form === 'standard' ? '' : `/${form}`}\0`);
  for (const t of tensors) h.update(`${t.name}|${t.dtype}|${t.shape.join('x')}|${t.file}|${t.offset}|${t.length}\n`);
  // the files' identity too: weights re-saved with the same layout must not reuse a stale build
  for (const s of files.shards) {
    const real = await fsp.realpath(path.join(folder, s.file));
    const st = await fsp.stat(real);
    h.update(`${s.file}|${s.size}|${real}|${st.mtimeMs}|${st.ino}\n`);
  }
  return {
    folder, files, spec, tensors, plan,
    storedDtypes: [...new Set(tensors.map((t) => t.dtype))].sort(),
    key: h.digest('hex'),
    form,
  };
}

/** The build folder: see the header comment. Creates it. */
async function buildDir(p: CheckpointPlan, cacheDir?: string): Promise<string> {
  const key12 = p.key.slice(0, 12);
  if (cacheDir) {
    const dir = path.resolve(cacheDir, 'checkpoints', key12);
    await fsp.mkdir(dir, { recursive: true });
    return dir;
  }
  const inside = path.join(p.folder, '.refusal-lens', key12);
  try {
    await fsp.mkdir(inside, { recursive: true });
    await fsp.access(inside, fsp.constants.W_OK);
    return inside;
  } catch (e) {
    if (!NOT_WRITABLE.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
  const dir = path.join(userCacheRoot(), 'checkpoints', key12);
  await fsp.mkdir(dir, { recursive: true });
  return dir;
}

interface BuildJson {
  key: string;
  builderVersion: number;
  computeDtype: string;
  modelType: string;
}

async function isComplete(dir: string, key: string): Promise<boolean> {
  try {
    const j = JSON.parse(await fsp.readFile(path.join(dir, 'build.json'), 'utf8')) as BuildJson;
    if (j.key !== key || j.builderVersion !== BUILDER_VERSION) return false;
    await fsp.access(path.join(dir, 'model.onnx'));
    return true;
  } catch {
    return false;
  }
}

export interface BuildOptions {
  cacheDir?: string;
  onProgress?: (done: number, total: number) => void;
  /** bytes of memory available (default os.freemem(), which is MemAvailable on Linux) */
  freeMemory?: number;
  /** cancels the build between chunks; nothing half-written stays (every file is temp + rename) */
  signal?: AbortSignal;
  /** standard ops or onnxruntime's fused contrib ops (build-fused.ts); default DEFAULT_GRAPH_FORM */
  form?: GraphForm;
}

/**
 * Refuse before building or opening when the float32 weights cannot fit: onnxruntime holds them
 * once more while it folds the Transposes (measured peak: 1.65× the float32 weights on a 290 MiB
 * model, Node included), so 1.5× + 150 MiB must be available.
 */
export function checkMemory(p: CheckpointPlan, free: number): void {
  const fp32 = p.tensors.reduce((a, t) => a + (t.dtype === 'F32' ? t.length : 2 * t.length), 0);
  const need = 1.5 * fp32 + 150 * 2 ** 20;
  if (need <= free) return;
  const gib = (n: number) => (n < 2 ** 30 ? `${(n / 2 ** 20).toFixed(0)} MiB` : `${(n / 2 ** 30).toFixed(1)} GiB`);
  throw new Error(
    `checkpoint ${p.folder} needs about ${gib(need)} of memory to run in fp32 (${gib(fp32)} of float32 weights), ` +
      `${gib(free)} is available; fp32 is the only compute dtype built for checkpoints so far (no --dtype would fit): ` +
      'use a smaller model, free memory, or an ONNX export with q4/q8 weights',
  );
}

/** The built graph of a checkpoint folder: from the cache when complete, else built now. */
export async function buildCheckpoint(folder: string, opts: BuildOptions = {}): Promise<BuiltCheckpoint> {
  const p = await planCheckpoint(folder, opts.form);
  checkMemory(p, opts.freeMemory ?? freemem());
  let dir: string;
  try {
    dir = await buildDir(p, opts.cacheDir);
  } catch (e) {
    throw new Error(`cannot create the build folder for checkpoint ${p.folder}: ${(e as Error).message}`);
  }
  const graphPath = path.join(dir, 'model.onnx');
  if (await isComplete(dir, p.key)) return { ...p, dir, graphPath, cached: true, copied: [] };
  await checkDisk(dir, p.plan.convertedBytes);
  await fsp.rm(path.join(dir, 'build.json'), { force: true });
  try {
    if (opts.signal?.aborted) throw new Error('cancelled');
    const { copied } = await linkFiles(p.plan.linked, p.folder, dir);
    await convertTensors(p.plan, p.folder, dir, opts.onProgress, opts.signal);
    if (opts.signal?.aborted) throw new Error('cancelled');
    const model = p.form === 'fused' ? buildFusedDecoderGraph(p.spec, (name) => name, await maxPositions(p.folder)) : buildDecoderGraph(p.spec, (name) => name);
    model.graph.initializer = [
      ...p.tensors.filter((t, i, all) => all.findIndex((u) => u.name === t.name) === i).map((t) => {
        const pl = p.plan.placement.get(t.name)!;
        return {
          name: t.name, dims: t.shape, dataType: 1, dataLocation: 1,
          externalData: [
            { key: 'location', value: pl.location }, { key: 'offset', value: String(pl.offset) }, { key: 'length', value: String(pl.length) },
          ],
        };
      }),
      ...model.graph.initializer,
    ];
    await writePartsAtomic(graphPath, encodeModelParts(model));
    const info: BuildJson = { key: p.key, builderVersion: BUILDER_VERSION, computeDtype: COMPUTE_DTYPE, modelType: p.spec.modelType };
    await writePartsAtomic(path.join(dir, 'build.json'), [new TextEncoder().encode(JSON.stringify(info, null, 1) + '\n')]);
    return { ...p, dir, graphPath, cached: false, copied };
  } catch (e) {
    // a cancelled build leaves no cache entry behind (an entry is trusted only with build.json,
    // but its links and data files would still take space)
    if (opts.signal?.aborted && !(await isComplete(dir, p.key))) await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw new Error(`building the graph of checkpoint ${p.folder} in ${dir} failed: ${(e as Error).message}`);
  }
}

/** config.json's max_position_embeddings (the fused form's rotary tables cover it), default 4096 as readArch's. */
async function maxPositions(folder: string): Promise<number> {
  const c = JSON.parse(await fsp.readFile(path.join(folder, 'config.json'), 'utf8')) as { max_position_embeddings?: unknown };
  return typeof c.max_position_embeddings === 'number' ? c.max_position_embeddings : 4096;
}

async function checkDisk(dir: string, need: number): Promise<void> {
  if (!need) return;
  const st = await fsp.statfs(dir).catch(() => undefined);
  if (!st) return;
  const free = Number(st.bavail) * Number(st.bsize);
  if (free < need * 1.05) {
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
    throw new Error(`not enough disk space in ${dir} to convert the checkpoint's 16-bit weights to float32: needs ${gib(need)}, ${gib(free)} free (give another --cache-dir)`);
  }
}
