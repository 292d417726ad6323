// Model-relative numbers: steering coefficients in units of the model's own residual norm,
// percentile cap bounds, and the norm warning, all measured on a reference prompt set.
// What forms, parsers and describers share; no runtime dependencies (the webview imports it).

/**
 * Units of a steering coefficient. `raw`: c × the stored vector (c = 1 adds one difference of
 * means). `norm`: c × the mean residual norm at the target layer on the reference set, along the
 * vector's direction, so 0.1 adds a tenth of a typical residual whatever the vector's length.
 */
export const COEFFICIENT_UNITS = ['raw', 'norm'] as const;
export type CoefficientUnit = (typeof COEFFICIENT_UNITS)[number];
/** The CLI's suffix for `norm` (`--steer persona:0.3n:2-4`). */
export const NORM_SUFFIX = 'n';

/**
 * The steering coefficient offered first (demo's default, the palette's suggestion), in norm units:
 * inside the range where, on the built-in model, the persona steer flips refusal and its
 * norm-matched random control neither flips it nor breaks the text (0.3n–1n at all layers, prompt
 * positions; bench/steer-range.ts measures it, test/integration/steer-range.test.ts checks it).
 */
export const DEFAULT_NORM_COEFFICIENT = 0.3;

/** A cap bound as a percentile of the axis' projections on the reference set at each layer: `p25`. */
export type PercentileBound = `p${number}`;
export type CapBound = number | PercentileBound;

/** The percentile (0–100) of `p25`, `p2.5`, `p100`; undefined for anything else. */
export function parsePercentile(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  // The schemas' pattern for a bound (schemas/*.schema.json $defs.bound).
  const m = /^p(100(?:\.0+)?|\d{1,2}(?:\.\d+)?)$/.exec(s);
  if (!m) return undefined;
  const p = Number(m[1]);
  return p >= 0 && p <= 100 ? p : undefined;
}

/** The default reference set: default-persona conversations (the assistant-axis recipe's reference). */
export const DEFAULT_REFERENCE_SET = 'builtin:persona-default';

/**
 * The norm warning: a run warns at layer l when the mean residual norm of its prompt tokens
 * (after the first) or of its generated tokens exceeds NORM_WARNING_FACTOR × the reference mean
 * at l. Means, not maxima: models have a few naturally massive tokens (template tokens reach 3.5×
 * the mean on the built-in model with no intervention), and steering moves every token it touches.
 */
export const NORM_WARNING_FACTOR = 3;

/** Which tokens the reference statistics cover: every prompt token but the first (the attention sink). */
export const REFERENCE_POSITIONS = 'prompt tokens after the first';

/** What a run records about the reference set it measured against (trace JSON, sidecars, receipts). */
export interface ReferenceRecord {
  /** As named: builtin:NAME or a file path. */
  set: string;
  /** sha256 (hex) of the set file's bytes. */
  sha256: string;
  prompts: number;
  /** Token samples per layer. */
  tokens: number;
  positions: typeof REFERENCE_POSITIONS;
  /** Per layer: the mean and the largest residual (block output) norm over those tokens. */
  meanNorm: number[];
  maxNorm: number[];
  /** Per percentile bound used: the axis, the percentile and its value at each layer. */
  percentiles?: { axis: string; bound: PercentileBound; values: number[] }[];
}

/**
 * The norm check of one run: per layer, the mean residual norm over its prompt tokens after the
 * first and over its generated tokens (absent when none was run), or why it did not run.
 */
export type NormCheck = { factor: number; promptMean: number[]; generatedMean?: number[] } | { skipped: string };

/** A coefficient as typed (CLI, palette, forms): `2` raw or `0.3n` in norm units; undefined when it is neither. */
export function parseCoefficientText(text: string): { coefficient: number; unit?: 'norm' } | undefined {
  const t = text.trim();
  const norm = t.endsWith(NORM_SUFFIX);
  const body = norm ? t.slice(0, -NORM_SUFFIX.length) : t;
  const coefficient = Number(body);
  if (body.trim() === '' || !Number.isFinite(coefficient)) return undefined;
  return norm ? { coefficient, unit: 'norm' } : { coefficient };
}

/** "0.3n" / "-2" for a steer's coefficient as written. */
export function coefficientText(coefficient: number, unit: CoefficientUnit | undefined): string {
  return `${coefficient >= 0 ? '+' : ''}${coefficient}${unit === 'norm' ? NORM_SUFFIX : ''}`;
}
