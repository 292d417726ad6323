// The SVG parts of a heatmap, drawn the same way into the live view (around the canvas of
// cells) and into the exported file: legend, layer axis, token labels, the prompt | generated
// divider with its labels, and the markers on cells beyond the colour scale.

import { axisBottom } from 'd3-axis';
import type { ScaleLinear } from 'd3-scale';
import type { Selection } from 'd3-selection';
import { formatValue, tokenLabel } from './format';
import { LABEL_MAX_CHARS, LABEL_ROTATION, labelledTokens, regionLabels, type HeatmapLayout } from './layout';
import type { HeatmapModel } from './model';
import { divergingColor, legendTicks, symmetricLinear, type DivergingColors, type ScaleMode } from './scales';

type G = Selection<SVGGElement, unknown, null, undefined>;

/** Legend bar; SIDE leaves room for the "beyond the scale" arrows and half of the end tick labels. */
export const LEGEND = { width: 160, height: 8, side: 24, boxH: 30 };
export const LEGEND_BOX_W = LEGEND.width + 2 * LEGEND.side;

export interface ColorDomain {
  mode: ScaleMode;
  /** Half-width of the colour domain after rounding to nice ticks: |v| beyond it is clipped. */
  max: number;
  legend: ScaleLinear<number, number>;
  color: (v: number) => string;
}

export function colorDomain(m: HeatmapModel, mode: ScaleMode, colors: DivergingColors): ColorDomain {
  const legend = symmetricLinear(mode === 'full' ? m.fullMaxAbs : m.maxAbs, [0, LEGEND.width]);
  const max = legend.domain()[1]!;
  return { mode, max, legend, color: divergingColor(max, colors) };
}

export interface Clipped {
  /** [layerIndex] → token indices whose |value| exceeds the domain. */
  byLayer: number[][];
  count: number;
  low: boolean;
  high: boolean;
}

export function clippedCells(m: HeatmapModel, max: number): Clipped {
  let count = 0;
  let low = false;
  let high = false;
  const byLayer = m.shown.map((row) => {
    const out: number[] = [];
    for (let t = 0; t < row.length; t++) {
      const v = row[t]!;
      if (v > max) high = true;
      else if (v < -max) low = true;
      else continue;
      out.push(t);
    }
    count += out.length;
    return out;
  });
  return { byLayer, count, low, high };
}

export function heatmapTitle(m: HeatmapModel): string {
  return `${m.axis} — ${m.mode === 'diff' ? 'run − baseline' : 'projection'}`;
}

export function clipNote(clipped: Clipped, d: ColorDomain): string {
  if (clipped.count === 0) return d.mode === 'full' ? 'full range' : 'nothing beyond the scale';
  return `▪ ${clipped.count} cell${clipped.count === 1 ? '' : 's'} beyond ±${formatValue(d.max).replace(/\.?0+$/, '')}`;
}

/** Legend at the group's origin: gradient bar, ticks that do not collide, an arrow at each clipped end. */
export function drawLegend(g: G, d: ColorDomain, clipped: Clipped, gradientId: string): void {
  const stops = [0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1].map((f) => ({ f, v: d.legend.invert(f * LEGEND.width) }));
  const defs = g.selectAll<SVGDefsElement, null>('defs').data([null]).join('defs');
  defs
    .selectAll<SVGLinearGradientElement, null>('linearGradient')
    .data([null])
    .join('linearGradient')
    .attr('id', gradientId)
    .selectAll('stop')
    .data(stops)
    .join('stop')
    .attr('offset', (s) => `${s.f * 100}%`)
    .attr('stop-color', (s) => d.color(s.v));
  const inner = g.selectAll<SVGGElement, null>('g.legend-inner').data([null]).join('g').attr('class', 'legend-inner').attr('transform', `translate(${LEGEND.side},2)`);
  inner
    .selectAll('rect.legend-bar')
    .data([null])
    .join('rect')
    .attr('class', 'legend-bar')
    .attr('width', LEGEND.width)
    .attr('height', LEGEND.height)
    .attr('fill', `url(#${gradientId})`);
  const ticks = legendTicks(d.legend);
  inner
    .selectAll<SVGGElement, null>('g.legend-axis')
    .data([null])
    .join('g')
    .attr('class', 'legend-axis')
    .attr('transform', `translate(0,${LEGEND.height})`)
    .call(axisBottom(d.legend).tickValues(ticks.values).tickFormat((v) => ticks.format(Number(v))).tickSize(4));
  // Arrows past the bar's ends, in the end colours, where cells lie beyond the scale (as matplotlib's "extend").
  const h = LEGEND.height;
  const arrows = [
    ...(clipped.low ? [{ side: 'low', path: `M-2,0 L-10,${h / 2} L-2,${h} Z`, fill: d.color(-d.max) }] : []),
    ...(clipped.high ? [{ side: 'high', path: `M${LEGEND.width + 2},0 L${LEGEND.width + 10},${h / 2} L${LEGEND.width + 2},${h} Z`, fill: d.color(d.max) }] : []),
  ];
  inner
    .selectAll<SVGPathElement, (typeof arrows)[number]>('path.legend-extend')
    .data(arrows, (a) => a.side)
    .join('path')
    .attr('class', 'legend-extend')
    .attr('data-side', (a) => a.side)
    .attr('d', (a) => a.path)
    .attr('fill', (a) => a.fill);
}

