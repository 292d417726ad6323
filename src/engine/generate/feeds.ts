// The hooked graph's rl.* inputs, built from the interventions active in one phase
// (prefill = prompt positions, decode = generated positions). Built once per phase and
// reused for every decode step; an inactive layer feeds shared zero tensors.

import { interventionProblem, type Intervention, type Positions } from '../../protocol/interventions.js';
import { floatTensor, int64Tensor, type Feeds, type OrtTensor } from '../runtime.js';
import { hookNames, LENS_INPUTS } from '../onnx/names.js';

/** The fields of a direction that feeds need (Direction of src/engine/directions is one). */
export interface AxisVectors {
  name: string;
  /** [nLayers * dModel], raw per-layer vectors */
  vectors: Float32Array;
  nLayers: number;
  dModel: number;
}

/** A session run is all-prompt (prefill) or all-generated (a decode step). */
export type Phase = Exclude<Positions, 'all'>;

export function activeIn(iv: Intervention, phase: Phase): boolean {
  const p: Positions = iv.positions ?? 'all';
  return p === 'all' || p === phase;
}

/** Throws on unknown axis names, layers out of range, bad coefficients, mismatched shapes. */
export function validateInterventions(
  interventions: readonly Intervention[],
  axes: readonly AxisVectors[],
  nLayers: number,
  dModel: number,
): void {
  const names = new Set<string>();
  axes.forEach((a, i) => {
    if (a.dModel !== dModel || a.nLayers !== nLayers || a.vectors.length !== nLayers * dModel) {
      throw new Error(
        `axes[${i}] "${a.name}": shape [${a.nLayers}, ${a.dModel}] does not fit the model [${nLayers}, ${dModel}]`,
      );
    }
    if (names.has(a.name)) throw new Error(`axes[${i}]: duplicate axis name "${a.name}"`);
    names.add(a.name);
  });
  const ctx = { nLayers, axes: [...names] };
  interventions.forEach((iv, i) => {
    const problem = interventionProblem(iv, ctx, `interventions[${i}]`) ?? unresolved(iv, `interventions[${i}]`);
    if (problem) throw new Error(problem);
  });
}

/**
 * What the graph cannot take though a file may say it: a norm coefficient or a percentile bound
 * (model-relative; LensModel.traceBatch resolves them against the reference set first).
 */
function unresolved(iv: Intervention, at: string): string | undefined {
  if (iv.kind === 'steer' && iv.unit !== undefined && iv.unit !== 'raw') return `${at}.unit '${iv.unit}' was not resolved to a raw coefficient against a reference set (LensModel.trace resolves it)`;
  if (iv.kind === 'cap') {
    for (const k of ['lo', 'hi'] as const) {
      if (typeof iv[k] === 'string') return `${at}.${k}: the percentile bound '${iv[k]}' was not resolved against a reference set (LensModel.trace resolves it)`;
    }
  }
  return undefined;
}

/**
 * Zero feeds for inactive layers, made once per model. Each input gets its own tensor rather
 * than one shared buffer, so ONNX Runtime never sees one JS buffer bound to many inputs.
 */
export class ZeroFeeds {
  readonly add: OrtTensor[]; // [layer] -> [d_model]
  readonly proj: OrtTensor[]; // [layer] -> [1, d_model]
  readonly projT: OrtTensor[]; // [layer] -> [d_model, 1]
  readonly axesT: OrtTensor[]; // [layer] -> [d_model, 1]
  readonly capU: OrtTensor[]; // [layer] -> [d_model, 1]
  readonly capUT: OrtTensor[]; // [layer] -> [1, d_model]
  readonly capLo: OrtTensor[]; // [layer] -> [1] = −inf: clamps nothing
  readonly capHi: OrtTensor[]; // [layer] -> [1] = +inf
  constructor(readonly dModel: number, readonly nLayers: number) {
    const make = (dims: number[]) => Array.from({ length: nLayers }, () => floatTensor(new Float32Array(dModel), dims));
    this.add = make([dModel]);
    this.proj = make([1, dModel]);
    this.projT = make([dModel, 1]);
    this.axesT = make([dModel, 1]);
    this.capU = make([dModel, 1]);
    this.capUT = make([1, dModel]);
    const bound = (x: number) => Array.from({ length: nLayers }, () => floatTensor(Float32Array.of(x), [1]));
    this.capLo = bound(-Infinity);
    this.capHi = bound(Infinity);
  }
}

