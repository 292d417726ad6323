// Geometry of axes: cosine between every pair of axes per layer, beside the spread of cosines
// between random directions in the same d_model dimensions. The spread is what "not
// anti-parallel" is judged against: in d dims a random cosine has sd ≈ 1/√d.
import { cosinePerLayer, gaussian, type Direction } from '../directions/index';
import { lineChart } from './charts';
import { quantileSorted } from './stats';
import { csvRow, markdownText } from '../report/escape';
import { LIMITS } from '../../protocol/limits';

export interface GeometryOptions {
  /** Random directions sampled for the spread (default 1000). */
  samples?: number;
  /** Seed of the first random direction (default 0). */
  seed?: number;
}

export interface AxisPair {
  a: string;
  b: string;
  /** cos(a_l, b_l) per layer */
  cos: number[];
}

export interface RandomSpread {
  samples: number;
  seed: number;
  dModel: number;
  p05: number;
  p95: number;
  maxAbs: number;
  /** 1/√d: the standard deviation a random cosine has for large d. */
  sdTheory: number;
}

export interface GeometryResult {
  schema: 'refusal-lens.geometry/1';
  axes: { name: string; file?: string; sha256?: string }[];
  layers: number[];
  pairs: AxisPair[];
  random: RandomSpread;
}

/**
 * The cosine of a uniformly random direction with any fixed unit vector has one distribution
 * (that of g₁/‖g‖ for Gaussian g), the same at every layer: sampling it once serves all layers.
 */
export function randomCosineSpread(dModel: number, samples: number, seed: number): RandomSpread {
  if (!Number.isInteger(samples) || samples < 1 || samples > LIMITS.geometrySamples) {
    throw new Error(`geometry: samples must be an integer from 1 to ${LIMITS.geometrySamples}, got ${samples}`);
  }
  const g = gaussian(seed);
  const cos = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let first = 0;
    let sq = 0;
    for (let i = 0; i < dModel; i++) {
      const x = g();
      if (i === 0) first = x;
      sq += x * x;
    }
    cos[s] = first / Math.sqrt(sq);
  }
  const sorted = Float64Array.from(cos).sort();
  let maxAbs = 0;
  for (const c of cos) maxAbs = Math.max(maxAbs, Math.abs(c));
  return { samples, seed, dModel, p05: quantileSorted(sorted, 0.05), p95: quantileSorted(sorted, 0.95), maxAbs, sdTheory: 1 / Math.sqrt(dModel) };
}

export function geometry(axes: Direction[], opts: GeometryOptions = {}): GeometryResult {
  if (axes.length < 2) throw new Error(`geometry needs at least two axes, got ${axes.length}`);
  const [first] = axes;
  for (const a of axes) {
    if (a.nLayers !== first.nLayers || a.dModel !== first.dModel) {
      throw new Error(`axis '${a.name}' is ${a.nLayers} layers × ${a.dModel}, '${first.name}' is ${first.nLayers} × ${first.dModel}: not the same model`);
    }
  }
  const names = new Set<string>();
  for (const a of axes) {
    if (names.has(a.name)) throw new Error(`two axes are named '${a.name}'; rename one (geometry labels pairs by name)`);
    names.add(a.name);
  }
  const pairs: AxisPair[] = [];
  for (let i = 0; i < axes.length; i++) for (let j = i + 1; j < axes.length; j++) pairs.push({ a: axes[i].name, b: axes[j].name, cos: cosinePerLayer(axes[i], axes[j]) });
  return {
    schema: 'refusal-lens.geometry/1',
    axes: axes.map((a) => ({ name: a.name, ...(a.file ? { file: a.file } : {}), ...(a.sha256 ? { sha256: a.sha256 } : {}) })),
    layers: Array.from({ length: first.nLayers }, (_, l) => l),
    pairs,
    random: randomCosineSpread(first.dModel, opts.samples ?? 1000, opts.seed ?? 0),
  };
}

const c3 = (x: number) => (x >= 0 ? ' ' : '') + x.toFixed(3);

export function geometryMarkdown(g: GeometryResult): string {
  const r = g.random;
  const head = `| layer | ${g.pairs.map((p) => markdownText(`cos(${p.a}, ${p.b})`)).join(' | ')} | random 5% | random 95% | random max abs |`;
  const rule = `|---:|${g.pairs.map(() => '---:').join('|')}|---:|---:|---:|`;
  const rows = g.layers.map((l) => `| ${l} | ${g.pairs.map((p) => c3(p.cos[l])).join(' | ')} | ${c3(r.p05)} | ${c3(r.p95)} | ${r.maxAbs.toFixed(3)} |`);
  const note = `Random spread: ${r.samples} Gaussian directions in d_model = ${r.dModel} (seed ${r.seed}); 1/√d = ${r.sdTheory.toFixed(4)}.`;
  return [head, rule, ...rows, '', note].join('\n') + '\n';
}

export function geometryCsv(g: GeometryResult): string {
  const head = ['layer', ...g.pairs.map((p) => `cos_${p.a}_${p.b}`), 'random_p05', 'random_p95', 'random_max_abs'];
  const rows = g.layers.map((l) => csvRow([l, ...g.pairs.map((p) => p.cos[l]), g.random.p05, g.random.p95, g.random.maxAbs]));
  return [csvRow(head), ...rows].join('\n') + '\n';
}

export function geometrySvg(g: GeometryResult, title = 'Cosine between axes per layer'): string {
  const all = g.pairs.flatMap((p) => p.cos);
  const lo = Math.min(-0.2, ...all, -g.random.maxAbs);
  const hi = Math.max(0.2, ...all, g.random.maxAbs);
  return lineChart({
    title,
    xLabel: 'layer',
    yLabel: 'cosine',
    yMin: Math.max(-1, Math.floor(lo * 10) / 10),
    yMax: Math.min(1, Math.ceil(hi * 10) / 10),
    series: g.pairs.map((p) => ({ name: `${p.a} · ${p.b}`, points: p.cos.map((y, x) => ({ x, y })) })),
    band: { name: 'random 5–95%', points: g.layers.map((x) => ({ x, lo: g.random.p05, hi: g.random.p95 })) },
    refs: [{ name: 'zero', y: 0 }],
  });
}
