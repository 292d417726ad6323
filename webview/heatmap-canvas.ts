// Cells on a canvas: a 1000 × 32 map is 32k cells, which as SVG rects took seconds to draw and
// to restyle. One pixel per cell goes into an image, scaled up without smoothing, so every
// cell keeps a crisp edge; the values themselves stay in the DOM (heatmap.ts) for readers.

import type { HeatmapLayout } from './layout';
import type { HeatmapModel } from './model';
import { colorTable, type DivergingColors } from './scales';

const LUT_SIZE = 511;

/** Device pixels per CSS pixel for the cell canvas: whole numbers keep cell edges on pixel boundaries. */
export function canvasScale(): number {
  return Math.max(1, Math.round(window.devicePixelRatio || 1));
}

/** Paint `m.shown` into `canvas` at the layout's size; `grid` draws cell borders (high contrast). */
export function paintCells(canvas: HTMLCanvasElement, m: HeatmapModel, lay: HeatmapLayout, max: number, colors: DivergingColors, grid?: string): void {
  const dpr = canvasScale();
  const nL = m.layers.length;
  const nT = m.tokens.length;
  canvas.width = Math.max(1, lay.plotW * dpr);
  canvas.height = Math.max(1, lay.plotH * dpr);
  canvas.style.width = `${lay.plotW}px`;
  canvas.style.height = `${lay.plotH}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (nL === 0 || nT === 0) return;
  const lut = colorTable(max, colors, LUT_SIZE);
  const img = new ImageData(nT, nL);
  const px = img.data;
  const scale = (LUT_SIZE - 1) / (2 * max);
  for (let li = 0; li < nL; li++) {
    const row = m.shown[li]!;
    for (let t = 0; t < nT; t++) {
      const v = row[t]!;
      const o = (li * nT + t) * 4;
      if (!Number.isFinite(v)) continue; // stays transparent: the theme background shows
      const c = lut[Math.round((Math.max(-max, Math.min(max, v)) + max) * scale)]!;
      px[o] = c.r;
      px[o + 1] = c.g;
      px[o + 2] = c.b;
      px[o + 3] = c.a;
    }
  }
  const src = document.createElement('canvas');
  src.width = nT;
  src.height = nL;
  src.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(src, 0, 0, canvas.width, canvas.height);
  if (grid) {
    ctx.strokeStyle = grid;
    ctx.lineWidth = Math.max(1, dpr / 2);
    ctx.beginPath();
    for (let t = 1; t < nT; t++) {
      const x = Math.round(t * lay.cellW * dpr) + 0.5;
      ctx.moveTo(x, 0);
      ctx.lineTo(x, canvas.height);
    }
    for (let li = 1; li < nL; li++) {
      const y = Math.round(li * lay.cellH * dpr) + 0.5;
      ctx.moveTo(0, y);
      ctx.lineTo(canvas.width, y);
    }
    ctx.stroke();
  }
}
