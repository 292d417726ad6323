// Direction extraction from two prompt sets: difference of means of block outputs per layer
// (Arditi et al. 2024; persona vectors), or the first principal component of paired differences.
import type { DecodingOptions } from '../../protocol/types';
import { chatTemplateSha256, renderToStrings, writeDirection, type Direction } from '../directions/index';
import type { LensModel } from '../index';
import { TOOL_VERSION } from '../version';
import { activationsAt, DEFAULT_RESPONSE_DECODING, type PositionRule } from './activations';
import { describeDiagnostics, rowPrompt, systemPromptOf, type PromptSet } from './dataset';
import type { DatasetRow } from '../../protocol/prompts';
import { chunks, ProgressTracker, throwIfAborted, type ProgressFn } from './progress';

export type ExtractMethod = 'diff_of_means' | 'pca_paired';

export interface ExtractOptions {
  name: string;
  positions: PositionRule;
  method?: ExtractMethod;
  /** Prompts per batch (generation for response_mean). */
  batchSize?: number;
  /** For response_mean (default greedy, 32 new tokens). */
  decoding?: DecodingOptions;
  description?: string;
  /** Also write the direction file here. */
  out?: string;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/** Activation vectors of a whole set, batch by batch; rows that yield none are listed in `skipped`. */
async function setVectors(model: LensModel, set: PromptSet, o: ExtractOptions, phase: string): Promise<{ vectors: Float32Array[]; ids: string[]; skipped: string[] }> {
  const vectors: Float32Array[] = [];
  const ids: string[] = [];
  const skipped: string[] = [];
  const progress = new ProgressTracker(phase, set.rows.length, o.onProgress);
  let done = 0;
  for (const batch of chunks(set.rows, o.batchSize ?? 8)) {
    throwIfAborted(o.signal, 'extract');
    const vs = await activationsAt(model, batch.map(rowPrompt), o.positions, { ...(o.decoding ? { decoding: o.decoding } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    vs.forEach((v, i) => {
      if (v) {
        vectors.push(v);
        ids.push(batch[i].id);
      } else skipped.push(`${set.display}:${batch[i].line} (id ${batch[i].id}): empty response, nothing to average`);
    });
    progress.report((done += batch.length));
  }
  return { vectors, ids, skipped };
}

function meanOf(vs: Float32Array[], n: number): Float64Array {
  const m = new Float64Array(n);
  for (const v of vs) for (let i = 0; i < n; i++) m[i] += v[i];
  for (let i = 0; i < n; i++) m[i] /= vs.length;
  return m;
}

/**
 * Per layer, the top right singular vector u of the paired-difference matrix D (uncentred, so
 * it is PCA of the symmetrised set {±dᵢ}, as when pair order is randomised), signed to agree
 * with the mean difference and scaled to the mean difference's length along it, so steering
 * coefficients mean the same as for diff_of_means.
 */
export function pcaPaired(diffs: Float32Array[], nLayers: number, d: number): Float32Array {
  const out = new Float32Array(nLayers * d);
  for (let l = 0; l < nLayers; l++) {
    const rows = diffs.map((x) => x.subarray(l * d, (l + 1) * d));
    const mean = new Float64Array(d);
    for (const r of rows) for (let i = 0; i < d; i++) mean[i] += r[i] / rows.length;
    let u = Float64Array.from(mean);
    if (!u.some((x) => x !== 0)) u[0] = 1;
    for (let it = 0; it < 200; it++) {
      const next = new Float64Array(d);
      for (const r of rows) {
        let p = 0;
        for (let i = 0; i < d; i++) p += r[i] * u[i];
        for (let i = 0; i < d; i++) next[i] += p * r[i];
      }
      let nn = 0;
      for (let i = 0; i < d; i++) nn += next[i] * next[i];
      nn = Math.sqrt(nn);
      if (nn === 0) break;
      let delta = 0;
      for (let i = 0; i < d; i++) {
        next[i] /= nn;
        delta = Math.max(delta, Math.abs(next[i] - u[i]));
      }
      u = next;
      if (delta < 1e-10) break;
    }
    let along = 0;
    for (let i = 0; i < d; i++) along += mean[i] * u[i];
    for (let i = 0; i < d; i++) out[l * d + i] = along * u[i];
  }
  return out;
}

/** Distinct system prompts recorded with a direction; beyond this many the list says little. */
const MAX_RECORDED_SYSTEM_PROMPTS = 32;

/**
 * The render conditions a direction was extracted under (docs/vectors.md): the chat template's
 * hash and the rows' system prompts ('' for rows without one); positions are in `positions`.
 */
export function recordedRenderConditions(model: LensModel, rows: readonly DatasetRow[]): Record<string, string> {
  const systems = [...new Set(rows.map(systemPromptOf))];
  const sha = chatTemplateSha256(model.loaded.tokenizer.chatTemplate);
  return renderToStrings({
    ...(sha ? { templateSha256: sha } : {}),
    ...(systems.length <= MAX_RECORDED_SYSTEM_PROMPTS ? { systemPrompts: systems } : {}),
  });
}

/** Extracts positive − negative along `o.positions`; writes `o.out` when given. */
export async function extractDirection(model: LensModel, pos: PromptSet, neg: PromptSet, o: ExtractOptions): Promise<Direction> {
  const { layers: L, dModel: d } = model.summary;
  const method = o.method ?? 'diff_of_means';
  if (!o.name.trim()) throw new Error('extract: the direction needs a name');
  if (!pos.rows.length || !neg.rows.length) {
    throw new Error(`extract: ${!pos.rows.length ? pos.display : neg.display} has no readable rows${[...describeDiagnostics(pos), ...describeDiagnostics(neg)].map((s) => `\n  ${s}`).join('')}`);
  }
  if (method === 'pca_paired' && pos.rows.length !== neg.rows.length) {
    throw new Error(`extract: pca_paired pairs rows by index, but ${pos.display} has ${pos.rows.length} rows and ${neg.display} has ${neg.rows.length}`);
  }
  const p = await setVectors(model, pos, o, `extract ${o.name}: ${pos.name}`);
  const n = await setVectors(model, neg, o, `extract ${o.name}: ${neg.name}`);
  if (!p.vectors.length || !n.vectors.length) throw new Error(`extract: no usable rows in ${!p.vectors.length ? pos.display : neg.display}`);

  let vectors: Float32Array;
  let nPos = p.vectors.length;
  let nNeg = n.vectors.length;
  if (method === 'diff_of_means') {
    const mp = meanOf(p.vectors, L * d);
    const mn = meanOf(n.vectors, L * d);
    vectors = Float32Array.from(mp, (x, i) => x - mn[i]);
  } else {
    // Pairs whose either side was skipped drop out together.
    const negById = new Map(n.ids.map((id, i) => [neg.rows.findIndex((r) => r.id === id), n.vectors[i]]));
    const diffs: Float32Array[] = [];
    p.ids.forEach((id, i) => {
      const k = pos.rows.findIndex((r) => r.id === id);
      const other = negById.get(k);
      if (other) diffs.push(Float32Array.from(p.vectors[i], (x, j) => x - other[j]));
    });
    if (!diffs.length) throw new Error('extract: no complete pairs');
    vectors = pcaPaired(diffs, L, d);
    nPos = nNeg = diffs.length;
  }
  const s = model.summary;
  const dir: Direction = {
    name: o.name,
    vectors,
    nLayers: L,
    dModel: d,
    meta: {
      name: o.name,
      modelName: s.name,
      modelGraphHash: s.graphHash,
      hook: 'resid_post',
      layerBase: 0,
      method,
      positions: o.positions,
      nPos,
      nNeg,
      created: new Date().toISOString(),
      toolVersion: TOOL_VERSION,
      description: o.description ?? `${pos.display} − ${neg.display}, ${method} at ${o.positions}`,
      extra: {
        tokenizerHash: s.tokenizerHash,
        dtype: s.dtype,
        positive: { set: pos.display, sha256: pos.sha256, rows: pos.rows.length, used: nPos },
        negative: { set: neg.display, sha256: neg.sha256, rows: neg.rows.length, used: nNeg },
        ...(o.positions === 'response_mean' ? { decoding: o.decoding ?? DEFAULT_RESPONSE_DECODING } : {}),
      },
      other: recordedRenderConditions(model, [...pos.rows, ...neg.rows]),
    },
    warnings: [...describeDiagnostics(pos), ...describeDiagnostics(neg), ...p.skipped, ...n.skipped],
  };
  if (o.out) {
    dir.sha256 = await writeDirection(o.out, dir);
    dir.file = o.out;
  }
  return dir;
}