/** Layer numbers down the left, at the plot's row centres; the group's origin is the block's top left. */
export function drawLayerAxis(g: G, m: HeatmapModel, lay: HeatmapLayout): void {
  const rows = m.layers.map((l, li) => ({ l, li })).filter((r) => r.li % lay.layerStep === 0);
  g.selectAll('text.layer-label')
    .data(rows)
    .join('text')
    .attr('class', 'layer-label')
    .attr('x', lay.axisW - 6)
    .attr('y', (r) => lay.top + (r.li + 0.5) * lay.cellH)
    .attr('text-anchor', 'end')
    .attr('dominant-baseline', 'central')
    .text((r) => r.l);
  g.selectAll('text.layers-name')
    .data([null])
    .join('text')
    .attr('class', 'axis-name layers-name')
    .attr('transform', `translate(12,${lay.top + lay.plotH / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .text('layer');
}

/** Divider, its region labels, token labels and clip markers; the group's origin is the first cell. */
export function drawPlotMarks(g: G, m: HeatmapModel, lay: HeatmapLayout, clipped: Clipped, selected: number): void {
  g.selectAll('rect.frame').data([null]).join('rect').attr('class', 'frame').attr('width', lay.plotW).attr('height', lay.plotH);

  // One path for every marker: thousands of them cost one element.
  const s = Math.max(2, Math.min(6, Math.round(Math.min(lay.cellW, lay.cellH) * 0.45)));
  const parts: string[] = [];
  clipped.byLayer.forEach((ts, li) => {
    const y = (li + 0.5) * lay.cellH - s / 2;
    for (const t of ts) parts.push(`M${((t + 0.5) * lay.cellW - s / 2).toFixed(1)},${y.toFixed(1)}h${s}v${s}h${-s}z`);
  });
  const marks = g.selectAll<SVGPathElement, null>('path.clip-marks').data([null]).join('path').attr('class', 'clip-marks').attr('data-count', clipped.count).attr('display', clipped.count ? null : 'none');
  const d = parts.join('') || 'M0,0';
  // Unchanged on a click or a cursor move: re-parsing thousands of subpaths is not free.
  if (marks.attr('d') !== d) marks.attr('d', d);

  const dx = lay.dividerX;
  g.selectAll('line.divider')
    .data([null])
    .join('line')
    .attr('class', 'divider')
    .attr('display', dx === undefined ? 'none' : null)
    .attr('x1', dx ?? 0)
    .attr('x2', dx ?? 0)
    .attr('y1', -lay.top + 2)
    .attr('y2', lay.plotH)
    .attr('data-after-token', m.promptLength - 1);
  g.selectAll('text.region-label')
    .data(regionLabels(dx, lay.plotW))
    .join('text')
    .attr('class', 'region-label')
    .attr('data-region', (r) => r.name)
    .attr('x', (r) => r.x)
    .attr('y', -6)
    .attr('text-anchor', (r) => r.anchor)
    .text((r) => r.name);

  const nT = m.tokens.length;
  const cols = labelledTokens(nT, m.promptLength, lay.labelStep, Math.min(selected, nT - 1));
  // Keyed by position and text (old labels keep their own data), so a selection change touches
  // only the labels it moves and a new run replaces those whose token changed.
  const labels = cols.map((t) => ({ t, text: m.tokens[t]!.text, generated: m.tokens[t]!.generated }));
  g.selectAll<SVGTextElement, (typeof labels)[number]>('text.token-label')
    .data(labels, (d) => `${d.t}\u0000${d.text}`)
    .join((e) =>
      e
        .append('text')
        .attr('data-token', (d) => d.t)
        .attr('text-anchor', 'end')
        .attr('dominant-baseline', 'central')
        .text((d) => tokenLabel(d.text, LABEL_MAX_CHARS)),
    )
    .attr('class', (d) => `token-label${d.generated ? ' generated' : ''}${d.t === selected ? ' selected' : ''}`)
    .attr('transform', (d) => `translate(${(d.t + 0.5) * lay.cellW},${lay.plotH + 6}) rotate(${-LABEL_ROTATION})`);
}

/** Longest token label (characters) of a run, for the label band's size. */
export function longestLabel(m: HeatmapModel): number {
  let n = 1;
  for (const tok of m.tokens) n = Math.max(n, tokenLabel(tok.text, LABEL_MAX_CHARS).length);
  return n;
}
