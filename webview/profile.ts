// The layer profile: projection per layer at one token, run (solid) against baseline
// (dashed), one small panel per axis side by side in one SVG so it exports as one picture;
// with the logit lens, one more panel: the refusal-start probability per layer (0..1).

import { axisBottom, axisLeft } from 'd3-axis';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { line } from 'd3-shape';
import { tokenLabel } from './format';
import type { ProfileSeries } from './model';
import type { TokenInfo } from '../src/protocol/types';

const PANEL = { width: 300, height: 200, margin: { top: 28, right: 14, bottom: 34, left: 52 } };
const HEADER = 24;

interface Point {
  layer: number;
  v: number;
}

function points(layers: number[], values: number[]): Point[] {
  return layers.map((layer, i) => ({ layer, v: values[i]! }));
}

export function renderProfile(container: HTMLElement, series: ProfileSeries[], token: TokenInfo | undefined, tokenIndex: number): void {
  const pw = PANEL.width;
  const width = Math.max(1, series.length) * pw;
  const height = HEADER + PANEL.height;
  const svg = select(container)
    .selectAll<SVGSVGElement, null>('svg.profile')
    .data([null])
    .join((e) => {
      const s = e.append('svg').attr('class', 'chart profile').attr('role', 'img');
      s.append('text').attr('class', 'title').attr('x', 4).attr('y', 16);
      s.append('g').attr('class', 'key');
      return s;
    })
    .attr('width', width)
    .attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('data-token', tokenIndex);

  const tokText = token ? `"${tokenLabel(token.text, 24)}" (#${tokenIndex}, ${token.generated ? 'generated' : 'prompt'})` : '–';
  svg.select('text.title').text(`Layer profile at token ${tokText}`);
  svg.attr('aria-label', `Projection per layer at token ${tokText}, run${series[0]?.baseline ? ' and baseline' : ''}.`);

  const hasBaseline = series.some((s) => s.baseline);
  const keys = [{ cls: 'line-current', text: 'run' }, ...(hasBaseline ? [{ cls: 'line-baseline', text: 'baseline' }] : [])];
  const key = svg.select('g.key').attr('transform', `translate(${width - 150},12)`);
  const item = key
    .selectAll<SVGGElement, (typeof keys)[number]>('g.key-item')
    .data(keys, (d) => d.cls)
    .join((e) => {
      const g = e.append('g').attr('class', 'key-item');
      g.append('line').attr('x1', 0).attr('x2', 18);
      g.append('text').attr('x', 22).attr('dominant-baseline', 'central');
      return g;
    })
    .attr('transform', (_, i) => `translate(${i * 70},0)`);
  item.select('line').attr('class', (d) => d.cls);
  item.select('text').text((d) => d.text);

  const panels = svg
    .selectAll<SVGGElement, ProfileSeries>('g.panel')
    .data(series, (d) => d.axis)
    .join((e) => {
      const g = e.append('g').attr('class', 'panel');
      g.append('text').attr('class', 'panel-title');
      g.append('line').attr('class', 'zero');
      g.append('g').attr('class', 'x-axis');
      g.append('g').attr('class', 'y-axis');
      g.append('path').attr('class', 'line-baseline');
      g.append('path').attr('class', 'line-current');
      g.append('g').attr('class', 'dots');
      return g;
    })
    .attr('data-axis', (d) => d.axis)
    .attr('transform', (_, i) => `translate(${i * pw},${HEADER})`);

  const { margin } = PANEL;
  const innerW = pw - margin.left - margin.right;
  const innerH = PANEL.height - margin.top - margin.bottom;
  panels.each(function (s) {
    const g = select(this);
    const all = [...s.current, ...(s.baseline ?? [])].filter(Number.isFinite);
    const m = all.length ? Math.max(...all.map(Math.abs)) : 1;
    const y = scaleLinear().domain(s.domain ?? [-m || -1, m || 1]).range([margin.top + innerH, margin.top]).nice();
    const lo = s.layers[0] ?? 0;
    const hi = s.layers[s.layers.length - 1] ?? 1;
    const x = scaleLinear().domain([lo, hi === lo ? lo + 1 : hi]).range([margin.left, margin.left + innerW]);
    const path = line<Point>()
      .defined((p) => Number.isFinite(p.v))
      .x((p) => x(p.layer))
      .y((p) => y(p.v));

    g.select('text.panel-title').attr('x', margin.left).attr('y', margin.top - 10).text(s.axis);
    g.select('line.zero').attr('x1', margin.left).attr('x2', margin.left + innerW).attr('y1', y(0)).attr('y2', y(0));
    g.select<SVGGElement>('g.x-axis')
      .attr('transform', `translate(0,${margin.top + innerH})`)
      .call(axisBottom(x).ticks(Math.min(8, Math.max(1, s.layers.length - 1))).tickFormat((d) => String(d)));
    g.select<SVGGElement>('g.y-axis').attr('transform', `translate(${margin.left},0)`).call(axisLeft(y).ticks(5));
    g.select('path.line-current').attr('d', path(points(s.layers, s.current)) ?? '');
    g.select('path.line-baseline')
      .attr('display', s.baseline ? null : 'none')
      .attr('d', s.baseline ? (path(points(s.layers, s.baseline)) ?? '') : '');
    g.select('g.dots')
      .selectAll('circle')
      .data(points(s.layers, s.current).filter((p) => Number.isFinite(p.v)))
      .join('circle')
      .attr('class', 'dot-current')
      .attr('r', 2.5)
      .attr('cx', (p) => x(p.layer))
      .attr('cy', (p) => y(p.v))
      .attr('data-layer', (p) => p.layer)
      .attr('data-value', (p) => p.v);
  });
}
