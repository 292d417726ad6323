// One heatmap (one axis): rows = layers, columns = tokens. The title and legend sit above and
// the layer axis to the left of a horizontal scroller, so they stay put while the tokens scroll;
// cells are painted on a canvas (heatmap-canvas.ts) under an SVG of labels and marks
// (heatmap-draw.ts). Every value is in the DOM as text (div.heatmap-values rows, one per
// layer), and the focused map reads the cell under its cursor into an aria-live line.

import { select } from 'd3-selection';
import { cellText } from './format';
import { canvasScale, paintCells } from './heatmap-canvas';
import { LEGEND_BOX_W, LEGEND, clipNote, clippedCells, colorDomain, drawLayerAxis, drawLegend, drawPlotMarks, heatmapTitle, longestLabel, type Clipped, type ColorDomain } from './heatmap-draw';
import { generatedScrollLeft, heatmapLayout, type HeatmapLayout } from './layout';
import type { HeatmapModel } from './model';
import type { DivergingColors, ScaleMode } from './scales';

export interface HeatmapContext {
  width: number;
  colors: DivergingColors;
  selectedToken: number;
  cursorLayer: number;
  scale: ScaleMode;
  /** Zoomed cell width; undefined fits the view. */
  cellWidth: number | undefined;
  /** A new value means a new run: scroll to its generated part once. */
  runSeq: number;
  streaming: boolean;
  onSelectToken(token: number): void;
  onCursorLayer(layerIndex: number): void;
  onZoom(cellWidth: number | undefined): void;
  showTooltip(text: string, clientX: number, clientY: number): void;
  hideTooltip(): void;
}

export function cellInfoText(m: HeatmapModel, li: number, t: number): string {
  return cellText(m.axis, { token: m.tokens[t]!, tokenIndex: t, layer: m.layers[li]!, value: m.value[li]![t]!, delta: m.delta[li]![t], baselineText: m.baselineText[t] });
}

/** What a block last drew, for redrawing only what changed, scrolling and the export. */
export interface Drawn {
  m: HeatmapModel;
  lay: HeatmapLayout;
  domain: ColorDomain;
  clipped: Clipped;
  selected: number;
  canvas: HTMLCanvasElement;
}

interface BlockState {
  drawn?: Drawn;
  paintKey?: string;
  paintedFor?: HeatmapModel;
  valuesFor?: HeatmapModel;
  clipKey?: { m: HeatmapModel; max: number; clipped: Clipped };
  labelChars?: { m: HeatmapModel; n: number };
  runSeq: number;
  settled: boolean;
  userScrolled: boolean;
  expectScroll?: number;
  anchorSeq: number;
}

const blocks = new WeakMap<HTMLElement, BlockState>();
/** Set by a zoom: keep this token at this x in the viewport once the new cell width is drawn. */
let zoomAnchor: { seq: number; token: number; offset: number } | undefined;
let anchorSeq = 0;

export function drawnHeatmap(block: HTMLElement): Drawn | undefined {
  return blocks.get(block)?.drawn;
}

function skeleton(block: HTMLElement): void {
  const root = select(block);
  const head = root.append('div').attr('class', 'heatmap-head');
  head.append('span').attr('class', 'heatmap-title').attr('role', 'heading').attr('aria-level', 3);
  head.append('svg').attr('class', 'legend').attr('width', LEGEND_BOX_W).attr('height', LEGEND.boxH).attr('role', 'img');
  head.append('span').attr('class', 'clip-note');
  const body = root.append('div').attr('class', 'heatmap-body');
  body.append('svg').attr('class', 'layer-axis').attr('aria-hidden', 'true');
  const scroller = body.append('div').attr('class', 'heatmap-scroll');
  const inner = scroller.append('div').attr('class', 'heatmap-inner');
  inner.append('canvas').attr('class', 'heatmap-cells').attr('aria-hidden', 'true');
  const svg = inner.append('svg').attr('class', 'chart heatmap').attr('tabindex', 0).attr('role', 'group');
  const plot = svg.append('g').attr('class', 'plot');
  plot.append('g').attr('class', 'marks');
  plot.append('rect').attr('class', 'selected-col');
  plot.append('rect').attr('class', 'cursor');
  root.append('div').attr('class', 'readout').attr('aria-live', 'polite');
  root.append('div').attr('class', 'heatmap-values').attr('hidden', '');
}

