// Per-layer statistics of a model on a reference prompt set, measured once and cached on disk:
// the mean and largest residual norm per layer, and per axis the distribution of r_l·v̂_l
// (sorted, for percentiles). Samples are every prompt token after the first (the first is an
// attention sink whose norm on real models is many times the rest). Norm coefficients, percentile
// cap bounds and the norm warning read them (resolve.ts).
//
// Cache: `<user cache>/refusal-lens/reference/` (src/engine/onnx/user-cache.ts), one file for the
// norms keyed by model graph hash + dtype + set sha256, and one per axis keyed by the same + the
// sha256 of the axis' float32 vectors (a random control or a source-layer variant is its own axis).
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PromptInput } from '../../protocol/types';
import { userCacheRoot } from '../onnx/user-cache';
import { writeFileAtomic } from '../io/atomic';
import { sha256Hex } from './io';

/** Bump when what is measured or how it is stored changes: old cache files are then ignored. */
export const REFERENCE_VERSION = 1;
const SCHEMA = 'refusal-lens.reference/1';

/** An axis as the statistics need it (a Direction is one). */
export interface ReferenceAxis {
  name: string;
  vectors: Float32Array;
  nLayers: number;
  dModel: number;
}

/** The reference set as loaded (experiments/dataset.ts PromptSet fits). */
export interface ReferenceSet {
  display: string;
  sha256: string;
  prompts: PromptInput[];
}

/** What statistics need of a model: its identity and its post-intervention-free block outputs. */
export interface ReferenceModel {
  summary: { graphHash: string; dtype: string; layers: number; dModel: number };
  residuals(prompt: PromptInput): Promise<Float32Array[]>;
}

export interface NormStats {
  set: string;
  sha256: string;
  prompts: number;
  tokens: number;
  meanNorm: number[];
  maxNorm: number[];
}

export interface ReferenceStats extends NormStats {
  /** axis vectors' sha256 → [layer] → projections, ascending. */
  projections: Map<string, number[][]>;
}

export interface ReferenceCacheOptions {
  /** Cache folder (default `<user cache>/refusal-lens/reference`); `false`: no disk cache. */
  dir?: string | false;
  signal?: AbortSignal;
}

/** sha256 of an axis' float32 vectors: its identity for the cache, whatever it is called. */
export function axisKey(a: ReferenceAxis): string {
  return sha256Hex(new Uint8Array(a.vectors.buffer, a.vectors.byteOffset, a.vectors.byteLength));
}

/** The axis with v_l replaced by v_source at every layer (what a cap with sourceLayer reads). */
export function fromSourceLayer(a: ReferenceAxis, source: number): ReferenceAxis {
  const v = a.vectors.subarray(source * a.dModel, (source + 1) * a.dModel);
  const vectors = new Float32Array(a.nLayers * a.dModel);
  for (let l = 0; l < a.nLayers; l++) vectors.set(v, l * a.dModel);
  return { ...a, name: `${a.name}@${source}`, vectors };
}

/** Percentile p (0–100) of ascending `sorted`, linear between closest ranks (numpy's default). */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) throw new Error('percentile of no samples');
  const idx = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (idx - lo);
}

const memo = new Map<string, unknown>();

function cacheFile(dir: string, kind: string, key: string): string {
  return path.join(dir, `${kind}-${key.slice(0, 24)}.json`);
}

// In-process memo, keyed by file (or key when there is no disk cache): annotate asks once per batch.
function readCache<T>(file: string | undefined, key: string): T | undefined {
  const m = file ?? key;
  if (memo.has(m)) return memo.get(m) as T;
  if (!file) return undefined;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { schema?: string; key?: string; value?: T };
    if (v.schema !== SCHEMA || v.key !== key || v.value === undefined) return undefined;
    memo.set(m, v.value);
    return v.value;
  } catch {
    return undefined; // absent or damaged: measured again and rewritten
  }
}

function writeCache(file: string | undefined, key: string, value: unknown): void {
  memo.set(file ?? key, value);
  if (!file) return;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, JSON.stringify({ schema: SCHEMA, key, value }));
  } catch {
    // A read-only cache only costs a re-measurement next time.
  }
}

/**
 * Norm statistics and the projection distributions of `axes` on `set`, from the cache where
 * present; whatever is missing is measured in one pass over the set's prompts.
 */
