// Colour and position scales. The colour scale is diverging and symmetric around 0, and its
// midpoint is the theme's background, so "no projection" reads as empty in every theme
// and only the sign picks the hue (blue negative, red positive: safe for red–green blindness).

import { rgb } from 'd3-color';
import { format } from 'd3-format';
import { interpolateLab } from 'd3-interpolate';
import { scaleDiverging, scaleLinear, type ScaleDiverging, type ScaleLinear } from 'd3-scale';

export interface DivergingColors {
  negative: string;
  neutral: string;
  positive: string;
  /** For cells with no value (e.g. no baseline token in the difference view). */
  missing: string;
}

/** Fallbacks when the page has no VS Code theme variables (tests, exported files). */
export const DEFAULT_COLORS: DivergingColors = {
  negative: '#2166ac',
  neutral: '#f7f7f7',
  positive: '#b2182b',
  missing: 'transparent',
};

export type ColorScale = ScaleDiverging<string> & ((v: number) => string);

/** value → colour over [−maxAbs, 0, +maxAbs], clamped; non-finite values get `missing`. */
export function divergingColor(maxAbs: number, colors: DivergingColors): (v: number) => string {
  const m = Number.isFinite(maxAbs) && maxAbs > 0 ? maxAbs : 1;
  const low = interpolateLab(colors.negative, colors.neutral);
  const high = interpolateLab(colors.neutral, colors.positive);
  const scale = scaleDiverging<string>((t: number) => (t < 0.5 ? low(t * 2) : high(t * 2 - 1)))
    .domain([-m, 0, m])
    .clamp(true);
  return (v: number) => (Number.isFinite(v) ? scale(v) : colors.missing);
}

/** Axis for the legend bar and the profile: symmetric, so 0 sits in the middle. */
export function symmetricLinear(maxAbs: number, range: [number, number]): ScaleLinear<number, number> {
  const m = Number.isFinite(maxAbs) && maxAbs > 0 ? maxAbs : 1;
  return scaleLinear().domain([-m, m]).range(range).nice();
}

/** Which half-width the colours span: a high quantile of |value| (outliers marked) or the full range. */
export type ScaleMode = 'robust' | 'full';

/** Average advance of a 10px sans-serif glyph; labels are laid out from this, not measured, so
 *  the live view and the exported file (no layout engine) place them the same way. */
export const CHAR_PX = 6;

export function textWidth(s: string): number {
  return s.length * CHAR_PX;
}

const GROUPED = format(',~g');
const COMPACT = format('~s');

/** Tick text: "−6k" rather than "−6,000" once values reach thousands, so ticks stay short. */
export function tickFormat(maxAbs: number): (v: number) => string {
  return (v: number) => (v === 0 ? '0' : maxAbs >= 1000 ? COMPACT(v) : GROUPED(v));
}

/**
 * Legend ticks that never collide: the most ticks (≤ 5) whose labels, centred on their
 * positions, keep `gap` px apart and stay within `overhang` px of the bar's ends.
 */
export function legendTicks(scale: ScaleLinear<number, number>, gap = 8, overhang = 20): { values: number[]; format: (v: number) => string } {
  const [lo, hi] = scale.domain() as [number, number];
  const fmt = tickFormat(Math.max(Math.abs(lo), Math.abs(hi)));
  const [r0, r1] = scale.range() as [number, number];
  const fits = (values: number[]) => {
    const boxes = values.map((v) => ({ x: scale(v), w: textWidth(fmt(v)) }));
    for (const b of boxes) if (b.x - b.w / 2 < r0 - overhang || b.x + b.w / 2 > r1 + overhang) return false;
    for (let i = 1; i < boxes.length; i++) {
      if (boxes[i]!.x - boxes[i - 1]!.x < (boxes[i]!.w + boxes[i - 1]!.w) / 2 + gap) return false;
    }
    return true;
  };
  for (const n of [5, 4, 3, 2]) {
    const values = scale.ticks(n);
    if (values.length >= 2 && fits(values)) return { values, format: fmt };
  }
  return { values: fits([lo, 0, hi]) ? [lo, 0, hi] : [0], format: fmt };
}

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** `n` colours sampled evenly over [−maxAbs, +maxAbs] as bytes, for painting cells on a canvas. */
export function colorTable(maxAbs: number, colors: DivergingColors, n = 511): Rgba[] {
  const c = divergingColor(maxAbs, colors);
  const out: Rgba[] = [];
  for (let i = 0; i < n; i++) {
    const v = -maxAbs + (2 * maxAbs * i) / (n - 1);
    const p = rgb(c(v));
    out.push({ r: Math.round(p.r), g: Math.round(p.g), b: Math.round(p.b), a: Math.round(255 * (p.opacity ?? 1)) });
  }
  return out;
}