function layerVector(axis: AxisVectors, l: number): Float32Array {
  return axis.vectors.subarray(l * axis.dModel, (l + 1) * axis.dModel); // [d_model]
}

/**
 * rl.add.l, rl.proj.l, rl.projT.l for every layer, for the interventions active in `phase`.
 * Steers add c·v (raw vector); project-outs remove the span of their unit vectors.
 */
export function interventionFeeds(
  interventions: readonly Intervention[],
  axes: readonly AxisVectors[],
  nLayers: number,
  phase: Phase,
  zeros: ZeroFeeds,
): Feeds {
  const dModel = zeros.dModel;
  const byName = new Map(axes.map((a) => [a.name, a]));
  const feeds: Feeds = {};
  for (let l = 0; l < nLayers; l++) {
    const names = hookNames(l).inputNames;
    let add: Float64Array | undefined; // [d_model]
    const span: Float32Array[] = [];
    const caps: { u: Float64Array; lo: number; hi: number }[] = [];
    for (const iv of interventions) {
      if (!activeIn(iv, phase) || !iv.layers.includes(l)) continue;
      const src = iv.sourceLayer ?? l;
      // One case per kind of the registry (src/protocol/interventions.ts); each fills the inputs it declares.
      switch (iv.kind) {
        case 'steer': {
          const v = layerVector(byName.get(iv.axis)!, src);
          add ??= new Float64Array(dModel);
          for (let d = 0; d < dModel; d++) add[d]! += iv.coefficient * v[d]!;
          break;
        }
        case 'project_out':
          for (const n of iv.axes) span.push(layerVector(byName.get(n)!, src));
          break;
        case 'cap': {
          const v = layerVector(byName.get(iv.axis)!, src);
          const len = norm(v);
          if (len === 0) break; // a zero axis has no direction to cap along
          // Bounds are numbers here: validateInterventions refused unresolved percentiles.
          caps.push({ u: Float64Array.from(v, (x) => x / len), lo: (iv.lo as number | undefined) ?? -Infinity, hi: (iv.hi as number | undefined) ?? Infinity });
          break;
        }
        default: {
          const never: never = iv;
          throw new Error(`interventionFeeds: unknown intervention kind ${JSON.stringify((never as { kind?: unknown }).kind)}`);
        }
      }
    }
    feeds[names.add] = add ? floatTensor(Float32Array.from(add), [dModel]) : zeros.add[l]!;
    const basis = gramSchmidt(span, dModel);
    if (basis.length === 0) {
      feeds[names.proj] = zeros.proj[l]!;
      feeds[names.projT] = zeros.projT[l]!;
    } else {
      const k = basis.length;
      const q = new Float32Array(k * dModel); // [k, d_model]
      const qT = new Float32Array(dModel * k); // [d_model, k]
      basis.forEach((b, i) => {
        for (let d = 0; d < dModel; d++) {
          q[i * dModel + d] = b[d]!;
          qT[d * k + i] = b[d]!;
        }
      });
      feeds[names.proj] = floatTensor(q, [k, dModel]);
      feeds[names.projT] = floatTensor(qT, [dModel, k]);
    }
    if (caps.length === 0) {
      feeds[names.capU] = zeros.capU[l]!;
      feeds[names.capUT] = zeros.capUT[l]!;
      feeds[names.capLo] = zeros.capLo[l]!;
      feeds[names.capHi] = zeros.capHi[l]!;
    } else {
      const m = caps.length;
      const u = new Float32Array(dModel * m); // [d_model, m]
      const uT = new Float32Array(m * dModel); // [m, d_model]
      caps.forEach((c, j) => {
        for (let d = 0; d < dModel; d++) {
          u[d * m + j] = c.u[d]!;
          uT[j * dModel + d] = c.u[d]!;
        }
      });
      feeds[names.capU] = floatTensor(u, [dModel, m]);
      feeds[names.capUT] = floatTensor(uT, [m, dModel]);
      feeds[names.capLo] = floatTensor(Float32Array.from(caps, (c) => c.lo), [m]);
      feeds[names.capHi] = floatTensor(Float32Array.from(caps, (c) => c.hi), [m]);
    }
  }
  return feeds;
}

