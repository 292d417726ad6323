// render(state, root): the whole view as a function of the state. The first call builds the
// skeleton; later calls update it in place (d3 joins), so nothing flickers while tokens stream.

import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import { select } from 'd3-selection';
import { buildCompare, renderCompare } from './compareView';
import { buildControls, updateControls, type ControlHandlers } from './controls';
import { formatValue } from './format';
import { renderHeatmap, renderHeatmapTools } from './heatmap';
import { heatmapModels, profileSeries, selectedToken, shownRun, type HeatmapModel } from './model';
import { renderProfile } from './profile';
import { lensProfileSeries, lensView, renderLens } from './lens';
import type { DivergingColors, ScaleMode } from './scales';
import type { InspectorState } from './state';
import { buildSubject, renderSubject } from './subject';
import type { RunStopReason } from '../src/protocol/webview';
import type { LabelResult, TraceResult } from '../src/protocol/types';
import { ERROR_ACTION_LABELS, type ErrorAction } from '../src/protocol/errors';

export interface RenderHandlers extends ControlHandlers {
  selectToken(token: number): void;
  cursorLayer(layerIndex: number): void;
  dismissError(): void;
  errorAction(action: ErrorAction): void;
  colors(): DivergingColors;
  scale(mode: ScaleMode): void;
  zoom(cellWidth: number | undefined): void;
}

function skeleton(root: HTMLElement, h: RenderHandlers): void {
  const app = select(root).append('div').attr('class', 'app');
  const header = app.append('header').attr('class', 'header');
  header.append('h1').text('Refusal Lens');
  header.append('div').attr('class', 'model');
  const status = app.append('div').attr('class', 'status').attr('role', 'status');
  status.append('vscode-progress-bar').attr('aria-label', 'Working');
  status.append('span').attr('class', 'status-text');
  const err = app.append('div').attr('class', 'error').attr('role', 'alert');
  err.append('span').attr('class', 'error-text');
  err.append('pre').attr('class', 'error-detail');
  err.append('span').attr('class', 'error-actions');
  err.append('vscode-button').attr('class', 'error-dismiss').attr('secondary', '').text('Dismiss').on('click', h.dismissError);
  buildSubject(app.node()!);
  buildControls(app.append('div').attr('class', 'controls').node()!, h);
  app.append('section').attr('class', 'response').attr('aria-label', 'Response');
  app.append('p').attr('class', 'empty').text('No run yet. Open a prompt file and run “Refusal Lens: Inspect Prompt”.');
  app.append('section').attr('class', 'heatmaps').attr('aria-label', 'Projections per layer and token');
  app.append('section').attr('class', 'lens-section').attr('aria-label', 'Logit lens').attr('hidden', '');
  const prof = app.append('section').attr('class', 'profile-section').attr('aria-label', 'Layer profile');
  prof.append('div').attr('class', 'profile-container');
  prof.append('p').attr('class', 'hint').text('Click a heatmap column, or focus a heatmap and use ← →, to choose the token.');
  buildCompare(app.node()!);
  select(root).append('div').attr('id', 'tooltip').attr('role', 'tooltip').attr('hidden', '');
}

const STOPPED_TEXT = { cancelled: 'cancelled: partial', failed: 'failed: partial' } as const;

function labelLine(
  parent: HTMLElement, cls: string, heading: string, label: LabelResult | undefined, text: string | undefined, stopped?: RunStopReason,
): void {
  const block = select(parent)
    .selectAll<HTMLDivElement, null>(`div.${cls}`)
    .data(text === undefined ? [] : [null])
    .join((e) => {
      const d = e.append('div').attr('class', cls);
      const head = d.append('div').attr('class', 'response-head');
      head.append('h2');
      head.append('span').attr('class', 'badge');
      head.append('span').attr('class', 'score');
      d.append('pre').attr('class', 'response-text');
      return d;
    });
  block.select('h2').text(heading);
  block
    .select('span.badge')
    .attr('class', `badge ${label ? `label-${label.label}` : stopped ? 'label-stopped' : 'label-pending'}`)
    .attr('data-label', label?.label ?? null)
    .attr('data-stopped', stopped ?? null)
    .text(label ? label.label : stopped ? STOPPED_TEXT[stopped] : 'generating…');
  const extra = label?.matched ? ` · matched “${label.matched}”` : label?.reason ? ` · ${label.reason}${label.detail ? `: ${label.detail}` : ''}` : '';
  block.select('span.score').text(label ? `refusal score ${formatValue(label.refusalScore)}${extra}` : '');
  block.select('pre.response-text').text(text || '(empty response)');
}

function streamedText(state: InspectorState): string {
  return (state.live?.tokens ?? []).filter((t) => t.generated).map((t) => t.text).join('');
}

function renderResponse(section: HTMLElement, state: InspectorState): void {
  const run = shownRun(state);
  const text = run ? (run.streaming || run.stopped ? streamedText(state) : run.response) : undefined;
  const heading = state.subject?.control && !run?.streaming && !run?.stopped
    ? `Response (random control: ${state.subject.control.name} in place of ${state.subject.control.axis})`
    : state.baseline && run?.interventions.length ? 'Response (with interventions)' : 'Response';
  labelLine(section, 'current', heading, run?.label, text, run?.stopped);
  const base: TraceResult | undefined = state.baseline && state.baseline !== state.run ? state.baseline : undefined;
  labelLine(section, 'baseline', 'Baseline response', base?.label, base?.response);
}

