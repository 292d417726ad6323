// Model-relative interventions → the raw ones the graph takes, and the norm warning, from the
// reference statistics (reference.ts). A `norm` steer of c at layer l adds c · N_l · v̂_src
// (N_l the reference mean residual norm at l), i.e. the raw coefficient c · N_l / |v_src|; a
// percentile bound `pX` at layer l is the X-th percentile of r_l·v̂_src on the reference set.
// Both resolve to one intervention per layer, so what ran is recorded as plain numbers.
import type { CapBound, NormCheck, PercentileBound, ReferenceRecord } from '../../protocol/reference';
import { REFERENCE_POSITIONS, parsePercentile } from '../../protocol/reference';
import type { CapIntervention, Intervention } from '../../protocol/types';
import { axisKey, fromSourceLayer, percentile, type ReferenceAxis, type ReferenceStats } from './reference';

function isPercentile(b: CapBound | undefined): b is PercentileBound {
  return typeof b === 'string';
}

/** Whether an intervention is written in model-relative form (needs the reference set to run). */
export function isRelative(iv: Intervention): boolean {
  if (iv.kind === 'steer') return iv.unit === 'norm';
  if (iv.kind === 'cap') return isPercentile(iv.lo) || isPercentile(iv.hi);
  return false;
}

/** The axes whose reference projections the percentile bounds of `ivs` need (source-layer variants included). */
export function percentileAxes(ivs: readonly Intervention[], axes: readonly ReferenceAxis[]): ReferenceAxis[] {
  const out: ReferenceAxis[] = [];
  for (const iv of ivs) {
    if (iv.kind !== 'cap' || !isRelative(iv)) continue;
    const a = axes.find((x) => x.name === iv.axis);
    if (!a) throw new Error(`cap: unknown axis "${iv.axis}" (loaded: ${axes.map((x) => x.name).join(', ') || 'none'})`);
    out.push(iv.sourceLayer === undefined ? a : fromSourceLayer(a, iv.sourceLayer));
  }
  return out;
}

/** Checks the written form: a known percentile, a finite coefficient. Throws naming the intervention. */
export function checkRelative(iv: Intervention, at: string): void {
  if (iv.kind === 'cap') {
    for (const k of ['lo', 'hi'] as const) {
      const b = iv[k];
      if (typeof b === 'string' && parsePercentile(b) === undefined) throw new Error(`${at}.${k}: '${b}' is not a number or a percentile p0…p100`);
    }
  }
}

export interface Resolution {
  interventions: Intervention[];
  percentiles: NonNullable<ReferenceRecord['percentiles']>;
}

/** Every model-relative intervention replaced by raw per-layer ones; others pass through unchanged. */
export function resolveInterventions(ivs: readonly Intervention[], axes: readonly ReferenceAxis[], stats: ReferenceStats): Resolution {
  const out: Intervention[] = [];
  const percentiles: Resolution['percentiles'] = [];
  const axis = (name: string) => {
    const a = axes.find((x) => x.name === name);
    if (!a) throw new Error(`unknown axis "${name}" (loaded: ${axes.map((x) => x.name).join(', ') || 'none'})`);
    return a;
  };
  ivs.forEach((iv, i) => {
    checkRelative(iv, `interventions[${i}]`);
    if (!isRelative(iv)) return void out.push(iv);
    const extra = { ...(iv.sourceLayer !== undefined ? { sourceLayer: iv.sourceLayer } : {}), ...(iv.positions !== undefined ? { positions: iv.positions } : {}) };
    if (iv.kind === 'steer') {
      const a = axis(iv.axis);
      for (const l of iv.layers) {
        const src = iv.sourceLayer ?? l;
        const len = vectorNorm(a.vectors.subarray(src * a.dModel, (src + 1) * a.dModel));
        const raw = len === 0 ? 0 : (iv.coefficient * stats.meanNorm[l]!) / len;
        out.push({ kind: 'steer', axis: iv.axis, coefficient: raw, layers: [l], ...extra });
      }
      return;
    }
    if (iv.kind !== 'cap') return void out.push(iv);
    const a = axis(iv.axis);
    const ref = iv.sourceLayer === undefined ? a : fromSourceLayer(a, iv.sourceLayer);
    const dist = stats.projections.get(axisKey(ref));
    if (!dist) throw new Error(`interventions[${i}]: no reference projections measured for axis "${iv.axis}"`);
    const values = (b: CapBound | undefined): number[] | undefined => {
      if (!isPercentile(b)) return undefined;
      const v = dist.map((xs) => percentile(xs, parsePercentile(b)!));
      const name = iv.sourceLayer === undefined ? iv.axis : `${iv.axis}@${iv.sourceLayer}`;
      if (!percentiles.some((p) => p.axis === name && p.bound === b)) percentiles.push({ axis: name, bound: b, values: v });
      return v;
    };
    const lo = values(iv.lo);
    const hi = values(iv.hi);
    for (const l of iv.layers) {
      const capLo = lo ? lo[l]! : (iv.lo as number | undefined);
      const capHi = hi ? hi[l]! : (iv.hi as number | undefined);
      // Percentiles of one distribution are ordered; a number against a percentile may cross it.
      if (capLo !== undefined && capHi !== undefined && capLo > capHi) {
        throw new Error(`interventions[${i}]: at layer ${l} the lower bound ${iv.lo} = ${capLo.toPrecision(4)} is above the upper bound ${iv.hi} = ${capHi.toPrecision(4)} on the reference set`);
      }
      const cap: CapIntervention = { kind: 'cap', axis: iv.axis, ...(capLo !== undefined ? { lo: capLo } : {}), ...(capHi !== undefined ? { hi: capHi } : {}), layers: [l], ...extra };
      out.push(cap);
    }
  });
  return { interventions: out, percentiles };
}

