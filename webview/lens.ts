// The logit lens in the inspector: under the heatmaps a layer × top-token table at one lens
// position (the chosen token when the lens read it, else the last position it read), and the
// refusal-start probability per layer as a series for the layer profile. Shown only for runs
// that carry readouts.logitLens (a prompt file's "logitLens"). The pure part (lensView,
// lensProfileSeries) is unit-tested; renderLens only draws it.

import { select } from 'd3-selection';
import type { LensToken, LogitLensReadout } from '../src/protocol/readouts';
import type { TokenInfo, TraceResult } from '../src/protocol/types';
import { tokenLabel } from './format';
import { shownRun, type ProfileSeries } from './model';
import type { InspectorState } from './state';

export interface LensRow {
  layer: number;
  refusal: number;
  /** the baseline's refusal probability at this layer and position, when it read the lens there */
  baselineRefusal?: number;
  top: LensToken[];
}

export interface LensView {
  /** token index the table shows */
  position: number;
  token: TokenInfo | undefined;
  /** every position the lens read, for the caption */
  positions: number[];
  topK: number;
  /** deepest layer first, as the heatmaps draw them */
  rows: LensRow[];
}

/** Which of the lens's positions to show: the chosen token when it is one, else the last. */
function positionIndex(lens: LogitLensReadout, token: number): number {
  const i = lens.positions.indexOf(token);
  return i >= 0 ? i : lens.positions.length - 1;
}

function baselineAt(baseline: TraceResult | undefined, position: number): ((layerIndex: number) => number | undefined) {
  const b = baseline?.readouts.logitLens;
  const pi = b ? b.positions.indexOf(position) : -1;
  return (li) => (pi >= 0 ? b!.refusal[li]?.[pi] : undefined);
}

export function lensView(state: InspectorState, token: number): LensView | undefined {
  const run = shownRun(state);
  const lens = run?.readouts.logitLens;
  if (!run || !lens || lens.positions.length === 0) return undefined;
  const pi = positionIndex(lens, token);
  const position = lens.positions[pi]!;
  const base = baselineAt(state.baseline, position);
  const rows = run.layers.map((layer, li) => {
    const row: LensRow = { layer, refusal: lens.refusal[li]?.[pi] ?? Number.NaN, top: lens.top[li]?.[pi] ?? [] };
    const b = base(li);
    if (b !== undefined) row.baselineRefusal = b;
    return row;
  });
  return { position, token: run.tokens[position], positions: lens.positions, topK: lens.topK, rows: rows.reverse() };
}

/** The refusal-start probability per layer at the lens position shown, for the layer profile. */
export function lensProfileSeries(state: InspectorState, token: number): ProfileSeries | undefined {
  const run = shownRun(state);
  const lens = run?.readouts.logitLens;
  if (!run || !lens || lens.positions.length === 0) return undefined;
  const pi = positionIndex(lens, token);
  const position = lens.positions[pi]!;
  const base = baselineAt(state.baseline, position);
  const baseline = state.baseline?.readouts.logitLens ? run.layers.map((_, li) => base(li) ?? Number.NaN) : undefined;
  return {
    axis: `p(refusal start), logit lens at #${position}`,
    layers: run.layers,
    current: run.layers.map((_, li) => lens.refusal[li]?.[pi] ?? Number.NaN),
    baseline,
    domain: [0, 1],
  };
}

const pct = (p: number) => (Number.isFinite(p) ? p.toFixed(3) : '–');

export function renderLens(container: HTMLElement, view: LensView | undefined): void {
  const root = select(container);
  root.attr('hidden', view ? null : '');
  if (!view) return;
  const tok = view.token ? `"${tokenLabel(view.token.text, 24)}" (#${view.position})` : `#${view.position}`;
  const others = view.positions.length > 1 ? ` Read at ${view.positions.map((p) => `#${p}`).join(', ')}: click one of those columns to show it.` : '';
  // a paragraph, not a caption: a caption wraps to the table's (narrow) width
  root.selectAll('p.lens-title').data([null]).join('p').attr('class', 'lens-title')
    .text(`Logit lens at token ${tok}: what each layer's residual predicts next (final norm + lm_head), with the refusal-start probability.${others}`);
  const table = root.selectAll<HTMLTableElement, null>('table.lens').data([null]).join((e) => {
    const t = e.append('table').attr('class', 'lens');
    t.append('thead').append('tr');
    t.append('tbody');
    return t;
  });
  table.attr('data-position', view.position).attr('aria-label', `Logit lens at token ${tok}, one row per layer`);
  const heads = ['layer', 'p(refusal start)', ...Array.from({ length: view.topK }, (_, j) => `top ${j + 1}`)];
  table.select('thead tr').selectAll('th').data(heads).join('th').attr('scope', 'col').text((d) => d);
  const rows = table.select('tbody').selectAll<HTMLTableRowElement, LensRow>('tr').data(view.rows, (d) => String(d.layer)).join('tr');
  rows.attr('data-layer', (d) => d.layer).attr('data-refusal', (d) => d.refusal);
  rows.selectAll<HTMLTableCellElement, string>('th').data((d) => [`L${d.layer}`]).join('th').attr('scope', 'row').text((d) => d);
  rows
    .selectAll<HTMLTableCellElement, LensRow>('td.refusal')
    .data((d) => [d])
    .join((e) => {
      const td = e.append('td').attr('class', 'refusal');
      td.append('span').attr('class', 'bar');
      td.append('span').attr('class', 'value');
      return td;
    })
    .call((td) => {
      td.select('span.bar').style('width', (d) => `${Math.round(Math.min(1, Math.max(0, d.refusal || 0)) * 48)}px`);
      td.select('span.value').text((d) => (d.baselineRefusal !== undefined ? `${pct(d.refusal)} (baseline ${pct(d.baselineRefusal)})` : pct(d.refusal)));
    });
  rows
    .selectAll<HTMLTableCellElement, LensToken>('td.tok')
    .data((d) => d.top)
    .join('td')
    .attr('class', 'tok')
    .attr('data-id', (t) => t.id)
    .attr('data-p', (t) => t.p)
    .attr('title', (t) => `token ${t.id} ${JSON.stringify(t.text)}: p = ${t.p.toPrecision(4)}`)
    .style('--p', (t) => String(Math.min(1, Math.max(0, t.p))))
    .text((t) => `${tokenLabel(t.text, 14)} ${pct(t.p)}`);
}