function modelLine(state: InspectorState): string {
  const m = state.model ?? state.run?.model;
  if (!m) return '';
  return `${m.name} · ${m.layers} layers · d_model ${m.dModel} · ${m.dtype}`;
}

const built = new WeakSet<HTMLElement>();

/** Draw `state` into `root`. `h` receives what the user does; it never changes the DOM itself. */
export function render(state: InspectorState, root: HTMLElement, h: RenderHandlers): void {
  if (!built.has(root)) {
    skeleton(root, h);
    built.add(root);
  }
  const app = select(root).select<HTMLDivElement>('div.app');
  app.select('div.model').text(modelLine(state));
  app.select('div.status').attr('hidden', state.busy ? null : '');
  app.select<HTMLElement & { indeterminate: boolean }>('vscode-progress-bar').property('indeterminate', true);
  app.select('span.status-text').text(state.busyMessage ?? (state.busy ? 'Working…' : ''));
  app.select('div.error').attr('hidden', state.error ? null : '');
  app.select('span.error-text').text(state.error?.message ?? '');
  app.select('pre.error-detail').attr('hidden', state.error?.detail ? null : '').text(state.error?.detail ?? '');
  // The actions that fix the cause (Open Settings, Select Model…): the host carries them out.
  app
    .select('span.error-actions')
    .selectAll<HTMLElement, ErrorAction>('vscode-button')
    .data(state.error?.actions ?? [], (a) => a)
    .join((enter) => enter.append('vscode-button').attr('class', 'error-action').on('click', (_ev, a) => h.errorAction(a)))
    .text((a) => ERROR_ACTION_LABELS[a]);

  renderSubject(app.select<HTMLElement>('section.subject').node()!, state, state.run);
  updateControls(app.select<HTMLDivElement>('div.controls').node()!, state, h);

  const run = shownRun(state);
  app.select('p.empty').attr('hidden', run ? '' : null);
  renderResponse(app.select<HTMLElement>('section.response').node()!, state);

  const width = Math.max(320, root.clientWidth - 24);
  const token = run ? selectedToken(state, run) : 0;
  const models = heatmapModels(state);
  const colors = h.colors();
  const section = app.select<HTMLElement>('section.heatmaps');
  renderHeatmapTools(section.node()!, models.length > 0, { scale: state.scale, zoomed: state.cellWidth !== undefined, onScale: h.scale, onZoom: h.zoom });
  section
    .selectAll<HTMLDivElement, HeatmapModel>('div.heatmap-block')
    .data(models, (d) => d.axis)
    .join('div')
    .attr('class', 'heatmap-block')
    .each(function (m) {
      renderHeatmap(this, m, {
        width,
        colors,
        selectedToken: token,
        cursorLayer: state.cursorLayer,
        scale: state.scale,
        cellWidth: state.cellWidth,
        runSeq: state.runSeq,
        streaming: run?.streaming ?? false,
        onSelectToken: h.selectToken,
        onCursorLayer: h.cursorLayer,
        onZoom: h.zoom,
        showTooltip: (text, x, y) => showTooltip(root, text, x, y),
        hideTooltip: () => select(root).select('#tooltip').attr('hidden', ''),
      });
    });

  renderLens(app.select<HTMLElement>('section.lens-section').node()!, run ? lensView(state, token) : undefined);
  const profile = app.select('section.profile-section').attr('hidden', run && run.tokens.length ? null : '');
  if (run && run.tokens.length) {
    const lensCurve = lensProfileSeries(state, token);
    const series = lensCurve ? [...profileSeries(state, token), lensCurve] : profileSeries(state, token);
    renderProfile(profile.select<HTMLDivElement>('div.profile-container').node()!, series, run.tokens[token], token);
  }
  renderCompare(app.select<HTMLElement>('section.compare').node()!, state, {
    width,
    colors,
    scale: state.scale,
    cellWidth: state.cellWidth,
    runSeq: state.runSeq,
    streaming: false,
    onZoom: h.zoom,
    onSelectToken: () => undefined,
    onCursorLayer: () => undefined,
    showTooltip: (text, x, y) => showTooltip(root, text, x, y),
    hideTooltip: () => select(root).select('#tooltip').attr('hidden', ''),
  });
}

function showTooltip(root: HTMLElement, text: string, x: number, y: number): void {
  const tip = select(root).select<HTMLDivElement>('#tooltip').attr('hidden', null).text(text);
  const node = tip.node()!;
  // Keep it inside the viewport: flip left / up near the edges.
  const w = node.offsetWidth;
  const hgt = node.offsetHeight;
  const left = x + 14 + w > window.innerWidth ? Math.max(0, x - 14 - w) : x + 14;
  const top = y + 14 + hgt > window.innerHeight ? Math.max(0, y - 14 - hgt) : y + 14;
  tip.style('left', `${left}px`).style('top', `${top}px`);
}