/** What a run records of its reference set. */
export function referenceRecord(stats: ReferenceStats, percentiles: Resolution['percentiles']): ReferenceRecord {
  return {
    set: stats.set,
    sha256: stats.sha256,
    prompts: stats.prompts,
    tokens: stats.tokens,
    positions: REFERENCE_POSITIONS,
    meanNorm: stats.meanNorm.map(round6),
    maxNorm: stats.maxNorm.map(round6),
    ...(percentiles.length ? { percentiles: percentiles.map((p) => ({ ...p, values: p.values.map(round6) })) } : {}),
  };
}

/**
 * The norm warning of one run: layers where the mean residual norm of its prompt tokens (after
 * the first) or of its generated tokens exceeds NORM_WARNING_FACTOR × the reference mean.
 */
export function normWarning(check: NormCheck, ref: Pick<ReferenceRecord, 'set' | 'meanNorm'>): string | undefined {
  if ('skipped' in check) return undefined;
  const over = check.promptMean
    .map((p, l) => {
      const g = check.generatedMean?.[l] ?? 0;
      return { l, n: Math.max(p, g), where: g > p ? 'generated' : 'prompt', ratio: Math.max(p, g) / ref.meanNorm[l]! };
    })
    .filter((x) => x.ratio > check.factor);
  if (!over.length) return undefined;
  const worst = over.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  return (
    `residual norm far beyond its usual range at layer${over.length > 1 ? 's' : ''} ${over.map((x) => x.l).join(', ')}: ` +
    `the ${worst.where} tokens' mean norm at L${worst.l} is ${worst.n.toPrecision(4)}, ${worst.ratio.toFixed(1)}× the mean ${ref.meanNorm[worst.l]!.toPrecision(4)} on ${ref.set} ` +
    `(warned above ${check.factor}×). The output may be broken rather than steered: try a smaller coefficient or fewer layers.`
  );
}

/** Resolved numbers to four significant digits, for reading (receipts, the CLI); records keep full precision. */
export function roundedIntervention(iv: Intervention): Intervention {
  const r = (x: number) => Number(x.toPrecision(4));
  if (iv.kind === 'steer') return { ...iv, coefficient: r(iv.coefficient) };
  if (iv.kind === 'cap') return { ...iv, ...(typeof iv.lo === 'number' ? { lo: r(iv.lo) } : {}), ...(typeof iv.hi === 'number' ? { hi: r(iv.hi) } : {}) };
  return iv;
}

function vectorNorm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** Six significant digits: the recorded numbers, not the ones fed (those are full precision). */
function round6(x: number): number {
  return Number(x.toPrecision(6));
}
