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
import { buildDecoderGraph, type QuantWeight } from './build-decoder.js';
import { DT, type TensorProto } from '../onnx/proto.js';
import { buildFusedDecoderGraph, type GraphForm } from './build-fused.js';
import { readCheckpointFiles, type CheckpointFiles, type TensorRef } from './files.js';
import { CHECKPOINT_DTYPES, QUANT_SCOPES, type CheckpointDtype, type QuantScope } from '../../protocol/dtypes.js';
import { blobSize, kBlocks, zpStride } from './quantize.js';
import { convertTensors, CONVERTED_FILE, linkFiles, planWeights, type Placement, type WeightForm, type WeightPlan } from './weights.js';
import { writePartsAtomic } from '../io/atomic.js';

/** Bump whenever the built graph or the build folder's layout changes: part of the cache key. */
export const BUILDER_VERSION = 1;
/** the default compute dtype */
export const COMPUTE_DTYPE = 'fp32';
/** q8/q4 block size along K: see README ("Checkpoint dtypes") for why 32 */
export const QUANT_BLOCK = 32;
export const DEFAULT_QUANT_SCOPE: QuantScope = 'layers+head';
/**
 * MatMulNBits accuracy_level of q8/q4 builds: 4 lets onnxruntime quantise the activations to int8
 * per block and use its integer kernels (measured: an 8-bit MatMulNBits at level 0 falls back to
 * dequantising the whole weight on every call, ~40× slower than float32 MatMul; 4-bit ~2.5×
 * faster at level 4 than at 0). 0 keeps float32 activations: the build is then exactly the fp32
 * build of its dequantised weights (what the reference checks use).
 */
export const DEFAULT_ACCURACY_LEVEL = 4;
/** The graph form built unless BuildOptions.form says otherwise: chosen by measurement (BENCHMARKS.md, "Checkpoint graph form"). */
export const DEFAULT_GRAPH_FORM: GraphForm = 'standard';
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);
const LINEAR = /\.(?:q|k|v|o|qkv|gate|up|down|gate_up)_proj\.weight$/;

export interface PlanOptions {
  /** compute dtype (default fp32) */
  dtype?: CheckpointDtype;
  /** q8/q4: which weights are quantised (default DEFAULT_QUANT_SCOPE) */
  quantize?: QuantScope;
  /** q8/q4: MatMulNBits accuracy_level, 0 or 4 (default DEFAULT_ACCURACY_LEVEL) */
  accuracyLevel?: 0 | 4;
  /** standard ops or onnxruntime's fused contrib ops (build-fused.ts); default DEFAULT_GRAPH_FORM */
  form?: GraphForm;
}

