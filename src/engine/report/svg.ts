// Static SVG heatmaps of TraceResult projections, for reports that must open anywhere
// (no script, no external assets). The webview draws the interactive version with d3.
import type { TraceResult } from '../../protocol/types';
import { robustMaxAbs } from '../../protocol/scale';

export { robustMaxAbs };

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Diverging blue–white–red, t in [-1, 1]; symmetric so 0 is always white. */
export function divergingColor(t: number): string {
  const x = Math.max(-1, Math.min(1, t));
  const lerp = (a: number, b: number, u: number) => Math.round(a + (b - a) * u);
  const [r, g, b] =
    x < 0
      ? [lerp(255, 33, -x), lerp(255, 102, -x), lerp(255, 172, -x)]
      : [lerp(255, 178, x), lerp(255, 24, x), lerp(255, 43, x)];
  return `rgb(${r},${g},${b})`;
}

/** A visible label for a token: whitespace and control characters made explicit. */
export function tokenLabel(text: string): string {
  const t = text.replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/ /g, '·');
  return t.length > 12 ? t.slice(0, 11) + '…' : t || '∅';
}

export interface HeatmapOptions {
  cell?: number;
  /** shared colour domain |max|, so several heatmaps compare; default: this grid's own */
  maxAbs?: number;
}

/** One axis of one trace: rows = layers (top = last layer), columns = tokens. */
export function heatmapSvg(trace: TraceResult, axisIndex: number, opts: HeatmapOptions = {}): string {
  const cell = opts.cell ?? 14;
  const grid = trace.readouts.projections[axisIndex];
  const L = grid.length;
  const T = trace.tokens.length;
  const maxAbs = opts.maxAbs ?? robustMaxAbs(grid.flat());
  const left = 40;
  const top = 8;
  const labelH = 70;
  const legendW = 160;
  const width = left + T * cell + 20;
  const height = top + L * cell + labelH + 40;
  const firstGen = trace.tokens.findIndex((t) => t.generated);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${Math.max(width, left + legendW + 20)}" height="${height}" font-family="sans-serif" font-size="10">`);
  for (let li = 0; li < L; li++) {
    const y = top + (L - 1 - li) * cell;
    parts.push(`<text x="${left - 4}" y="${y + cell * 0.75}" text-anchor="end">L${trace.layers[li]}</text>`);
    for (let ti = 0; ti < T; ti++) {
      const v = grid[li][ti];
      const tok = trace.tokens[ti];
      parts.push(
        `<rect x="${left + ti * cell}" y="${y}" width="${cell}" height="${cell}" fill="${divergingColor(v / maxAbs)}"><title>${escapeXml(`layer ${trace.layers[li]}, token ${ti} '${tok.text}': ${v.toFixed(4)}`)}</title></rect>`,
      );
    }
  }
  const baseY = top + L * cell;
  trace.tokens.forEach((tok, ti) => {
    const x = left + ti * cell + cell * 0.7;
    parts.push(`<text transform="translate(${x},${baseY + 4}) rotate(60)" fill="${tok.generated ? '#444' : '#000'}">${escapeXml(tokenLabel(tok.text))}</text>`);
  });
  if (firstGen > 0) {
    const x = left + firstGen * cell;
    parts.push(`<line x1="${x}" x2="${x}" y1="${top - 4}" y2="${baseY + 4}" stroke="#000" stroke-width="2"/>`);
  }
  const ly = baseY + labelH;
  for (let i = 0; i < 20; i++) {
    parts.push(`<rect x="${left + i * (legendW / 20)}" y="${ly}" width="${legendW / 20 + 0.5}" height="8" fill="${divergingColor(-1 + (2 * i + 1) / 20)}"/>`);
  }
  parts.push(`<text x="${left}" y="${ly + 20}">≤ ${(-maxAbs).toPrecision(3)}</text>`);
  parts.push(`<text x="${left + legendW / 2}" y="${ly + 20}" text-anchor="middle">0</text>`);
  parts.push(`<text x="${left + legendW}" y="${ly + 20}" text-anchor="end">≥ ${maxAbs.toPrecision(3)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
