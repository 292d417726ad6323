// A compact layer × token view for terminals: one character cell per (layer, token), a
// diverging colour scale centred at 0 (ANSI 256 colours), '│' between prompt and generated.
// Without colour it falls back to a signed character ramp so pipes and logs stay readable.
import type { TraceResult } from '../protocol/types';

const NEG = [17, 18, 19, 20, 26, 32, 38, 75, 117, 153]; // strong blue … pale blue
const POS = [224, 217, 210, 209, 203, 196, 160, 124, 88, 52]; // pale red … strong red
const RAMP_NEG = ['.', '-', '=', '≡'];
const RAMP_POS = ['.', '+', '*', '#'];

export function cellFor(value: number, maxAbs: number, color: boolean): string {
  const t = maxAbs > 0 ? Math.min(1, Math.abs(value) / maxAbs) : 0;
  if (!color) {
    const ramp = value < 0 ? RAMP_NEG : RAMP_POS;
    return t < 0.1 ? ' ' : ramp[Math.min(ramp.length - 1, Math.floor(t * ramp.length))];
  }
  if (t < 0.05) return '\x1b[48;5;255m \x1b[0m';
  const idx = Math.min(9, Math.floor(t * 10));
  const code = value < 0 ? NEG[9 - idx] : POS[idx];
  return `\x1b[48;5;${code}m \x1b[0m`;
}

/** Renders one axis; columns beyond `maxCols` keep the last prompt tokens and all generated ones that fit. */
export function renderAxis(trace: TraceResult, axisIndex: number, opts: { color: boolean; maxCols?: number }): string {
  const maxCols = opts.maxCols ?? 100;
  const grid = trace.readouts.projections[axisIndex]; // [layer][token]
  const nTok = trace.tokens.length;
  const firstGen = trace.tokens.findIndex((t) => t.generated);
  const promptEnd = firstGen < 0 ? nTok : firstGen;
  let cols = Array.from({ length: nTok }, (_, i) => i);
  if (cols.length > maxCols) {
    const gen = cols.slice(promptEnd).slice(0, Math.floor(maxCols / 2));
    cols = [...cols.slice(0, promptEnd).slice(-(maxCols - gen.length)), ...gen];
  }
  let maxAbs = 0;
  for (const row of grid) for (const c of cols) maxAbs = Math.max(maxAbs, Math.abs(row[c] ?? 0));
  const lines: string[] = [];
  const axis = trace.axes[axisIndex]?.name ?? `axis ${axisIndex}`;
  lines.push(`${axis}  (|max| ${maxAbs.toPrecision(3)}; ${opts.color ? 'blue < 0 < red' : "'≡=-' < 0 < '+*#'"}; columns: tokens${cols.length < nTok ? `, ${nTok - cols.length} hidden` : ''})`);
  for (let li = grid.length - 1; li >= 0; li--) {
    let line = `  L${String(trace.layers[li]).padStart(2, '0')} `;
    for (const c of cols) {
      if (c === promptEnd && promptEnd < nTok) line += '│';
      line += cellFor(grid[li][c] ?? 0, maxAbs, opts.color);
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** The per-layer profile at one token, as a small table of numbers. */
export function profileLine(trace: TraceResult, tokenIndex: number): string {
  const w = Math.max(10, ...trace.axes.map((a) => a.name.length));
  const rows = trace.axes.map((a, ai) => {
    const vals = trace.readouts.projections[ai].map((row) => fmt(row[tokenIndex] ?? 0));
    return `  ${a.name.padEnd(w)} ${vals.join(' ')}`;
  });
  const head = `  ${'layer'.padEnd(w)} ${trace.layers.map((l) => String(l).padStart(6)).join(' ')}`;
  return [head, ...rows].join('\n');
}

function fmt(v: number): string {
  return (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)).padStart(6);
}
