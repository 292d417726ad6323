// Export the view as one self-contained SVG (and a PNG drawn from it). The live charts take
// their colours from VS Code's CSS variables, which do not exist outside the webview, so the
// export copies each element's computed paint into attributes.

import { heatmapExportSvg } from './heatmap-export';

const SVG_NS = 'http://www.w3.org/2000/svg';
const PAINT = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'display',
] as const;
const GAP = 16;
const MAX_PNG_SIDE = 16_000;

function inlinePaint(original: Element, clone: Element): void {
  const cs = getComputedStyle(original);
  for (const p of PAINT) {
    const v = cs.getPropertyValue(p);
    // A computed url() is absolute (the webview's own address): keep the attribute's #id.
    if (v && !v.startsWith('url(')) clone.setAttribute(p, v);
  }
  const oc = original.children;
  const cc = clone.children;
  for (let i = 0; i < oc.length && i < cc.length; i++) inlinePaint(oc[i]!, cc[i]!);
}

/**
 * The charts of the view in page order, each heatmap replaced by its whole-plot export SVG
 * (built in a hidden host so its computed styles exist); `dispose` removes the host.
 */
export function exportCharts(root: HTMLElement): { charts: SVGSVGElement[]; dispose(): void } {
  const host = document.createElement('div');
  host.className = 'export-host';
  root.appendChild(host);
  const charts: SVGSVGElement[] = [];
  for (const chart of Array.from(root.querySelectorAll<SVGSVGElement>('svg.chart'))) {
    if (host.contains(chart)) continue;
    const block = chart.classList.contains('heatmap') ? chart.closest<HTMLElement>('div.heatmap-block') : null;
    const out = block ? heatmapExportSvg(block, host) : chart;
    if (out) charts.push(out);
  }
  return { charts, dispose: () => host.remove() };
}

/** Stack the given charts vertically on the theme background, with a caption line. */
export function composeSvg(charts: SVGSVGElement[], caption: string, background: string, foreground: string): string {
  const visible = charts.filter((c) => c.getBoundingClientRect().width > 0);
  const sizes = visible.map((c) => ({ w: Number(c.getAttribute('width')) || c.clientWidth, h: Number(c.getAttribute('height')) || c.clientHeight }));
  const width = Math.max(200, ...sizes.map((s) => s.w));
  const out = document.createElementNS(SVG_NS, 'svg');
  out.setAttribute('xmlns', SVG_NS);
  const bg = document.createElementNS(SVG_NS, 'rect');
  bg.setAttribute('fill', background);
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  out.appendChild(bg);
  const title = document.createElementNS(SVG_NS, 'text');
  title.setAttribute('x', '8');
  title.setAttribute('y', '18');
  title.setAttribute('fill', foreground);
  title.setAttribute('font-family', 'sans-serif');
  title.setAttribute('font-size', '13');
  title.textContent = caption;
  out.appendChild(title);
  let y = 28;
  visible.forEach((chart, i) => {
    const clone = chart.cloneNode(true) as SVGSVGElement;
    inlinePaint(chart, clone);
    clone.removeAttribute('tabindex');
    clone.removeAttribute('class');
    clone.setAttribute('x', '0');
    clone.setAttribute('y', String(y));
    // Gradient ids must stay unique once several charts share one document.
    for (const g of Array.from(clone.querySelectorAll('[id]'))) {
      const id = g.id;
      g.id = `x${i}-${id}`;
      for (const user of Array.from(clone.querySelectorAll(`[fill="url(#${id})"]`))) user.setAttribute('fill', `url(#x${i}-${id})`);
    }
    out.appendChild(clone);
    y += sizes[i]!.h + GAP;
  });
  out.setAttribute('width', String(width));
  out.setAttribute('height', String(y));
  out.setAttribute('viewBox', `0 0 ${width} ${y}`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(out)}`;
}

/** Draw the SVG onto a canvas at `scale` and return a PNG data URL. */
export function svgToPng(svg: string, scale = 2): Promise<string> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      // A canvas side beyond ~32k px fails to draw: long runs export at a smaller scale.
      const s = Math.min(scale, MAX_PNG_SIDE / Math.max(1, img.naturalWidth), MAX_PNG_SIDE / Math.max(1, img.naturalHeight));
      canvas.width = Math.ceil(img.naturalWidth * s);
      canvas.height = Math.ceil(img.naturalHeight * s);
      const ctx = canvas.getContext('2d');
      if (!ctx) return reject(new Error('No 2D canvas in this webview.'));
      ctx.scale(s, s);
      ctx.drawImage(img, 0, 0);
      resolve(canvas.toDataURL('image/png'));
    };
    img.onerror = () => reject(new Error('The view could not be drawn as an image.'));
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  });
}
