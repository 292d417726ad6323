// One heatmap (one axis): rows = layers, columns = tokens, prompt | generated divided by a
// line, a symmetric diverging legend on top. Cells carry data-* attributes so tests and
// screen readers can read what is drawn without decoding colours.

import { axisBottom } from 'd3-axis';
import { select } from 'd3-selection';
import { cellText, tokenLabel } from './format';
import { LEGEND, heatmapLayout } from './layout';
import type { HeatmapModel } from './model';
import { divergingColor, symmetricLinear, type DivergingColors } from './scales';

/** Room right of the legend bar for half of its last tick label. */
const LEGEND_INSET = 24;

export interface HeatmapContext {
  width: number;
  colors: DivergingColors;
  selectedToken: number;
  cursorLayer: number;
  onSelectToken(token: number): void;
  onCursorLayer(layerIndex: number): void;
  showTooltip(text: string, clientX: number, clientY: number): void;
  hideTooltip(): void;
}

interface Cell {
  li: number;
  t: number;
  shown: number;
}

export function cellInfoText(m: HeatmapModel, li: number, t: number): string {
  return cellText(m.axis, { token: m.tokens[t]!, tokenIndex: t, layer: m.layers[li]!, value: m.value[li]![t]!, delta: m.delta[li]![t], baselineText: m.baselineText[t] });
}

/** What each heatmap block's cells were last drawn from. */
const drawnCells = new WeakMap<HTMLElement, { m: HeatmapModel; cellW: number; cellH: number; colors: string }>();

function drawCells(g: SVGGElement, m: HeatmapModel, lay: { cellW: number; cellH: number }, color: (v: number) => string): void {
  const cells: Cell[] = [];
  for (let li = 0; li < m.layers.length; li++) for (let t = 0; t < m.tokens.length; t++) cells.push({ li, t, shown: m.shown[li]![t]! });
  select(g)
    .selectAll<SVGRectElement, Cell>('rect.cell')
    .data(cells, (d) => `${d.li}:${d.t}`)
    .join('rect')
    .attr('class', (d) => (m.tokens[d.t]!.generated ? 'cell generated' : 'cell'))
    .attr('x', (d) => d.t * lay.cellW)
    .attr('y', (d) => d.li * lay.cellH)
    .attr('width', lay.cellW)
    .attr('height', lay.cellH)
    .attr('fill', (d) => color(d.shown))
    .attr('data-layer', (d) => m.layers[d.li]!)
    .attr('data-token', (d) => d.t)
    .attr('data-value', (d) => m.value[d.li]![d.t]!)
    .attr('data-delta', (d) => m.delta[d.li]![d.t] ?? null);
}

