// Shared by the hook-*.test.ts integration tests: fixture loading, feeds that follow the
// intervention semantics of tools/pymodels/golden.py, comparisons. Test code only.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createSession, emptyTensor, floatTensor, int64Tensor, type OrtTensor } from '../../src/engine/runtime';
import { decodeModel, DT, hookNames } from '../../src/engine/onnx/index';
import { lensInputFeeds } from '../../src/engine/generate/feeds';
import type { ValueInfo } from '../../src/engine/onnx/index';

export const FIXTURES = path.resolve(path.dirname(__filename), '../fixtures/models');

export interface GoldenIntervention {
  kind: 'steer' | 'project_out';
  axis?: string;
  axes?: string[];
  coefficient?: number;
  layers: number[];
  sourceLayer?: number;
}
export interface GoldenCase {
  interventions: GoldenIntervention[];
  resid: number[][][]; // [L][T][d]
  readouts: Record<string, number[][]>; // axis -> [L][T]
  logits_last: number[];
}
export interface Golden {
  layers: number;
  d_model: number;
  prompt_ids: number[];
  axes: Record<string, number[][]>; // [L][d]
  cases: Record<string, GoldenCase>;
}

export function fixtureConfig(name: string): { numLayers: number; dModel: number } {
  const c = JSON.parse(readFileSync(path.join(FIXTURES, name, 'config.json'), 'utf8'));
  return { numLayers: c.num_hidden_layers ?? c.n_layer, dModel: c.hidden_size ?? c.n_embd };
}

export const readGolden = (name: string): Golden => JSON.parse(readFileSync(path.join(FIXTURES, name, 'golden.json'), 'utf8'));

/** input_ids / attention_mask / position_ids and an empty KV cache, from the graph's own inputs. */
export function baseFeeds(inputs: readonly ValueInfo[], ids: number[]): Record<string, OrtTensor> {
  const T = ids.length;
  const feeds: Record<string, OrtTensor> = {};
  for (const v of inputs) {
    if (v.name === 'input_ids') feeds[v.name] = int64Tensor(ids, [1, T]);
    else if (v.name === 'attention_mask') feeds[v.name] = int64Tensor(new BigInt64Array(T).fill(1n), [1, T]);
    else if (v.name === 'position_ids') feeds[v.name] = int64Tensor(ids.map((_, i) => i), [1, T]);
    else if (v.name.startsWith('past_key_values')) {
      const dims = (v.dims ?? []).map((d, i) => (i === 0 ? 1 : typeof d === 'number' ? d : 0));
      feeds[v.name] = emptyTensor(v.elemType === DT.FLOAT16 ? 'float16' : 'float32', dims);
    }
  }
  return feeds;
}

export const sourceInputs = (file: string): ValueInfo[] => decodeModel(readFileSync(file)).graph.input;

const unit = (v: number[]): number[] => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** rl.* feeds for every layer: Σ c·v, Gram-Schmidt basis of the projected-out unit axes, unit readout axes; the logit lens off. */
export function hookFeeds(g: Golden, interventions: GoldenIntervention[], axisOrder: string[]): Record<string, OrtTensor> {
  const { layers: L, d_model: d } = g;
  const feeds: Record<string, OrtTensor> = { ...lensInputFeeds() };
  for (let l = 0; l < L; l++) {
    const names = hookNames(l).inputNames;
    const add = new Array<number>(d).fill(0);
    const basis: number[][] = [];
    for (const iv of interventions) {
      if (!iv.layers.includes(l)) continue;
      const src = iv.sourceLayer ?? l;
      if (iv.kind === 'steer') g.axes[iv.axis!]![src]!.forEach((x, i) => (add[i]! += iv.coefficient! * x));
      else {
        for (const a of iv.axes!) {
          let u = unit(g.axes[a]![src]!);
          for (const q of basis) {
            const c = dot(u, q);
            u = u.map((x, i) => x - c * q[i]!);
          }
          if (Math.hypot(...u) > 1e-6) basis.push(unit(u));
        }
      }
    }
    const k = Math.max(1, basis.length);
    const proj = new Float32Array(k * d);
    const projT = new Float32Array(d * k);
    basis.forEach((q, j) => q.forEach((x, i) => ((proj[j * d + i] = x), (projT[i * k + j] = x))));
    const n = axisOrder.length;
    const axesT = new Float32Array(d * n);
    axisOrder.forEach((name, j) => unit(g.axes[name]![l]!).forEach((x, i) => (axesT[i * n + j] = x)));
    feeds[names.add] = floatTensor(Float32Array.from(add), [d]);
    feeds[names.proj] = floatTensor(proj, [k, d]);
    feeds[names.projT] = floatTensor(projT, [d, k]);
    feeds[names.axesT] = floatTensor(axesT, [d, n]);
    // no cap: one zero direction with bounds that clamp nothing
    feeds[names.capU] = floatTensor(new Float32Array(d), [d, 1]);
    feeds[names.capUT] = floatTensor(new Float32Array(d), [1, d]);
    feeds[names.capLo] = floatTensor(Float32Array.of(-Infinity), [1]);
    feeds[names.capHi] = floatTensor(Float32Array.of(Infinity), [1]);
  }
  return feeds;
}

/** Largest |a−b| relative to the largest |b| (or to `floor` when that is larger). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 0): number {
  if (a.length !== b.length) return Infinity;
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / (Math.max(scale, floor) || 1);
}

/** Largest row norm of a [T][d] array: the scale of a readout r·û. */
export const maxRowNorm = (rows: number[][]): number => Math.max(...rows.map((r) => Math.hypot(...r)));

/**
 * `last` ([batch, 1, vocab], a hooked graph's logits) holds exactly the bytes of the last
 * position of `full` ([batch, seq, vocab], the source graph's logits).
 */
export function lastPositionBitEqual(full: OrtTensor, last: OrtTensor): boolean {
  const [B, T, V] = full.dims as [number, number, number];
  if (full.type !== last.type || last.dims.join() !== [B, 1, V].join()) return false;
  const bytes = (t: OrtTensor) => {
    const d = t.data as Float32Array;
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  };
  const a = bytes(full);
  const b = bytes(last);
  const size = a.length / (B * T * V);
  for (let i = 0; i < B; i++) {
    if (!b.subarray(i * V * size, (i + 1) * V * size).equals(a.subarray((i * T + T - 1) * V * size, (i * T + T) * V * size))) return false;
  }
  return true;
}

export function bitEqual(a: OrtTensor, b: OrtTensor): boolean {
  const x = a.data as ArrayLike<number>;
  const y = b.data as ArrayLike<number>;
  if (a.type !== b.type || x.length !== y.length || a.dims.join() !== b.dims.join()) return false;
  const bx = new Uint8Array((x as Float32Array).buffer, (x as Float32Array).byteOffset, (x as Float32Array).byteLength);
  const by = new Uint8Array((y as Float32Array).buffer, (y as Float32Array).byteOffset, (y as Float32Array).byteLength);
  return bx.every((v, i) => v === by[i]);
}

export const session = (file: string, level: 'disabled' | 'all' = 'all') => createSession(file, { threads: 1, optimization: level });
