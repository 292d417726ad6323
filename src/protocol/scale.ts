// The colour-domain rule every heatmap shares (the inspector webview and static reports), so the
// same run looks the same everywhere. Pure, no imports: the browser bundle uses it too.

/**
 * Half-width of a symmetric colour domain for residual-stream projections: a high quantile of
 * |value| rather than the maximum, because residual streams carry huge outliers at a few tokens
 * (the first token, special tokens) that would wash every other cell out to white. Cells beyond
 * it saturate; legends mark the ends as "≤ −m" and "≥ m", and the inspector marks each such
 * cell. The 99th percentile keeps about 1 cell in 100 beyond the scale: few enough that a
 * marker on each still means "look here". Non-finite values are ignored.
 */
export const ROBUST_QUANTILE = 0.99;

export function robustMaxAbs(values: Iterable<number>, q = ROBUST_QUANTILE): number {
  const list: number[] = [];
  for (const v of values) if (Number.isFinite(v)) list.push(Math.abs(v));
  if (list.length === 0) return 1;
  // A typed array sorts numerically without a comparator: ~10× faster on a 64k-cell run.
  const abs = Float64Array.from(list).sort();
  const m = abs[Math.min(abs.length - 1, Math.floor(q * (abs.length - 1)))]!;
  return m > 0 ? m : abs[abs.length - 1]! > 0 ? abs[abs.length - 1]! : 1;
}

/** Largest |value| over finite values (the "full range" scale); 1 when there are none. */
export function fullMaxAbs(values: Iterable<number>): number {
  let m = 0;
  for (const v of values) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m > 0 ? m : 1;
}
