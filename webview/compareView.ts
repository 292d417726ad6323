// Draws the comparison (compare.ts) under the current run: both responses side by side, a
// layer × axis table of the values at each run's last prompt token with Δ = current − pinned,
// and the pinned run's own heatmaps.

import { select } from 'd3-selection';
import type { TraceResult } from '../src/protocol/types';
import { comparison, pinnedHeatmaps, type Comparison } from './compare';
import { formatDelta, formatValue } from './format';
import { renderHeatmap, type HeatmapContext } from './heatmap';
import type { HeatmapModel } from './model';
import type { InspectorState } from './state';

export function buildCompare(parent: HTMLElement): HTMLElement {
  const sec = select(parent).append('section').attr('class', 'compare').attr('aria-labelledby', 'compare-heading').attr('hidden', '');
  sec.append('h2').attr('id', 'compare-heading').text('Compare: pinned run vs current run');
  const cols = sec.append('div').attr('class', 'compare-cols');
  for (const which of ['pinned', 'current']) {
    // not `current`: the response's own block is div.current
    const c = cols.append('div').attr('class', `compare-col compare-${which}`);
    c.append('h3').text(which === 'pinned' ? 'Pinned' : 'Current');
    c.append('div').attr('class', 'compare-title');
    c.append('div').attr('class', 'compare-label');
    c.append('pre').attr('class', 'response-text');
  }
  sec.append('div').attr('class', 'compare-table-wrap').append('table').attr('class', 'compare-table');
  sec.append('h3').attr('class', 'pinned-maps-heading').text('Pinned run: projections');
  sec.append('div').attr('class', 'pinned-heatmaps');
  return sec.node()!;
}

function fillColumn(col: HTMLElement, side: Comparison['pinned']): void {
  const c = select(col);
  c.select('div.compare-title').text(side.title);
  const l = side.run.label;
  c.select('div.compare-label').attr('data-label', l.label).text(`${l.label} · refusal score ${formatValue(l.refusalScore)}`);
  c.select('pre.response-text').text(side.run.response || '(empty response)');
}

function fillTable(table: HTMLElement, cmp: Comparison): void {
  const axes = [...new Set(cmp.rows.map((r) => r.axis))];
  const layers = [...new Set(cmp.rows.map((r) => r.layer))].sort((a, b) => a - b);
  const t = select(table);
  t.selectAll('*').remove();
  t.append('caption').text("At each run's last prompt token (where the refusal decision shows): pinned, current, Δ = current − pinned");
  const head = t.append('thead');
  const h1 = head.append('tr');
  h1.append('th').attr('rowspan', 2).attr('scope', 'col').text('Layer');
  for (const a of axes) h1.append('th').attr('colspan', 3).attr('scope', 'colgroup').text(a);
  const h2 = head.append('tr');
  for (const _ of axes) for (const k of ['pinned', 'current', 'Δ']) h2.append('th').attr('scope', 'col').text(k);
  const body = t.append('tbody');
  for (const layer of layers) {
    const tr = body.append('tr');
    tr.append('th').attr('scope', 'row').text(String(layer));
    for (const a of axes) {
      const r = cmp.rows.find((x) => x.axis === a && x.layer === layer);
      tr.append('td').text(formatValue(r?.pinned));
      tr.append('td').text(formatValue(r?.current));
      tr.append('td')
        .attr('class', r ? (r.delta > 0 ? 'delta pos' : r.delta < 0 ? 'delta neg' : 'delta') : 'delta')
        .attr('data-axis', a)
        .attr('data-layer', layer)
        .attr('data-delta', r?.delta ?? null)
        .text(formatDelta(r?.delta));
    }
  }
}

// The pinned heatmaps are rebuilt only when the pinned or the current run changes.
let memo: { run?: TraceResult; current?: TraceResult; models: HeatmapModel[] } = { models: [] };

export function renderCompare(section: HTMLElement, state: InspectorState, ctx: Omit<HeatmapContext, 'selectedToken' | 'cursorLayer'>): void {
  const cmp = comparison(state);
  const sec = select(section).attr('hidden', cmp ? null : '');
  if (!cmp) return;
  fillColumn(sec.select<HTMLElement>('div.compare-col.compare-pinned').node()!, cmp.pinned);
  fillColumn(sec.select<HTMLElement>('div.compare-col.compare-current').node()!, cmp.current);
  fillTable(sec.select<HTMLElement>('table.compare-table').node()!, cmp);
  if (memo.run !== cmp.pinned.run || memo.current !== cmp.current.run) {
    memo = { run: cmp.pinned.run, current: cmp.current.run, models: pinnedHeatmaps(cmp.pinned.run, cmp.current.run) };
  }
  const last = Math.max(0, memo.models[0]?.promptLength ?? 1) - 1;
  sec
    .select('div.pinned-heatmaps')
    .selectAll<HTMLDivElement, HeatmapModel>('div.heatmap-block')
    .data(memo.models, (d) => d.axis)
    .join('div')
    .attr('class', 'heatmap-block pinned')
    .each(function (m) {
      renderHeatmap(this, m, { ...ctx, selectedToken: last, cursorLayer: 0 });
    });
}
