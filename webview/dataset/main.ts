// Dataset view entry (dist/dataset.js): owns the state, feeds host data and user actions
// through the reducer, persists the view settings with setState (the data comes again from the
// host), and draws once per animation frame.
import { DatasetData, DatasetExportChart, DatasetExportRows, DatasetInspect, DatasetReady, type DatasetDataMessage } from '../../src/protocol/dataset';
import { composeSvg, svgToPng } from '../export';
import { themeBackground, themeForeground, watchTheme } from '../theme';
import { loadState, postDataset, saveState } from '../vscode';
import { deriver } from './derive';
import { render, type DatasetHandlers } from './render';
import { reduce, restoreView, type DatasetAction, type DatasetState } from './state';

let state: DatasetState = { view: restoreView(loadState()) };
const derive = deriver();
let frame = 0;
const root = document.getElementById('root') ?? document.body;

function dispatch(a: DatasetAction): void {
  state = reduce(state, a);
  saveState(state.view);
  if (!frame) frame = requestAnimationFrame(draw);
}

/** Draws now; returns the milliseconds derive + render took (the browser test reads it). */
function draw(): number {
  frame = 0;
  const t0 = performance.now();
  render(state, derive(state), root, handlers);
  const ms = performance.now() - t0;
  Object.assign(window, { __datasetDrawMs: ms, __datasetDrawEnd: performance.now() });
  return ms;
}

async function exportCharts(format: 'svg' | 'png'): Promise<void> {
  const charts = Array.from(root.querySelectorAll<SVGSVGElement>('svg.chart'));
  const caption = state.data ? (state.data.b ? `${state.data.a.results} → ${state.data.b.results}` : state.data.a.results) : 'dataset';
  // The brush overlay is interaction, not data: leave it out of the picture.
  const svg = composeSvg(charts, caption, themeBackground(), themeForeground()).replace(/<g class="brush"[\s\S]*?<\/g>/g, '');
  const data = format === 'svg' ? svg : await svgToPng(svg);
  postDataset({ type: DatasetExportChart, format, data, suggestedName: `dataset-charts.${format}` });
}

const handlers: DatasetHandlers = {
  set: (patch) => dispatch({ type: 'view/set', patch }),
  sort: (key) => dispatch({ type: 'view/sort', key }),
  toggleLabel: (label) => dispatch({ type: 'view/toggleLabel', label }),
  brush: (b) => dispatch(b ? { type: 'view/brush', brush: b } : { type: 'view/brush' }),
  clearFilters: () => dispatch({ type: 'view/clearFilters' }),
  select: (id) => dispatch({ type: 'view/select', id }),
  inspect: (id) => {
    if (state.data?.inspectable) postDataset({ type: DatasetInspect, id });
  },
  exportRows: (format) => {
    const d = derive(state);
    if (d) postDataset({ type: DatasetExportRows, format, ids: d.rows.map((r) => r.a.id) });
  },
  exportCharts: (format) => void exportCharts(format),
};

window.addEventListener('message', (ev: MessageEvent) => {
  const m = ev.data as DatasetDataMessage | undefined;
  if (m && typeof m === 'object' && m.type === DatasetData) {
    Object.assign(window, { __datasetRecvAt: performance.now() });
    // Draw at once: the test measures this first draw of the data in the page.
    state = reduce(state, m);
    saveState(state.view);
    draw();
  }
});
// The browser test times a draw after an action with this (reduce + draw, synchronously); it only does what a click would.
(window as unknown as { __datasetAct?: (a: DatasetAction) => number }).__datasetAct = (a) => {
  state = reduce(state, a);
  return draw();
};
watchTheme(() => {
  if (!frame) frame = requestAnimationFrame(draw);
});
draw();
postDataset({ type: DatasetReady });