function setScroll(block: HTMLElement, st: BlockState, x: number): void {
  const scroller = block.querySelector<HTMLDivElement>('.heatmap-scroll')!;
  scroller.scrollLeft = Math.max(0, x);
  st.expectScroll = scroller.scrollLeft;
}

/** Every layer's values as text: what tests, the e2e and a copy from the DOM read. */
function writeValues(block: HTMLElement, m: HeatmapModel, clipped: Clipped): void {
  select(block)
    .select('div.heatmap-values')
    .selectAll('span.row')
    .data(m.layers)
    .join('span')
    .attr('class', 'row')
    .attr('data-layer', (l) => l)
    .attr('data-values', (_, li) => m.value[li]!.join(' '))
    .attr('data-deltas', (_, li) => (m.delta[li]!.some((d) => d !== undefined) ? m.delta[li]!.map((d) => d ?? Number.NaN).join(' ') : null))
    .attr('data-clipped', (_, li) => clipped.byLayer[li]!.join(' '));
}

export function renderHeatmap(block: HTMLElement, m: HeatmapModel, ctx: HeatmapContext): void {
  let st = blocks.get(block);
  if (!st) {
    skeleton(block);
    st = { runSeq: -1, settled: false, userScrolled: false, anchorSeq: 0 };
    blocks.set(block, st);
    wireScroll(block, st);
  }
  const nL = m.layers.length;
  const nT = m.tokens.length;
  if (st.labelChars?.m !== m) st.labelChars = { m, n: longestLabel(m) };
  const lay = heatmapLayout({
    nLayers: nL,
    nTokens: nT,
    promptLength: m.promptLength,
    viewWidth: ctx.width,
    cellWidth: ctx.cellWidth,
    labelChars: st.labelChars.n,
    devicePixelRatio: canvasScale(),
  });
  const domain = colorDomain(m, ctx.scale, ctx.colors);
  if (st.clipKey?.m !== m || st.clipKey.max !== domain.max) st.clipKey = { m, max: domain.max, clipped: clippedCells(m, domain.max) };
  const clipped = st.clipKey.clipped;
  const sel = Math.max(0, Math.min(ctx.selectedToken, nT - 1));
  const cursorLi = Math.max(0, Math.min(ctx.cursorLayer, nL - 1));
  const root = select(block).attr('data-axis', m.axis);

  root.select('span.heatmap-title').text(heatmapTitle(m));
  drawLegend(root.select<SVGGElement>('svg.legend') as never, domain, clipped, `legend-gradient-${m.axisIndex}`);
  root.select('svg.legend').attr('aria-label', `colour scale ${ctx.scale === 'full' ? 'over the full range' : 'robust'}: ±${domain.max}`);
  root.select('span.clip-note').attr('data-count', clipped.count).text(clipNote(clipped, domain));

  const axisSvg = root.select<SVGSVGElement>('svg.layer-axis').attr('width', lay.axisW).attr('height', lay.innerH);
  drawLayerAxis(axisSvg as never, m, lay);
  root.select('div.heatmap-inner').style('width', `${lay.innerW}px`).style('height', `${lay.innerH}px`);

  const canvas = root.select<HTMLCanvasElement>('canvas.heatmap-cells').style('left', `${lay.padLeft}px`).style('top', `${lay.top}px`).node()!;
  const grid = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light')
    ? getComputedStyle(document.documentElement).getPropertyValue('--vscode-contrastBorder').trim() || undefined
    : undefined;
  // Repaint only when what the cells show changes: a click or a cursor move leaves them.
  const paintKey = JSON.stringify([lay.cellW, lay.cellH, domain.max, ctx.colors, grid ?? '', canvasScale()]);
  if (st.paintedFor !== m || st.paintKey !== paintKey) {
    const t0 = performance.now();
    paintCells(canvas, m, lay, domain.max, ctx.colors, grid);
    block.dataset.paintMs = (performance.now() - t0).toFixed(1);
    block.dataset.paints = String(Number(block.dataset.paints ?? 0) + 1);
    st.paintedFor = m;
    st.paintKey = paintKey;
  }
  canvas.dataset.grid = grid ?? '';

  const svg = root
    .select<SVGSVGElement>('svg.heatmap')
    .attr('width', lay.innerW)
    .attr('height', lay.innerH)
    .attr('data-axis', m.axis)
    .attr('data-rows', nL)
    .attr('data-cols', nT)
    .attr('data-prompt-length', m.promptLength)
    .attr('data-mode', m.mode)
    .attr('data-scale', ctx.scale)
    .attr('data-max', domain.max)
    .attr('data-clipped', clipped.count)
    .attr('data-cell-w', lay.cellW)
    .attr('data-cell-h', lay.cellH)
    .attr('data-pad-left', lay.padLeft)
    .attr('data-top', lay.top)
    .attr('aria-label', `${m.axis} ${m.mode === 'diff' ? 'difference from baseline' : 'projection'}: ${nL} layers by ${nT} tokens, colour scale ±${domain.max}${clipped.count ? `, ${clipped.count} cells beyond it` : ''}. Arrow keys move the cursor; left and right choose the profile token; plus and minus zoom, 0 fits.`);
  const plot = svg.select('g.plot').attr('transform', `translate(${lay.padLeft},${lay.top})`);
  drawPlotMarks(plot.select<SVGGElement>('g.marks') as never, m, lay, clipped, sel);
  plot.select('rect.selected-col').attr('display', nT > 0 ? null : 'none').attr('x', sel * lay.cellW).attr('y', -3).attr('width', lay.cellW).attr('height', lay.plotH + 6);
  plot
    .select('rect.cursor')
    .attr('display', nT > 0 && nL > 0 && svg.node() === document.activeElement ? null : 'none')
    .attr('x', sel * lay.cellW)
    .attr('y', cursorLi * lay.cellH)
    .attr('width', lay.cellW)
    .attr('height', lay.cellH);

  if (st.valuesFor !== m || st.drawn?.clipped !== clipped) {
    writeValues(block, m, clipped);
    st.valuesFor = m;
  }
  root.select('div.readout').text(nT > 0 && nL > 0 ? cellInfoText(m, cursorLi, sel) : 'No tokens yet.');
  st.drawn = { m, lay, domain, clipped, selected: sel, canvas };

  wireEvents(block, svg.node()!, m, lay, ctx, sel, cursorLi);
  scrollAfterDraw(block, st, lay, ctx);
}

