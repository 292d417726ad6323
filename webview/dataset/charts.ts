// The dataset view's charts as SVG: the persona × refusal scatter at the chosen layer (one path
// per label, so 10,000 points are three elements; a d3 brush filters the table) and the mean
// projection per layer by label. Values stay in data-* attributes for tests and screen readers.
import { axisBottom, axisLeft } from 'd3-axis';
import { brush as d3brush, type BrushBehavior } from 'd3-brush';
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { line } from 'd3-shape';
import { LABEL_COLOURS, ROW_LABELS, type RowLabel } from '../../src/protocol/dataset';
import type { Point } from './model';
import type { Brush } from './state';

const W = 450;
const H = 300;
const M = { top: 24, right: 84, bottom: 34, left: 46 }; // the legend sits in the right margin

function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [-1, 1];
  if (hi - lo < 1e-9) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

interface ScatterNode extends SVGSVGElement {
  __brush?: BrushBehavior<unknown>;
  __scales?: { x: ScaleLinear<number, number>; y: ScaleLinear<number, number> };
  __onBrush?: (b?: Brush) => void;
}

/**
 * Draws (or redraws in place) the scatter into `host`. `onBrush` gets the selection in data units
 * (undefined when cleared) only for user gestures, never for the programmatic move that shows
 * `brushIn`.
 */
export function renderScatter(host: HTMLElement, pts: Point[], o: { x: string; y: string; layer: string; position: string; brush?: Brush; onBrush(b?: Brush): void }): void {
  let svg = host.querySelector<ScatterNode>('svg.scatter');
  if (!svg) {
    const s = select(host).append('svg').attr('class', 'chart scatter').attr('width', W).attr('height', H).attr('role', 'img');
    s.append('text').attr('class', 'title').attr('x', M.left).attr('y', 14);
    s.append('g').attr('class', 'x-axis axis').attr('transform', `translate(0,${H - M.bottom})`);
    s.append('g').attr('class', 'y-axis axis').attr('transform', `translate(${M.left},0)`);
    s.append('text').attr('class', 'x-label').attr('x', (M.left + W - M.right) / 2).attr('y', H - 4).attr('text-anchor', 'middle');
    s.append('text').attr('class', 'y-label').attr('transform', `translate(12,${(M.top + H - M.bottom) / 2}) rotate(-90)`).attr('text-anchor', 'middle');
    const g = s.append('g').attr('class', 'points');
    for (const l of ROW_LABELS) g.append('path').attr('data-label', l).attr('stroke', LABEL_COLOURS[l]).attr('stroke-width', 4).attr('stroke-linecap', 'round').attr('stroke-opacity', 0.7).attr('fill', 'none');
    const node = s.node() as ScatterNode;
    const b = d3brush<unknown>().extent([[M.left, M.top], [W - M.right, H - M.bottom]]);
    b.on('end', (ev: { selection: [[number, number], [number, number]] | null; sourceEvent?: unknown }) => {
      if (!ev.sourceEvent) return; // our own move
      const sc = node.__scales;
      if (!ev.selection || !sc) return node.__onBrush?.(undefined);
      const [[px0, py0], [px1, py1]] = ev.selection;
      node.__onBrush?.({ x0: sc.x.invert(px0), x1: sc.x.invert(px1), y0: sc.y.invert(py1), y1: sc.y.invert(py0) });
    });
    s.append('g').attr('class', 'brush').call(b);
    node.__brush = b;
    svg = node;
  }
  svg.__onBrush = o.onBrush;
  const x = scaleLinear().domain(extent(pts.map((p) => p.x))).range([M.left, W - M.right]).nice();
  const y = scaleLinear().domain(extent(pts.map((p) => p.y))).range([H - M.bottom, M.top]).nice();
  svg.__scales = { x, y };
  const s = select(svg);
  s.attr('aria-label', `${o.x} × ${o.y} at layer ${o.layer} (${o.position}): ${pts.length} rows`).attr('data-points', pts.length).attr('data-layer', o.layer);
  s.select('.title').text(`${o.x} × ${o.y} · layer ${o.layer} · ${o.position}`);
  s.select<SVGGElement>('.x-axis').call(axisBottom(x).ticks(6));
  s.select<SVGGElement>('.y-axis').call(axisLeft(y).ticks(6));
  s.select('.x-label').text(o.x);
  s.select('.y-label').text(o.y);
  const byLabel = new Map<RowLabel, string[]>();
  for (const p of pts) {
    let a = byLabel.get(p.label);
    if (!a) byLabel.set(p.label, (a = []));
    a.push(`M${x(p.x).toFixed(1)} ${y(p.y).toFixed(1)}h0`);
  }
  // A legend of the labels on the plot (the exported picture has no toggles to explain the colours).
  const present = ROW_LABELS.filter((l) => byLabel.has(l));
  s.selectAll<SVGGElement, RowLabel>('g.legend-item')
    .data(present, (l) => l)
    .join((e) => {
      const g = e.append('g').attr('class', 'legend-item');
      g.append('circle').attr('r', 4);
      g.append('text').attr('x', 7).attr('dy', '0.32em');
      return g;
    })
    .attr('transform', (_, i) => `translate(${W - M.right + 12},${M.top + 6 + i * 14})`)
    .call((g) => g.select('circle').attr('fill', (l) => LABEL_COLOURS[l]))
    .call((g) => g.select('text').text((l) => l));
  s.selectAll<SVGPathElement, unknown>('g.points path').each(function () {
    const l = this.getAttribute('data-label') as RowLabel;
    const d = byLabel.get(l);
    this.setAttribute('d', d ? d.join('') : '');
    this.setAttribute('data-n', String(d?.length ?? 0));
  });
  const bg = s.select<SVGGElement>('g.brush');
  const b = svg.__brush!;
  if (o.brush) bg.call(b.move, [[x(o.brush.x0), y(o.brush.y1)], [x(o.brush.x1), y(o.brush.y0)]]);
  else bg.call(b.move, null);
}

