// The experiment views as HTML, the pure part (no `vscode`, unit-tested): the annotation
// summary (label counts; per axis, layer and position a box plot of the projections per label,
// drawn as inline SVG) and the refusal receipt (its table and its SVG charts). Pages run no
// script: the CSP allows only the nonce'd style and images from the webview's own sources.
import type { ProjectionSummary } from '../../engine/experiments/annotate';
import type { Receipt } from '../../engine/experiments/receipt';
import { describeIntervention } from '../../engine/experiments/receipt-render';
import { LABELS, type Label } from '../../protocol/types';
import { fmt } from './results';

/** Label colours that read on light and dark themes. */
export const LABEL_COLOURS: Record<Label, string> = { refusal: '#d9534f', bypass: '#3c9d5d', degenerate: '#9a8c3a' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A whole page: strict CSP (no scripts), theme-coloured style under `nonce`. */
export function page(opts: { title: string; body: string; cspSource: string; nonce: string }): string {
  const csp = `default-src 'none'; img-src ${opts.cspSource} data:; style-src 'nonce-${opts.nonce}';`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(opts.title)}</title>
<style nonce="${opts.nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 1.2em 2em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; }
th, td { border-bottom: 1px solid var(--vscode-panel-border, #8884); padding: .25em .7em; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
.muted { opacity: .7; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; }
figcaption { font-size: .9em; margin-bottom: .2em; }
svg text { fill: var(--vscode-foreground); font-size: 11px; font-family: var(--vscode-font-family); }
svg .axis { stroke: var(--vscode-foreground); stroke-opacity: .5; }
img.chart { max-width: 100%; background: #fff; border-radius: 4px; margin: .4em 0 1em; }
code { font-family: var(--vscode-editor-font-family); }
</style></head>
<body>${opts.body}</body></html>`;
}

// ───────────────────────────── annotation summary ─────────────────────────────

export interface BoxPlotOptions {
  width?: number;
  rowHeight?: number;
}

/**
 * One box plot per label (whiskers 5–95%, box 25–75%, median line, mean dot) on a shared
 * horizontal scale, as an SVG string. Deterministic: the same summary gives the same bytes.
 */
export function boxPlotSvg(s: ProjectionSummary, o: BoxPlotOptions = {}): string {
  const W = o.width ?? 360;
  const rowH = o.rowHeight ?? 22;
  const labels = LABELS.filter((l) => s.byLabel[l]);
  const left = 78;
  const right = 12;
  const top = 6;
  const H = top + rowH * Math.max(1, labels.length) + 22;
  const values = labels.flatMap((l) => [...s.byLabel[l]!.q, s.byLabel[l]!.mean]).filter(Number.isFinite);
  let lo = values.length ? Math.min(...values, 0) : -1;
  let hi = values.length ? Math.max(...values, 0) : 1;
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const x = (v: number) => (left + ((v - lo) / (hi - lo)) * (W - left - right)).toFixed(1);
  const parts: string[] = [];
  const title = `${s.axis} · layer ${s.layer} · ${s.position}`;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}">`);
  // zero line and the scale's ends
  parts.push(`<line class="axis" x1="${x(0)}" x2="${x(0)}" y1="${top}" y2="${H - 18}" stroke-dasharray="3 3"/>`);
  parts.push(`<line class="axis" x1="${left}" x2="${W - right}" y1="${H - 18}" y2="${H - 18}"/>`);
  parts.push(`<text x="${left}" y="${H - 5}">${escapeHtml(fmt(lo))}</text>`);
  parts.push(`<text x="${W - right}" y="${H - 5}" text-anchor="end">${escapeHtml(fmt(hi))}</text>`);
  parts.push(`<text x="${x(0)}" y="${H - 5}" text-anchor="middle">0</text>`);
  labels.forEach((l, i) => {
    const b = s.byLabel[l]!;
    const [q05, q25, q50, q75, q95] = b.q;
    const cy = top + rowH * i + rowH / 2;
    const c = LABEL_COLOURS[l];
    parts.push(`<g data-label="${l}" data-n="${b.n}">`);
    parts.push(`<text x="4" y="${(cy + 4).toFixed(1)}">${l} (${b.n})</text>`);
    parts.push(`<line x1="${x(q05)}" x2="${x(q95)}" y1="${cy}" y2="${cy}" stroke="${c}"/>`);
    parts.push(`<rect x="${x(q25)}" y="${cy - 7}" width="${Math.max(1, Number(x(q75)) - Number(x(q25))).toFixed(1)}" height="14" fill="${c}" fill-opacity="0.35" stroke="${c}"/>`);
    parts.push(`<line x1="${x(q50)}" x2="${x(q50)}" y1="${cy - 7}" y2="${cy + 7}" stroke="${c}" stroke-width="2"/>`);
    parts.push(`<circle cx="${x(b.mean)}" cy="${cy}" r="2.5" fill="${c}"/>`);
    parts.push(`<title>${escapeHtml(`${l}: n ${b.n}, mean ${fmt(b.mean)}, 5/25/50/75/95%: ${b.q.map(fmt).join(' / ')}`)}</title></g>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface SummaryPageInput {
  dataset: string;
  results: string;
  counts: Record<Label, number>;
  projections: ProjectionSummary[];
  /** Dataset rows not yet annotated (undefined when unknown). */
  pending?: number;
  /** Results lines that could not be read. */
  bad?: number;
  /** Error rows: dataset rows the model could not run (not in the label shares). */
  errors?: number;
  running?: boolean;
}

/** The summary page's body: counts table, then box plots grouped by axis. */
export function summaryBody(s: SummaryPageInput): string {
  const n = LABELS.reduce((k, l) => k + s.counts[l], 0);
  const pct = (k: number) => (n ? ((100 * k) / n).toFixed(1) + '%' : '–');
  const out: string[] = [];
  out.push(`<h1>Annotation summary</h1>`);
  out.push(`<p class="muted"><code>${escapeHtml(s.dataset)}</code> → <code>${escapeHtml(s.results)}</code>${s.running ? ' · <strong>running…</strong>' : ''}</p>`);
  out.push('<table id="counts"><thead><tr><th>label</th><th>rows</th><th>share</th></tr></thead><tbody>');
  for (const l of LABELS) out.push(`<tr data-label="${l}"><td>${l}</td><td>${s.counts[l]}</td><td>${pct(s.counts[l])}</td></tr>`);
  if (s.errors) out.push(`<tr data-label="error"><td>error</td><td>${s.errors}</td><td class="muted">not run</td></tr>`);
  out.push(`<tr><td><strong>total</strong></td><td><strong>${n + (s.errors ?? 0)}</strong></td><td></td></tr></tbody></table>`);
  const notes: string[] = [];
  if (s.errors) notes.push(`${s.errors} row${s.errors === 1 ? '' : 's'} the model could not run (error rows; the results file says why; shares leave them out)`);
  if (s.pending) notes.push(`${s.pending} dataset row${s.pending === 1 ? '' : 's'} not annotated yet (run Annotate Dataset to resume)`);
  if (s.bad) notes.push(`${s.bad} unreadable line${s.bad === 1 ? '' : 's'} in the results file skipped`);
  if (notes.length) out.push(`<p class="muted">${notes.map(escapeHtml).join('; ')}.</p>`);
  if (!s.projections.length) {
    out.push('<p class="muted">No projections: the run had no axes.</p>');
    return out.join('\n');
  }
  const byAxis = new Map<string, ProjectionSummary[]>();
  for (const p of s.projections) byAxis.set(p.axis, [...(byAxis.get(p.axis) ?? []), p]);
  for (const [axis, list] of byAxis) {
    out.push(`<h2>${escapeHtml(axis)}</h2><p class="muted">Projection per label: whiskers 5–95%, box 25–75%, line median, dot mean.</p><div class="plots">`);
    const sorted = [...list].sort((a, b) => Number(a.layer) - Number(b.layer) || a.position.localeCompare(b.position));
    for (const p of sorted) out.push(`<figure><figcaption>layer ${escapeHtml(p.layer)} · ${escapeHtml(p.position)}</figcaption>${boxPlotSvg(p)}</figure>`);
    out.push('</div>');
  }
  return out.join('\n');
}

// ───────────────────────────── receipt ─────────────────────────────

/** The one receipt-shape check (src/engine/experiments/receipt-check.ts), re-exported for the view. */
export { receiptProblem } from '../../engine/experiments/receipt-check';

const pctCell = (c: { rate: number; lo: number; hi: number; count: number }) =>
  `${(100 * c.rate).toFixed(1)}% <span class="muted">[${(100 * c.lo).toFixed(1)}, ${(100 * c.hi).toFixed(1)}]</span>`;
const score = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(2) : '—');

/** The receipt page's body: identity, the conditions table, then the charts (`charts`: name → image src). */
export function receiptBody(r: Receipt, charts: { name: string; src: string }[], files: string[] = []): string {
  const out: string[] = [];
  out.push(`<h1>${escapeHtml(r.title)}</h1>`);
  if (r.description) out.push(`<p>${escapeHtml(r.description)}</p>`);
  out.push(
    `<p class="muted">Model <code>${escapeHtml(r.model.name)}</code> (${escapeHtml(r.model.dtype)}, ${r.model.layers} layers, graph ${escapeHtml(r.model.graphHash.slice(0, 12))}) · ` +
      `condition file <code>${escapeHtml(r.conditionFile.file)}</code> · receipt <code>${escapeHtml(r.hash.slice(0, 16))}</code> · ${escapeHtml(r.created)}</p>`,
  );
  out.push('<table id="conditions"><thead><tr><th>condition</th><th>set</th><th>n</th><th>refusal (95% CI)</th><th>bypass</th><th>degenerate</th><th>mean score</th><th>interventions</th></tr></thead><tbody>');
  for (const c of r.conditions) {
    const ivs = c.interventions.length ? c.interventions.map(describeIntervention).join('; ') : 'none';
    out.push(
      `<tr data-condition="${escapeHtml(c.name)}"><td>${escapeHtml(c.name)}</td><td class="text">${escapeHtml(c.set)}</td><td>${c.n}</td>` +
        `<td>${pctCell(c.rates.refusal)}</td><td>${pctCell(c.rates.bypass)}</td><td>${pctCell(c.rates.degenerate)}</td><td>${score(c.meanRefusalScore)}</td><td class="text">${escapeHtml(ivs)}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  for (const s of r.sweeps) {
    out.push(`<p class="muted">Sweep <strong>${escapeHtml(s.name)}</strong> on ${escapeHtml(s.set)}: ${s.points.length} windows of ${s.size} layer${s.size === 1 ? '' : 's'}.</p>`);
  }
  for (const c of charts) out.push(`<h2>${escapeHtml(c.name)}</h2><img class="chart" alt="${escapeHtml(c.name)}" src="${escapeHtml(c.src)}">`);
  if (files.length) out.push(`<h2>Files</h2><ul>${files.map((f) => `<li><code>${escapeHtml(f)}</code></li>`).join('')}</ul>`);
  return out.join('\n');
}
