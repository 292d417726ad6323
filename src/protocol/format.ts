// Number formatting shared by the editor's inline hints (CodeLens) and the dataset view, so a
// row shows the same digits in both. No runtime dependencies (bundled into the webview).

/** Formats a projection with 3 significant digits and a real minus sign. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const s = Math.abs(x) >= 1000 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
  return s.replace(/^-/, '−');
}