function scrollAfterDraw(block: HTMLElement, st: BlockState, lay: HeatmapLayout, ctx: HeatmapContext): void {
  // clientWidth forces a layout: read it only when about to scroll.
  const viewW = () => block.querySelector<HTMLDivElement>('.heatmap-scroll')!.clientWidth;
  if (zoomAnchor && st.anchorSeq !== zoomAnchor.seq) {
    st.anchorSeq = zoomAnchor.seq;
    setScroll(block, st, lay.padLeft + zoomAnchor.token * lay.cellW - zoomAnchor.offset);
    return;
  }
  if (st.runSeq !== ctx.runSeq) {
    st.runSeq = ctx.runSeq;
    st.settled = false;
    st.userScrolled = false;
  }
  // A new run starts at its generated part (the newest token while it streams), not where the last one was left.
  if (!st.userScrolled && (ctx.streaming || !st.settled)) {
    setScroll(block, st, generatedScrollLeft(lay, viewW(), ctx.streaming));
    st.settled = !ctx.streaming;
  }
}

function wireScroll(block: HTMLElement, st: BlockState): void {
  const scroller = block.querySelector<HTMLDivElement>('.heatmap-scroll')!;
  scroller.addEventListener('scroll', () => {
    if (st.expectScroll !== undefined && Math.abs(scroller.scrollLeft - st.expectScroll) <= 1) return;
    st.expectScroll = undefined;
    st.userScrolled = true;
    // The maps share their tokens: scroll the others along.
    for (const other of Array.from(block.parentElement?.querySelectorAll<HTMLElement>('div.heatmap-block') ?? [])) {
      const os = blocks.get(other);
      if (other === block || !os) continue;
      os.userScrolled = true;
      setScroll(other, os, scroller.scrollLeft);
    }
  });
  // Ctrl/⌘ + wheel zooms around the pointer; a plain wheel scrolls as everywhere else.
  scroller.addEventListener('wheel', (ev: WheelEvent) => {
    if (!(ev.ctrlKey || ev.metaKey) || ev.deltaY === 0) return;
    ev.preventDefault();
    const d = st.drawn;
    if (!d) return;
    const x = ev.clientX - scroller.getBoundingClientRect().left;
    zoomTo(d.lay, ev.deltaY < 0 ? 'in' : 'out', (scroller.scrollLeft + x - d.lay.padLeft) / d.lay.cellW, x, currentZoom.onZoom);
  }, { passive: false });
}

