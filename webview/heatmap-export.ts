// A heatmap as one self-contained SVG for the exported file: the title, legend and layer axis
// that stay put in the live view are laid out around the whole plot (every token, not only the
// scrolled-to part), with the same labels, divider and clip markers (heatmap-draw.ts).

import { select } from 'd3-selection';
import { drawnHeatmap } from './heatmap';
import { LEGEND_BOX_W, clipNote, drawLayerAxis, drawLegend, drawPlotMarks, heatmapTitle } from './heatmap-draw';
import { textWidth } from './scales';

/** Up to this many cells a map exports as vector rects; beyond, as the canvas image (file size). */
export const MAX_VECTOR_CELLS = 20_000;
const HEAD = 36;
const SVG_NS = 'http://www.w3.org/2000/svg';

/** Build the export SVG of `block` inside `host` (which must be laid out, so computed styles exist). */
export function heatmapExportSvg(block: HTMLElement, host: Element): SVGSVGElement | undefined {
  const d = drawnHeatmap(block);
  if (!d) return undefined;
  const { m, lay, domain, clipped, selected, canvas } = d;
  const title = heatmapTitle(m);
  const legendX = lay.axisW + Math.ceil(title.length * 7.5) + 16;
  const note = clipNote(clipped, domain);
  const noteX = legendX + LEGEND_BOX_W + 8;
  const width = Math.max(lay.axisW + lay.innerW, noteX + textWidth(note) + 8);
  const height = HEAD + lay.innerH;
  const svg = select(host)
    .append(() => document.createElementNS(SVG_NS, 'svg'))
    .attr('xmlns', SVG_NS)
    .attr('class', 'chart heatmap-export')
    .attr('data-axis', m.axis)
    .attr('width', width)
    .attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`);
  svg.append('text').attr('class', 'title').attr('x', lay.axisW).attr('y', 18).text(title);
  drawLegend(svg.append('g').attr('class', 'legend').attr('transform', `translate(${legendX},6)`) as never, domain, clipped, `legend-gradient-${m.axisIndex}`);
  svg.append('text').attr('class', 'clip-note').attr('x', noteX).attr('y', 14).text(note);
  drawLayerAxis(svg.append('g').attr('class', 'layer-axis').attr('transform', `translate(0,${HEAD})`) as never, m, lay);
  const plot = svg.append('g').attr('class', 'plot').attr('transform', `translate(${lay.axisW + lay.padLeft},${HEAD + lay.top})`);
  const cells = plot.append('g').attr('class', 'cells');
  const nL = m.layers.length;
  const nT = m.tokens.length;
  if (nL * nT <= MAX_VECTOR_CELLS) {
    const list: { li: number; t: number }[] = [];
    for (let li = 0; li < nL; li++) for (let t = 0; t < nT; t++) list.push({ li, t });
    cells
      .selectAll('rect')
      .data(list)
      .join('rect')
      .attr('class', 'cell')
      .attr('x', (c) => c.t * lay.cellW)
      .attr('y', (c) => c.li * lay.cellH)
      .attr('width', lay.cellW)
      .attr('height', lay.cellH)
      .attr('fill', (c) => domain.color(m.shown[c.li]![c.t]!));
  } else if (lay.plotW > 0 && lay.plotH > 0) {
    cells.append('image').attr('class', 'cells-image').attr('href', canvas.toDataURL('image/png')).attr('width', lay.plotW).attr('height', lay.plotH).attr('preserveAspectRatio', 'none');
  }
  drawPlotMarks(plot.append('g').attr('class', 'marks') as never, m, lay, clipped, selected);
  return svg.node()!;
}