export async function referenceStats(model: ReferenceModel, set: ReferenceSet, axes: readonly ReferenceAxis[], o: ReferenceCacheOptions = {}): Promise<ReferenceStats> {
  const m = model.summary;
  const dir = o.dir === false ? undefined : (o.dir ?? path.join(userCacheRoot(), 'reference'));
  const base = `v${REFERENCE_VERSION}/${m.graphHash}/${m.dtype}/${set.sha256}/${set.prompts.length}`;
  const normKey = sha256Hex(new TextEncoder().encode(`${base}/norms`));
  const file = (kind: string, key: string) => (dir ? cacheFile(dir, kind, key) : undefined);
  let norms = readCache<NormStats>(file('norms', normKey), normKey);
  const projections = new Map<string, number[][]>();
  const missing: { axis: ReferenceAxis; id: string; key: string }[] = [];
  for (const a of axes) {
    const id = axisKey(a);
    if (projections.has(id) || missing.some((x) => x.id === id)) continue;
    const key = sha256Hex(new TextEncoder().encode(`${base}/axis/${id}`));
    const got = readCache<number[][]>(file('axis', key), key);
    if (got) projections.set(id, got);
    else missing.push({ axis: a, id, key });
  }
  if (!norms || missing.length) {
    const measured = await measure(model, set, missing.map((x) => x.axis), o.signal);
    if (!norms) writeCache(file('norms', normKey), normKey, (norms = measured.norms));
    missing.forEach((x, i) => {
      projections.set(x.id, measured.projections[i]!);
      writeCache(file('axis', x.key), x.key, measured.projections[i]!);
    });
  }
  return { ...norms, set: set.display, projections };
}

async function measure(model: ReferenceModel, set: ReferenceSet, axes: readonly ReferenceAxis[], signal?: AbortSignal): Promise<{ norms: NormStats; projections: number[][][] }> {
  const { layers: L, dModel: d } = model.summary;
  if (!set.prompts.length) throw new Error(`reference set ${set.display} has no prompts`);
  const sum = new Float64Array(L);
  const max = new Float64Array(L);
  // Unit vectors per axis and layer, float64 (a zero vector reads 0, as the graph's readout does).
  const units = axes.map((a) => Array.from({ length: L }, (_, l) => unitOf(a.vectors.subarray(l * d, (l + 1) * d))));
  const proj = axes.map(() => Array.from({ length: L }, () => [] as number[]));
  let tokens = 0;
  for (const prompt of set.prompts) {
    if (signal?.aborted) throw Object.assign(new Error('reference measurement cancelled'), { name: 'AbortError' });
    const res = await model.residuals(prompt);
    const seq = res[0]!.length / d;
    if (seq < 2) continue;
    tokens += seq - 1;
    for (let l = 0; l < L; l++) {
      const r = res[l]!;
      for (let t = 1; t < seq; t++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += r[t * d + i]! * r[t * d + i]!;
        const n = Math.sqrt(s);
        sum[l]! += n;
        if (n > max[l]!) max[l] = n;
        units.forEach((u, j) => {
          const v = u[l]!;
          let p = 0;
          for (let i = 0; i < d; i++) p += r[t * d + i]! * v[i]!;
          proj[j]![l]!.push(p);
        });
      }
    }
  }
  if (tokens === 0) throw new Error(`reference set ${set.display}: every prompt is a single token, nothing to measure`);
  for (const perLayer of proj) for (const xs of perLayer) xs.sort((a, b) => a - b);
  return {
    norms: { set: set.display, sha256: set.sha256, prompts: set.prompts.length, tokens, meanNorm: Array.from(sum, (s) => s / tokens), maxNorm: Array.from(max) },
    projections: proj,
  };
}

function unitOf(v: Float32Array): Float64Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  return n === 0 ? new Float64Array(v.length) : Float64Array.from(v, (x) => x / n);
}

/**
 * A reference set as a user names it: `builtin:NAME`, a bare built-in set name
 * (`persona-default`), or a prompt-set file (relative to `baseDir`). Returns what
 * LensModel.referenceStats and TraceRequest.reference take; throws naming the choices.
 */
export function referenceSpec(name: string, baseDir: string, builtins: readonly string[], exists: (file: string) => boolean): string {
  const n = name.trim();
  if (n === '') throw new Error('the reference set is empty: give builtin:NAME, a built-in set name or a prompt-set file');
  if (n.startsWith('builtin:')) {
    if (!builtins.includes(n.slice(8))) throw new Error(`no built-in prompt set '${n.slice(8)}' (built-in sets: ${builtins.join(', ')})`);
    return n;
  }
  const file = path.resolve(baseDir, n);
  if (exists(file)) return file;
  if (builtins.includes(n)) return `builtin:${n}`;
  throw new Error(`reference set '${n}' is neither a file (${file}) nor a built-in set (${builtins.join(', ')})`);
}