/** The zoom handler of the last render (the tools bar and the wheel share it). */
const currentZoom: { onZoom?: (w: number | undefined) => void } = {};

export function nextCellWidth(lay: HeatmapLayout, dir: 'in' | 'out'): number {
  const w = lay.cellW;
  const next = dir === 'in' ? Math.max(w + 1, Math.round(w * 1.5)) : Math.min(w - 1, Math.round(w / 1.5));
  return Math.max(lay.minCellW, Math.min(lay.maxCellW, next));
}

function zoomTo(lay: HeatmapLayout, dir: 'in' | 'out' | 'fit', token: number, offset: number, onZoom: ((w: number | undefined) => void) | undefined): void {
  if (!onZoom) return;
  const w = dir === 'fit' ? undefined : nextCellWidth(lay, dir);
  if (w === lay.cellW) return;
  zoomAnchor = { seq: ++anchorSeq, token, offset };
  onZoom(w);
}

function wireEvents(block: HTMLElement, svgEl: SVGSVGElement, m: HeatmapModel, lay: HeatmapLayout, ctx: HeatmapContext, sel: number, cursorLi: number): void {
  currentZoom.onZoom = ctx.onZoom;
  const nT = m.tokens.length;
  const nL = m.layers.length;
  const svg = select(svgEl);
  const cellAt = (ev: MouseEvent): { li: number; t: number } | undefined => {
    const r = svgEl.getBoundingClientRect();
    const x = ev.clientX - r.left - lay.padLeft;
    const y = ev.clientY - r.top - lay.top;
    if (x < 0 || y < 0 || x >= lay.plotW || y >= lay.plotH) return undefined;
    return { li: Math.floor(y / lay.cellH), t: Math.floor(x / lay.cellW) };
  };
  const scroller = block.querySelector<HTMLDivElement>('.heatmap-scroll')!;
  const reveal = (t: number) => {
    const x = lay.padLeft + t * lay.cellW;
    if (x < scroller.scrollLeft + lay.padLeft) scroller.scrollLeft = x - lay.padLeft;
    else if (x + lay.cellW > scroller.scrollLeft + scroller.clientWidth) scroller.scrollLeft = x + lay.cellW - scroller.clientWidth + lay.padRight;
  };
  svg
    .on('mousemove', (ev: MouseEvent) => {
      const c = cellAt(ev);
      if (c) ctx.showTooltip(cellInfoText(m, c.li, c.t), ev.clientX, ev.clientY);
      else ctx.hideTooltip();
    })
    .on('mouseleave', () => ctx.hideTooltip())
    .on('click', (ev: MouseEvent) => {
      const c = cellAt(ev);
      if (c) {
        ctx.onCursorLayer(c.li);
        ctx.onSelectToken(c.t);
      }
    })
    .on('focus blur', () => svg.select('rect.cursor').attr('display', document.activeElement === svgEl && nT > 0 ? null : 'none'))
    .on('keydown', (ev: KeyboardEvent) => {
      const zoom = ({ '+': 'in', '=': 'in', '-': 'out', '0': 'fit' } as const)[ev.key as '+'];
      if (zoom) {
        ev.preventDefault();
        const x = lay.padLeft + (sel + 0.5) * lay.cellW - scroller.scrollLeft;
        zoomTo(lay, zoom, sel + 0.5, x, ctx.onZoom);
        return;
      }
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
      if (t !== sel) {
        reveal(t);
        ctx.onSelectToken(t);
      }
    });
}