export interface CheckpointPlan {
  folder: string;
  files: CheckpointFiles;
  spec: ArchSpec;
  tensors: TensorRef[];
  plan: WeightPlan;
  /** stored dtypes of the tensors used, e.g. ['BF16'] */
  storedDtypes: string[];
  dtype: CheckpointDtype;
  /** q8/q4 only */
  quantize?: QuantScope;
  /** the embedding table is read by GatherBlockQuantized */
  embeddingQuantized: boolean;
  /** q8/q4: MatMulNBits accuracy_level */
  accuracyLevel: number;
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

export function checkCheckpointDtype(dtype: string): CheckpointDtype {
  if ((CHECKPOINT_DTYPES as readonly string[]).includes(dtype)) return dtype as CheckpointDtype;
  throw new Error(`dtype "${dtype}" cannot be built from a checkpoint: use one of ${CHECKPOINT_DTYPES.join(', ')}` +
    (dtype === 'q4f16' || dtype === 'quantized' ? ` (${dtype} names a graph file of an ONNX export)` : ''));
}

export function checkQuantScope(scope: string): QuantScope {
  if ((QUANT_SCOPES as readonly string[]).includes(scope)) return scope as QuantScope;
  throw new Error(`quantize scope "${scope}" is not one of ${QUANT_SCOPES.join(', ')}`);
}

/** Each tensor's form in a build of `dtype`. */
function formChooser(spec: ArchSpec, dtype: CheckpointDtype, scope: QuantScope): { formOf: (t: TensorRef) => WeightForm; embeddingQuantized: boolean } {
  if (dtype === 'fp32' || dtype === 'fp16') return { formOf: () => (dtype === 'fp32' ? 'f32' : 'f16'), embeddingQuantized: false };
  const q: WeightForm = dtype;
  const EMBED = 'model.embed_tokens.weight';
  // GatherBlockQuantized reads whole blocks of a row: d_model must be a multiple of the block
  const embedOk = spec.dModel % QUANT_BLOCK === 0;
  const head = scope !== 'layers';
  // tied: the table is the head; quantised for both or for neither
  const embeddingQuantized = embedOk && (scope === 'all' || (spec.tied && head));
  return {
    embeddingQuantized,
    formOf: (t) => {
      if (LINEAR.test(t.name)) return q;
      if (t.name === 'lm_head.weight') return head ? q : 'f32';
      if (t.name === EMBED) return embeddingQuantized ? q : 'f32';
      return 'f32';
    },
  };
}

/** Read and check everything a build needs, without writing anything. */
export async function planCheckpoint(folderArg: string, opts: PlanOptions = {}): Promise<CheckpointPlan> {
  const folder = path.resolve(folderArg);
  const dtype = checkCheckpointDtype(opts.dtype ?? COMPUTE_DTYPE);
  const quantize = dtype === 'q8' || dtype === 'q4' ? checkQuantScope(opts.quantize ?? DEFAULT_QUANT_SCOPE) : undefined;
  const accuracyLevel = quantize ? (opts.accuracyLevel ?? DEFAULT_ACCURACY_LEVEL) : 0;
  if (accuracyLevel !== 0 && accuracyLevel !== 4) throw new Error(`accuracy level must be 0 or 4, got ${String(accuracyLevel)}`);
  const form = opts.form ?? DEFAULT_GRAPH_FORM;
  // the fused builder writes float32 MatMuls only (no Cast for fp16, no MatMulNBits)
  if (form === 'fused' && dtype !== 'fp32') throw new Error(`the fused graph form is built in fp32 only (asked: ${dtype})`);
  const files = readCheckpointFiles(folder);
  const spec = readArch(folder, files);
  const tensors = expectedTensors(spec).map((e) => files.tensors.get(e.name)!);
  const { formOf, embeddingQuantized } = formChooser(spec, dtype, quantize ?? 'layers');
  const plan = planWeights(tensors, formOf, QUANT_BLOCK, dtype === 'fp32' ? CONVERTED_FILE : `weights.${dtype}.data`);
  const h = createHash('sha256');
  h.update(await fsp.readFile(path.join(folder, 'config.json')));
  // fp32 keeps the key it had before other dtypes existed, and the standard form the key it had
  // before the fused one, so their caches stay valid
  h.update(`\0refusal-lens-checkpoint/${BUILDER_VERSION}/${dtype}${quantize ? `/${quantize}/${QUANT_BLOCK}/${accuracyLevel}` : ''}${form === 'standard' ? '' : `/${form}`}\0`);
  for (const t of tensors) h.update(`${t.name}|${t.dtype}|${t.shape.join('x')}|${t.file}|${t.offset}|${t.length}\n`);
  // the files' identity too: weights re-saved with the same layout must not reuse a stale build
  for (const s of files.shards) {
    const real = await fsp.realpath(path.join(folder, s.file));
    const st = await fsp.stat(real);
    h.update(`${s.file}|${s.size}|${real}|${st.mtimeMs}|${st.ino}\n`);
  }
  return {
    folder, files, spec, tensors, plan, dtype, ...(quantize ? { quantize } : {}), embeddingQuantized, accuracyLevel,
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

export interface BuildOptions extends PlanOptions {
  cacheDir?: string;
  onProgress?: (done: number, total: number) => void;
  /** bytes of memory available (default os.freemem(), which is MemAvailable on Linux) */
  freeMemory?: number;
  /** cancels the build between chunks; nothing half-written stays (every file is temp + rename) */
  signal?: AbortSignal;
}

/**
 * Bytes of weights onnxruntime holds once a session is open: float32 for fp32 and fp16 (the
 * fp16 Casts are folded to float32 at load), the packed blocks plus float32 for the rest at q8/q4.
 */
export function residentWeightBytes(p: Pick<CheckpointPlan, 'tensors' | 'plan'>): number {
  let n = 0;
  for (const t of p.tensors) {
    if (!p.plan.forms.has(t.name)) continue;
    const q = p.plan.quantized.get(t.name);
    n += q ? q.packed.length + q.scales.length + q.zeroPoints.length : 4 * t.shape.reduce((a, b) => a * b, 1);
  }
  return n;
}

/** Memory a load of the plan needs available: see checkMemory. */
export const memoryNeeded = (p: Pick<CheckpointPlan, 'tensors' | 'plan'>): number => 1.5 * residentWeightBytes(p) + 150 * 2 ** 20;

/**
 * Refuse before building or opening when the weights cannot fit: onnxruntime holds them once
 * more while it folds the Transposes / Casts or prepacks the quantised blocks (measured peak:
 * 1.65× the float32 weights on a 290 MiB model, Node included), so 1.5× + 150 MiB must be
 * available. The message names the dtypes that would fit.
 */
export async function checkMemory(p: CheckpointPlan, free: number): Promise<void> {
  const need = memoryNeeded(p);
  if (need <= free) return;
  const gib = (n: number) => (n < 2 ** 30 ? `${(n / 2 ** 20).toFixed(0)} MiB` : `${(n / 2 ** 30).toFixed(1)} GiB`);
  const fits: string[] = [];
  for (const d of CHECKPOINT_DTYPES) {
    if (d === p.dtype) continue;
    const other = await planCheckpoint(p.folder, { dtype: d, ...(p.quantize ? { quantize: p.quantize } : {}) });
    if (memoryNeeded(other) <= free) fits.push(`--dtype ${d} (~${gib(memoryNeeded(other))})`);
  }
  throw new Error(
    `checkpoint ${p.folder} needs about ${gib(need)} of memory to run in ${p.dtype} (${gib(residentWeightBytes(p))} of weights in memory), ` +
      `${gib(free)} is available; ` +
      (fits.length ? `would fit: ${fits.join(', ')}` : 'no --dtype would fit: use a smaller model or free memory'),
  );
}

/** The external-data initializers of a build: one per f32/f16 tensor, three per quantised one. */
function weightInitializers(p: CheckpointPlan): { inits: TensorProto[]; linear: Map<string, QuantWeight>; embedding?: QuantWeight } {
  const ext = (name: string, dims: number[], dataType: number, pl: Placement): TensorProto => ({
    name, dims, dataType, dataLocation: 1,
    externalData: [{ key: 'location', value: pl.location }, { key: 'offset', value: String(pl.offset) }, { key: 'length', value: String(pl.length) }],
  });
  const inits: TensorProto[] = [];
  const linear = new Map<string, QuantWeight>();
  let embedding: QuantWeight | undefined;
  const EMBED = 'model.embed_tokens.weight';
  for (const t of p.tensors.filter((t, i, all) => all.findIndex((u) => u.name === t.name) === i)) {
    const q = p.plan.quantized.get(t.name);
    if (!q) {
      inits.push(ext(t.name, t.shape, p.plan.forms.get(t.name) === 'f16' ? DT.FLOAT16 : DT.FLOAT, p.plan.placement.get(t.name)!));
      continue;
    }
    const l = q.layout;
    const base = { bits: l.bits, blockSize: l.blockSize, n: l.n, k: l.k, accuracyLevel: p.accuracyLevel };
    // the MatMulNBits view (onnxruntime's quantiser's names): B [N, blocks, blob], 1-D scales and zero points
    if (t.name !== EMBED || p.spec.tied) {
      const w = { ...base, packed: `${t.name}_Q${l.bits}`, scales: `${t.name}_scales`, zeroPoints: `${t.name}_zero_points` };
      inits.push(
        ext(w.packed, [l.n, kBlocks(l), blobSize(l)], DT.UINT8, q.packed),
        ext(w.scales, [l.n * kBlocks(l)], DT.FLOAT, q.scales),
        ext(w.zeroPoints, [l.n * zpStride(l)], DT.UINT8, q.zeroPoints),
      );
      linear.set(t.name, w);
    }
    // the GatherBlockQuantized view of the same bytes (K is a whole number of blocks): [vocab, K·bits/8]
    if (t.name === EMBED) {
      embedding = { ...base, packed: `${t.name}.gather_Q${l.bits}`, scales: `${t.name}.gather_scales`, zeroPoints: `${t.name}.gather_zero_points` };
      inits.push(
        ext(embedding.packed, [l.n, (l.k * l.bits) / 8], DT.UINT8, q.packed),
        ext(embedding.scales, [l.n, kBlocks(l)], DT.FLOAT, q.scales),
        ext(embedding.zeroPoints, [l.n, zpStride(l)], DT.UINT8, q.zeroPoints),
      );
    }
  }
  return { inits, linear, ...(embedding ? { embedding } : {}) };
}

/** The built graph of a checkpoint folder: from the cache when complete, else built now. */
export async function buildCheckpoint(folder: string, opts: BuildOptions = {}): Promise<BuiltCheckpoint> {
  const p = await planCheckpoint(folder, opts);
  await checkMemory(p, opts.freeMemory ?? freemem());
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
    const w = weightInitializers(p);
    const model = p.form === 'fused'
      ? buildFusedDecoderGraph(p.spec, (name) => name, await maxPositions(p.folder))
      : buildDecoderGraph(p.spec, (name) => name, {
        half: (t) => p.plan.forms.get(t) === 'f16',
        linear: (t) => w.linear.get(t),
        ...(w.embedding ? { embedding: w.embedding } : {}),
      });
    model.graph.initializer = [...w.inits, ...model.graph.initializer];
    await writePartsAtomic(graphPath, encodeModelParts(model));
    const info: BuildJson = { key: p.key, builderVersion: BUILDER_VERSION, computeDtype: p.dtype, modelType: p.spec.modelType };
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
    throw new Error(`not enough disk space in ${dir} to write the converted weights: needs ${gib(need)}, ${gib(free)} free (give another --cache-dir)`);
  }
}
