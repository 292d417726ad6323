// Pure geometry of a heatmap: cell sizes (fit or zoomed), the bands around the cells, where
// the prompt | generated divider and its labels go, and which token and layer labels fit.
// The live view and the exported file both draw only what this computes.

import { textWidth } from './scales';

export interface HeatmapLayout {
  cellW: number;
  cellH: number;
  /** Width of the fixed layer-axis column left of the scrolling plot. */
  axisW: number;
  /** Band above the cells for the "prompt | generated" labels. */
  top: number;
  /** Band below the cells for the rotated token labels. */
  bottom: number;
  /** Room left / right of the cells inside the scroller, so the outer rotated labels are not cut. */
  padLeft: number;
  padRight: number;
  /** Cells only. */
  plotW: number;
  plotH: number;
  /** The scrolled content: padLeft + plotW + padRight by top + plotH + bottom. */
  innerW: number;
  innerH: number;
  /** x of the prompt | generated divider inside the plot area, or undefined when nothing was generated. */
  dividerX: number | undefined;
  /** Label every `labelStep`-th token (counted from the first generated one) so labels never overlap. */
  labelStep: number;
  /** Label every `layerStep`-th layer. */
  layerStep: number;
  /** Cell width when fitted to the view; zoom steps start from here. */
  fitCellW: number;
  /** Narrowest and widest cell the zoom allows here (the canvas has a maximum size). */
  minCellW: number;
  maxCellW: number;
}

export interface LayoutInput {
  nLayers: number;
  nTokens: number;
  promptLength: number;
  /** Width the whole heatmap (axis column + scroller) may take. */
  viewWidth: number;
  /** Cell width the user zoomed to; undefined fits the view. */
  cellWidth?: number;
  /** Longest token label in characters (after tokenLabel). */
  labelChars?: number;
  devicePixelRatio?: number;
}

/** Below this a fitted map scrolls instead: tokens narrower than this cannot be told apart. */
const MIN_FIT_CELL_W = 6;
const MAX_FIT_CELL_W = 28;
const MIN_ZOOM_CELL_W = 1;
const MAX_ZOOM_CELL_W = 80;
const MIN_CELL_H = 4;
const MAX_CELL_H = 16;
/** Labels are rotated by 60°: two 10px lines need this much horizontal pitch to stay apart. */
export const LABEL_ROTATION = 60;
export const LABEL_PITCH = 13;
const LAYER_LABEL_PITCH = 11;
/** Chromium's canvas side limit is 32767 device px; keep well below. */
const MAX_CANVAS_PX = 30000;
export const LABEL_MAX_CHARS = 12;
export const REGION_GAP = 4;

export function heatmapLayout(inp: LayoutInput): HeatmapLayout {
  const { nLayers, nTokens, promptLength } = inp;
  const dpr = Math.max(1, inp.devicePixelRatio ?? 1);
  const axisW = 44;
  const labelPx = textWidth('x'.repeat(Math.min(LABEL_MAX_CHARS, Math.max(1, inp.labelChars ?? LABEL_MAX_CHARS))));
  const rad = (LABEL_ROTATION * Math.PI) / 180;
  // A label ends at its column's centre and runs down-left: it needs sin·w below and cos·w to the left.
  const bottom = Math.ceil(Math.sin(rad) * labelPx) + 18;
  const padLeft = Math.ceil(Math.cos(rad) * labelPx) + 4;
  const padRight = 12;
  const top = 18;
  const room = Math.max(100, inp.viewWidth - axisW - padLeft - padRight);
  const maxCellW = Math.max(MIN_ZOOM_CELL_W, Math.min(MAX_ZOOM_CELL_W, Math.floor(MAX_CANVAS_PX / dpr / Math.max(1, nTokens))));
  const fitCellW = Math.min(maxCellW, Math.max(MIN_FIT_CELL_W, Math.min(MAX_FIT_CELL_W, nTokens > 0 ? Math.floor(room / nTokens) : MAX_FIT_CELL_W)));
  const asked = inp.cellWidth !== undefined && Number.isFinite(inp.cellWidth) ? Math.round(inp.cellWidth) : undefined;
  const cellW = asked === undefined ? fitCellW : Math.max(MIN_ZOOM_CELL_W, Math.min(maxCellW, asked));
  const cellH = Math.max(MIN_CELL_H, Math.min(MAX_CELL_H, nLayers > 0 ? Math.floor(360 / nLayers) : MAX_CELL_H));
  const plotW = cellW * nTokens;
  const plotH = cellH * nLayers;
  return {
    cellW,
    cellH,
    axisW,
    top,
    bottom,
    padLeft,
    padRight,
    plotW,
    plotH,
    innerW: padLeft + plotW + padRight,
    innerH: top + plotH + bottom,
    dividerX: promptLength > 0 && promptLength < nTokens ? promptLength * cellW : undefined,
    labelStep: Math.max(1, Math.ceil(LABEL_PITCH / cellW)),
    layerStep: Math.max(1, Math.ceil(LAYER_LABEL_PITCH / cellH)),
    fitCellW,
    minCellW: MIN_ZOOM_CELL_W,
    maxCellW,
  };
}

/**
 * Token columns that get a label: every `step`-th counted from the first generated token (so
 * the start of the answer is always labelled), and the selected token, whose neighbours
 * closer than a step give way to it.
 */
export function labelledTokens(nTokens: number, promptLength: number, step: number, selected: number): number[] {
  const out: number[] = [];
  const origin = promptLength % step;
  for (let t = origin; t < nTokens; t += step) {
    if (Math.abs(t - selected) < step) continue;
    out.push(t);
  }
  if (selected >= 0 && selected < nTokens) out.push(selected);
  return out.sort((a, b) => a - b);
}

export interface RegionLabel {
  name: 'prompt' | 'generated';
  /** Text anchor x inside the plot area. */
  x: number;
  anchor: 'start' | 'end';
  /** Left and right edges as laid out (for overlap checks). */
  left: number;
  right: number;
}

/** "prompt" left of the divider and "generated" right of it, each only where it has room inside the plot. */
export function regionLabels(dividerX: number | undefined, plotW: number): RegionLabel[] {
  if (dividerX === undefined) return [];
  const out: RegionLabel[] = [];
  const wp = textWidth('prompt');
  const wg = textWidth('generated');
  if (dividerX - REGION_GAP - wp >= 0) out.push({ name: 'prompt', x: dividerX - REGION_GAP, anchor: 'end', left: dividerX - REGION_GAP - wp, right: dividerX - REGION_GAP });
  if (dividerX + REGION_GAP + wg <= plotW) out.push({ name: 'generated', x: dividerX + REGION_GAP, anchor: 'start', left: dividerX + REGION_GAP, right: dividerX + REGION_GAP + wg });
  return out;
}

/** Where a new run's view starts: the divider a quarter in, or the newest token while streaming. */
export function generatedScrollLeft(lay: HeatmapLayout, viewW: number, followEnd: boolean): number {
  const max = Math.max(0, lay.innerW - viewW);
  const plotEnd = lay.padLeft + lay.plotW + lay.padRight;
  const atDivider = lay.dividerX === undefined ? plotEnd - viewW : lay.padLeft + lay.dividerX - viewW / 4;
  const target = followEnd ? Math.max(atDivider, plotEnd - viewW) : atDivider;
  return Math.round(Math.max(0, Math.min(max, target)));
}