export interface HeatmapToolsContext {
  scale: ScaleMode;
  zoomed: boolean;
  onScale(scale: ScaleMode): void;
  onZoom(cellWidth: number | undefined): void;
}

/** Scale toggle and zoom buttons above the maps; zoom keeps the centre of the first map's view in place. */
export function renderHeatmapTools(section: HTMLElement, show: boolean, ctx: HeatmapToolsContext): void {
  const bar = select(section)
    .selectAll<HTMLDivElement, null>('div.heatmap-tools')
    .data([null])
    .join((e) => {
      const b = e.insert('div', ':first-child').attr('class', 'heatmap-tools').attr('role', 'toolbar').attr('aria-label', 'Heatmap scale and zoom');
      b.append('vscode-checkbox').attr('id', 'heatmap-full-range').attr('label', 'Full-range colour scale (no clipping)');
      b.append('span').attr('class', 'spacer');
      b.append('span').attr('class', 'zoom-label').text('Zoom');
      b.append('vscode-button').attr('id', 'heatmap-zoom-out').attr('secondary', '').attr('aria-label', 'Zoom out').text('−');
      b.append('vscode-button').attr('id', 'heatmap-zoom-in').attr('secondary', '').attr('aria-label', 'Zoom in').text('+');
      b.append('vscode-button').attr('id', 'heatmap-zoom-fit').attr('secondary', '').attr('aria-label', 'Fit to width').text('Fit');
      b.append('span').attr('class', 'hint').text('Ctrl+wheel zooms · Shift+wheel scrolls');
      return b;
    })
    .attr('hidden', show ? null : '');
  bar.select<HTMLInputElement>('#heatmap-full-range').property('checked', ctx.scale === 'full').on('change', (ev: Event) => ctx.onScale((ev.target as HTMLInputElement).checked ? 'full' : 'robust'));
  const first = section.querySelector<HTMLElement>('div.heatmap-block');
  const zoom = (dir: 'in' | 'out' | 'fit') => {
    const d = first ? blocks.get(first)?.drawn : undefined;
    if (!first || !d) return;
    const scroller = first.querySelector<HTMLDivElement>('.heatmap-scroll')!;
    const mid = scroller.clientWidth / 2;
    zoomTo(d.lay, dir, (scroller.scrollLeft + mid - d.lay.padLeft) / d.lay.cellW, mid, ctx.onZoom);
  };
  bar.select('#heatmap-zoom-in').on('click', () => zoom('in'));
  bar.select('#heatmap-zoom-out').on('click', () => zoom('out'));
  bar.select('#heatmap-zoom-fit').attr('disabled', ctx.zoomed ? null : '').on('click', () => zoom('fit'));
}
