// Webview entry: owns the state, feeds host messages and user actions through the reducer,
// persists with setState once things settle, and re-renders once per animation frame (tokens stream fast).

import {
  Busy,
  ClearInterventions,
  ErrorActionPicked,
  ErrorShown,
  Export,
  Ready,
  RemoveIntervention,
  Rerun,
  RunStarted,
  RunStopped,
  SetInterventions,
  ShowRun,
  Tokens,
  type HostToWebviewMessage,
} from '../src/protocol/webview';
import { composeSvg, exportCharts, svgToPng } from './export';
import { capFromForm, controlFromForm, interventionText, projectOutFromForm, steerFromForm } from './format';
import { render, type RenderHandlers } from './render';
import { reduce, restoreState, type Action, type InspectorState } from './state';
import { themeBackground, themeColors, themeForeground, watchTheme } from './theme';
import { loadState, post, saveState } from './vscode';
import { traceJson } from '../src/protocol/readouts';

const HOST_TYPES: readonly string[] = [ShowRun, RunStarted, Tokens, SetInterventions, Busy, RunStopped, ErrorShown];

let state: InspectorState = restoreState(loadState());
let frame = 0;
const root = document.getElementById('root') ?? document.body;

// Persisting serialises the whole state (a 32 × 1024 run is ~65k numbers, ~50 ms), so it runs
// once things settle rather than on every click or streamed token, and at once when the page goes.
// The streaming run is not kept: restoreState drops it anyway.
let saveTimer: ReturnType<typeof setTimeout> | undefined;
function persist(): void {
  if (saveTimer !== undefined) clearTimeout(saveTimer);
  saveTimer = undefined;
  saveState({ ...state, live: undefined });
}
window.addEventListener('pagehide', persist);

function dispatch(action: Action): void {
  state = reduce(state, action);
  if (saveTimer !== undefined) clearTimeout(saveTimer);
  saveTimer = setTimeout(persist, 250);
  if (!frame) frame = requestAnimationFrame(draw);
}

function draw(): void {
  frame = 0;
  const t0 = performance.now();
  render(state, root, handlers);
  // read by the browser tests' timing of a large run
  root.dataset.renderMs = (performance.now() - t0).toFixed(1);
}

function nLayers(): number {
  return state.model?.layers ?? state.run?.model.layers ?? 0;
}

function axisNames(): string[] {
  return state.axes.map((a) => a.name);
}

function caption(): string {
  const m = state.model ?? state.run?.model;
  const ivs = state.run?.interventions ?? [];
  const what = state.view === 'diff' ? 'run − baseline' : 'projections';
  return `${m?.name ?? 'model'} · ${what}${ivs.length ? ` · ${ivs.map(interventionText).join('; ')}` : ''}`;
}

async function exportAs(format: 'svg' | 'png' | 'json'): Promise<void> {
  try {
    if (format === 'json') {
      if (!state.run) return;
      post({ type: Export, format, data: JSON.stringify(traceJson(state.run), null, 2), suggestedName: 'trace.json' }); // trace/2, as `trace --json`
      return;
    }
    const built = exportCharts(root);
    let svg: string;
    try {
      svg = composeSvg(built.charts, caption(), themeBackground(), themeForeground());
    } finally {
      built.dispose();
    }
    if (format === 'svg') post({ type: Export, format, data: svg, suggestedName: 'trace.svg' });
    else post({ type: Export, format, data: await svgToPng(svg), suggestedName: 'trace.png' });
  } catch (e) {
    dispatch({ type: ErrorShown, message: `Export failed: ${e instanceof Error ? e.message : String(e)}` });
  }
}

const handlers: RenderHandlers = {
  rerun: () => post({ type: Rerun }),
  setDiff: (on) => dispatch({ type: 'ui/view', view: on ? 'diff' : 'values' }),
  exportAs: (format) => void exportAs(format),
  remove: (index) => post({ type: RemoveIntervention, index }),
  clear: () => post({ type: ClearInterventions }),
  form: (patch) => dispatch({ type: 'ui/form', patch }),
  addSteer: () => {
    const r = steerFromForm(state.form, axisNames(), nLayers());
    if (r.ok) post(r.message);
    dispatch({ type: 'ui/formError', message: r.ok ? undefined : r.error });
  },
  addProjectOut: () => {
    const r = projectOutFromForm(state.form, axisNames(), nLayers());
    if (r.ok) post(r.message);
    dispatch({ type: 'ui/formError', message: r.ok ? undefined : r.error });
  },
  addCap: () => {
    const r = capFromForm(state.form, axisNames(), nLayers());
    if (r.ok) post(r.message);
    dispatch({ type: 'ui/formError', message: r.ok ? undefined : r.error });
  },
  runControl: () => {
    const r = controlFromForm(state.form, axisNames(), state.interventions);
    if (r.ok) post(r.message);
    dispatch({ type: 'ui/formError', message: r.ok ? undefined : r.error });
  },
  pin: () => dispatch({ type: 'ui/pin' }),
  unpin: () => dispatch({ type: 'ui/unpin' }),
  formsOpen: (open) => {
    if (open !== state.formsOpen) dispatch({ type: 'ui/formsOpen', open });
  },
  selectToken: (token) => {
    if (token === state.selectedToken) return;
    dispatch({ type: 'ui/selectToken', token });
  },
  cursorLayer: (layer) => dispatch({ type: 'ui/cursorLayer', layer }),
  dismissError: () => dispatch({ type: 'ui/dismissError' }),
  errorAction: (action) => post({ type: ErrorActionPicked, action }),
  colors: themeColors,
  scale: (scale) => dispatch({ type: 'ui/scale', scale }),
  zoom: (cellWidth) => dispatch({ type: 'ui/zoom', cellWidth }),
};

window.addEventListener('message', (ev: MessageEvent) => {
  const msg = ev.data as HostToWebviewMessage | undefined;
  // The host is trusted, but other frames can post too: take only our message types.
  if (msg && typeof msg === 'object' && HOST_TYPES.includes((msg as { type?: string }).type ?? '')) dispatch(msg);
});
watchTheme(() => dispatch({ type: 'ui/cursorLayer', layer: state.cursorLayer }));
new ResizeObserver(() => {
  if (!frame) frame = requestAnimationFrame(draw);
}).observe(root);

draw();
post({ type: Ready });