/** rl.axesT.l = [d_model, n] unit readout axes at layer l; one zero column when there are none. */
export function readoutFeeds(axes: readonly AxisVectors[], nLayers: number, zeros: ZeroFeeds): Feeds {
  const dModel = zeros.dModel;
  const n = axes.length;
  const feeds: Feeds = {};
  for (let l = 0; l < nLayers; l++) {
    if (n === 0) {
      feeds[hookNames(l).inputNames.axesT] = zeros.axesT[l]!;
      continue;
    }
    const t = new Float32Array(dModel * n); // [d_model, n]
    axes.forEach((a, j) => {
      const v = layerVector(a, l);
      const len = norm(v);
      if (len === 0) return; // a zero axis reads 0 everywhere
      for (let d = 0; d < dModel; d++) t[d * n + j] = v[d]! / len;
    });
    feeds[hookNames(l).inputNames.axesT] = floatTensor(t, [dModel, n]);
  }
  return feeds;
}

/**
 * Orthonormal basis (float64 arithmetic) of span{v̂ : v in vectors}, modified Gram–Schmidt
 * with one re-orthogonalisation pass; vectors already in the span are dropped.
 */
export function gramSchmidt(vectors: readonly Float32Array[], dModel: number): Float64Array[] {
  const basis: Float64Array[] = [];
  for (const v of vectors) {
    const w = Float64Array.from(v);
    const n0 = norm(w);
    if (n0 === 0) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        let dot = 0;
        for (let d = 0; d < dModel; d++) dot += w[d]! * b[d]!;
        for (let d = 0; d < dModel; d++) w[d]! -= dot * b[d]!;
      }
    }
    const n1 = norm(w);
    if (n1 <= 1e-6 * n0) continue;
    for (let d = 0; d < dModel; d++) w[d]! /= n1;
    basis.push(w);
  }
  return basis;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** What the logit lens reads in one prefill: run positions (Gather indices on the seq axis), k, refusal-start ids. */
export interface LensFeedSpec {
  positions: readonly number[];
  topK: number;
  refusalIds: readonly number[];
}

/**
 * The rl.lens.* inputs. Without a spec the positions are empty, so every lens tensor is empty
 * (onnxruntime runs every node whatever is fetched). `padRow`: one padding row, for a device
 * whose kernels fail on empty tensors (webgpu): one lm_head row per batch row instead of none.
 */
export function lensInputFeeds(spec?: LensFeedSpec, padRow = false): Feeds {
  return {
    [LENS_INPUTS.pad]: int64Tensor(padRow ? [-1] : [], [padRow ? 1 : 0]),
    [LENS_INPUTS.positions]: int64Tensor(spec ? spec.positions : [], [spec ? spec.positions.length : 0]),
    [LENS_INPUTS.k]: int64Tensor([spec?.topK ?? 1], [1]),
    // one id, not none: an empty reduction axis makes ORT's ReduceSum keep it (and warn)
    [LENS_INPUTS.refusalIds]: int64Tensor(spec ? spec.refusalIds : [0], [spec ? spec.refusalIds.length : 1]),
  };
}