/** Mean projection per layer, one line per label, for one axis. */
export function renderMeans(host: HTMLElement, axis: string, position: string, layers: string[], means: Partial<Record<RowLabel, (number | undefined)[]>>): void {
  const w = 300;
  const h = 200;
  const m = { top: 22, right: 10, bottom: 30, left: 46 };
  let svgEl = host.querySelector<SVGSVGElement>(`svg.means[data-axis="${CSS.escape(axis)}"]`);
  if (!svgEl) {
    const s = select(host).append('svg').attr('class', 'chart means').attr('data-axis', axis).attr('width', w).attr('height', h).attr('role', 'img');
    s.append('text').attr('class', 'title').attr('x', m.left).attr('y', 14);
    s.append('g').attr('class', 'x-axis axis').attr('transform', `translate(0,${h - m.bottom})`);
    s.append('g').attr('class', 'y-axis axis').attr('transform', `translate(${m.left},0)`);
    s.append('text').attr('class', 'x-label').attr('x', (m.left + w - m.right) / 2).attr('y', h - 2).attr('text-anchor', 'middle').text('layer');
    s.append('g').attr('class', 'lines');
    svgEl = s.node()!;
  }
  const s = select(svgEl);
  const all = Object.values(means).flat().filter((v): v is number => v !== undefined);
  const x = scaleLinear().domain([0, Math.max(1, layers.length - 1)]).range([m.left, w - m.right]);
  const y = scaleLinear().domain(extent(all)).range([h - m.bottom, m.top]).nice();
  s.attr('aria-label', `mean ${axis} projection per layer by label (${position})`);
  s.select('.title').text(`mean ${axis} per layer · ${position}`);
  s.select<SVGGElement>('.x-axis').call(axisBottom(x).ticks(Math.min(layers.length, 8)).tickFormat((i) => layers[Math.round(Number(i))] ?? ''));
  s.select<SVGGElement>('.y-axis').call(axisLeft(y).ticks(5));
  const entries = ROW_LABELS.filter((l) => means[l]).map((l) => ({ l, vs: means[l]! }));
  const gen = line<number | undefined>()
    .defined((v) => v !== undefined)
    .x((_, i) => x(i))
    .y((v) => y(v ?? 0));
  s.select('g.lines')
    .selectAll<SVGPathElement, { l: RowLabel; vs: (number | undefined)[] }>('path')
    .data(entries, (d) => d.l)
    .join('path')
    .attr('data-label', (d) => d.l)
    .attr('data-values', (d) => d.vs.map((v) => (v === undefined ? '' : v.toFixed(4))).join(' '))
    .attr('fill', 'none')
    .attr('stroke', (d) => LABEL_COLOURS[d.l])
    .attr('stroke-width', 2)
    .attr('d', (d) => gen(d.vs));
}