export function renderHeatmap(block: HTMLElement, m: HeatmapModel, ctx: HeatmapContext): void {
  const nL = m.layers.length;
  const nT = m.tokens.length;
  const lay = heatmapLayout(nL, nT, m.promptLength, ctx.width);
  const legendScale = symmetricLinear(m.maxAbs, [0, LEGEND.width]);
  const color = divergingColor(legendScale.domain()[1]!, ctx.colors);
  const gradientId = `legend-gradient-${m.axisIndex}`;

  const root = select(block).attr('data-axis', m.axis);
  const svg = root
    .selectAll<SVGSVGElement, null>('svg.heatmap')
    .data([null])
    .join((e) => {
      const s = e.append('svg').attr('class', 'chart heatmap').attr('tabindex', 0).attr('role', 'group');
      s.append('defs').append('linearGradient').attr('id', gradientId);
      s.append('text').attr('class', 'title').attr('x', lay.margin.left).attr('y', 16);
      const legend = s.append('g').attr('class', 'legend');
      legend.append('rect').attr('class', 'legend-bar').attr('height', LEGEND.height).attr('width', LEGEND.width);
      legend.append('g').attr('class', 'legend-axis').attr('transform', `translate(0,${LEGEND.height})`);
      const plot = s.append('g').attr('class', 'plot');
      plot.append('g').attr('class', 'cells');
      plot.append('rect').attr('class', 'frame');
      plot.append('rect').attr('class', 'selected-col');
      plot.append('rect').attr('class', 'cursor');
      plot.append('line').attr('class', 'divider');
      plot.append('g').attr('class', 'region-labels');
      plot.append('g').attr('class', 'layer-labels');
      plot.append('g').attr('class', 'token-labels');
      s.append('text').attr('class', 'axis-name layers-name').attr('transform', `translate(12,${lay.margin.top + lay.plotH / 2}) rotate(-90)`);
      return s;
    })
    .attr('width', lay.width)
    .attr('height', lay.height)
    .attr('viewBox', `0 0 ${lay.width} ${lay.height}`)
    .attr('data-axis', m.axis)
    .attr('data-rows', nL)
    .attr('data-cols', nT)
    .attr('data-prompt-length', m.promptLength)
    .attr('data-mode', m.mode)
    .attr('aria-label', `${m.axis} ${m.mode === 'diff' ? 'difference from baseline' : 'projection'}: ${nL} layers by ${nT} tokens. Arrow keys move the cursor; left and right choose the profile token.`);

  svg.select('text.title').text(`${m.axis} — ${m.mode === 'diff' ? 'run − baseline' : 'projection'}`);
  svg.select('text.layers-name').attr('transform', `translate(12,${lay.margin.top + lay.plotH / 2}) rotate(-90)`).text('layer');

  // Legend: the gradient samples the same colour function as the cells.
  const stops = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ f, v: legendScale.invert(f * LEGEND.width) }));
  svg
    .select('linearGradient')
    .selectAll('stop')
    .data(stops)
    .join('stop')
    .attr('offset', (d) => `${d.f * 100}%`)
    .attr('stop-color', (d) => color(d.v));
  const legend = svg.select<SVGGElement>('g.legend').attr('transform', `translate(${lay.width - LEGEND_INSET - LEGEND.width},8)`);
  legend.select('rect.legend-bar').attr('fill', `url(#${gradientId})`);
  legend.select<SVGGElement>('g.legend-axis').call(axisBottom(legendScale).ticks(5).tickSize(4));

  const plot = svg.select('g.plot').attr('transform', `translate(${lay.margin.left},${lay.margin.top})`);
  // The cells are the cost of a render (one <rect> each); a click, a cursor move or a focus
  // change leaves them as they were, so they are redrawn only when what they show changes.
  const cellsKey = { m, cellW: lay.cellW, cellH: lay.cellH, colors: JSON.stringify(ctx.colors) };
  const last = drawnCells.get(block);
  if (!last || last.m !== m || last.cellW !== cellsKey.cellW || last.cellH !== cellsKey.cellH || last.colors !== cellsKey.colors) {
    drawCells(plot.select<SVGGElement>('g.cells').node()!, m, lay, color);
    drawnCells.set(block, cellsKey);
  }

  plot.select('rect.frame').attr('width', lay.plotW).attr('height', lay.plotH);

  const sel = Math.min(ctx.selectedToken, nT - 1);
  plot
    .select('rect.selected-col')
    .attr('display', nT > 0 ? null : 'none')
    .attr('x', sel * lay.cellW)
    .attr('y', -3)
    .attr('width', lay.cellW)
    .attr('height', lay.plotH + 6);
  const cursorLi = Math.min(ctx.cursorLayer, nL - 1);
  plot
    .select('rect.cursor')
    .attr('display', nT > 0 && nL > 0 && svg.node() === document.activeElement ? null : 'none')
    .attr('x', sel * lay.cellW)
    .attr('y', cursorLi * lay.cellH)
    .attr('width', lay.cellW)
    .attr('height', lay.cellH);

  const dx = lay.dividerX;
  plot
    .select('line.divider')
    .attr('display', dx === undefined ? 'none' : null)
    .attr('x1', dx ?? 0)
    .attr('x2', dx ?? 0)
    .attr('y1', -8)
    .attr('y2', lay.plotH + 8)
    .attr('data-after-token', m.promptLength - 1);
  const regions = dx === undefined ? [] : [
    { name: 'prompt', x: dx - 4, anchor: 'end' },
    { name: 'generated', x: dx + 4, anchor: 'start' },
  ];
  plot
    .select('g.region-labels')
    .selectAll('text')
    .data(regions)
    .join('text')
    .attr('class', 'region-label')
    .attr('x', (d) => d.x)
    .attr('y', -10)
    .attr('text-anchor', (d) => d.anchor)
    .text((d) => d.name);

  const layerRows = m.layers.map((l, li) => ({ l, li })).filter((d) => d.li % lay.layerStep === 0);
  plot
    .select('g.layer-labels')
    .selectAll('text')
    .data(layerRows)
    .join('text')
    .attr('x', -6)
    .attr('y', (d) => (d.li + 0.5) * lay.cellH)
    .attr('text-anchor', 'end')
    .attr('dominant-baseline', 'central')
    .text((d) => d.l);

  const tokenCols = m.tokens.map((tok, t) => ({ tok, t })).filter((d) => d.t % lay.labelStep === 0 || d.t === sel);
  plot
    .select('g.token-labels')
    .selectAll<SVGTextElement, { t: number }>('text')
    .data(tokenCols, (d) => String(d.t))
    .join('text')
    .attr('class', (d) => `token-label${d.tok.generated ? ' generated' : ''}${d.t === sel ? ' selected' : ''}`)
    .attr('text-anchor', 'end')
    .attr('dominant-baseline', 'central')
    .attr('transform', (d) => `translate(${(d.t + 0.5) * lay.cellW},${lay.plotH + 6}) rotate(-60)`)
    .text((d) => tokenLabel(d.tok.text));

  const readout = root.selectAll<HTMLDivElement, null>('div.readout').data([null]).join('div').attr('class', 'readout').attr('aria-live', 'polite');
  readout.text(nT > 0 && nL > 0 ? cellInfoText(m, cursorLi, sel) : 'No tokens yet.');

  const cellOf = (ev: Event) => {
    const el = (ev.target as Element | null)?.closest?.('rect.cell') as SVGRectElement | null;
    return el ? select<SVGRectElement, Cell>(el).datum() : undefined;
  };
  svg
    .on('mousemove', (ev: MouseEvent) => {
      const c = cellOf(ev);
      if (c) ctx.showTooltip(cellInfoText(m, c.li, c.t), ev.clientX, ev.clientY);
      else ctx.hideTooltip();
    })
    .on('mouseleave', () => ctx.hideTooltip())
    .on('click', (ev: MouseEvent) => {
      const c = cellOf(ev);
      if (c) {
        ctx.onCursorLayer(c.li);
        ctx.onSelectToken(c.t);
      }
    })
    .on('focus blur', () => plot.select('rect.cursor').attr('display', document.activeElement === svg.node() && nT > 0 ? null : 'none'))
    .on('keydown', (ev: KeyboardEvent) => {
      const moves: Record<string, [number, number]> = {
        ArrowLeft: [0, -1],
        ArrowRight: [0, 1],
        ArrowUp: [-1, 0],
        ArrowDown: [1, 0],
        Home: [0, -nT],
        End: [0, nT],
      };
      const mv = moves[ev.key];
      if (!mv || nT === 0) return;
      ev.preventDefault();
      const li = Math.max(0, Math.min(nL - 1, cursorLi + mv[0]));
      const t = Math.max(0, Math.min(nT - 1, sel + mv[1]));
      if (li !== cursorLi) ctx.onCursorLayer(li);
      if (t !== sel) ctx.onSelectToken(t);
    });
}
