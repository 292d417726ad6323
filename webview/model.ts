// Pure derivations from the state: what each heatmap and the layer profile show.
// Kept apart from d3 so they are unit-tested without a browser.

import type { AxisSummary, Intervention, LabelResult, TokenInfo, TraceResult } from '../src/protocol/types';
import type { Readouts } from '../src/protocol/readouts';
import type { InspectorState, ViewMode } from './state';
import { fullMaxAbs, robustMaxAbs } from '../src/protocol/scale';
import type { RunStopReason } from '../src/protocol/webview';

/** What is on screen: the streaming run (or what streamed of a stopped one), else the last finished run. */
export interface ShownRun {
  axes: AxisSummary[];
  layers: number[];
  tokens: TokenInfo[];
  /** by name (src/protocol/readouts.ts); a streaming run has projections only */
  readouts: Readouts;
  interventions: Intervention[];
  response?: string;
  label?: LabelResult;
  /** still coming in */
  streaming: boolean;
  /** ended without a result; the tokens are those that streamed before */
  stopped?: RunStopReason;
}

export function shownRun(state: InspectorState): ShownRun | undefined {
  if (state.live) {
    const { stopped, projections, ...live } = state.live;
    const shown = { ...live, readouts: { projections } };
    return stopped ? { ...shown, streaming: false, stopped } : { ...shown, streaming: true };
  }
  const r = state.run;
  if (!r) return undefined;
  return {
    axes: r.axes,
    layers: r.layers,
    tokens: r.tokens,
    readouts: r.readouts,
    interventions: r.interventions,
    response: r.response,
    label: r.label,
    streaming: false,
  };
}

/** Index of the first generated token = number of prompt tokens (the engine puts the prompt first). */
export function promptLength(tokens: TokenInfo[]): number {
  const i = tokens.findIndex((t) => t.generated);
  return i < 0 ? tokens.length : i;
}

/** The layer-profile token: the user's choice if it exists, else the last prompt token. */
export function selectedToken(state: InspectorState, run: ShownRun): number {
  const n = run.tokens.length;
  if (n === 0) return 0;
  const s = state.selectedToken;
  if (s !== undefined && s >= 0 && s < n) return s;
  return Math.max(0, promptLength(run.tokens) - 1);
}

/** Baseline value at (axis name, layer number, token index), or undefined where the baseline lacks it. */
export function baselineLookup(baseline: TraceResult | undefined, axis: string): (layer: number, token: number) => number | undefined {
  if (!baseline) return () => undefined;
  const a = baseline.axes.findIndex((x) => x.name === axis);
  if (a < 0) return () => undefined;
  const layerIndex = new Map(baseline.layers.map((l, i) => [l, i]));
  return (layer, token) => {
    const li = layerIndex.get(layer);
    if (li === undefined || token >= baseline.tokens.length) return undefined;
    const v = baseline.readouts.projections[a]?.[li]?.[token];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
}

export interface HeatmapModel {
  axis: string;
  axisIndex: number;
  layers: number[];
  tokens: TokenInfo[];
  /** The baseline's token text per position, where it differs from the run's (generations diverge). */
  baselineText: (string | undefined)[];
  promptLength: number;
  mode: ViewMode;
  /** [layerIndex][token]: what the cells show (the run's value, or run − baseline in diff mode). */
  shown: number[][];
  /** [layerIndex][token]: the run's value. */
  value: number[][];
  /** [layerIndex][token]: run − baseline, or undefined where there is no baseline value. */
  delta: (number | undefined)[][];
  /** Half-width of the symmetric colour domain (shared with the baseline in the values view). */
  maxAbs: number;
  /** The same over the full range: the largest |value| of what maxAbs was taken from. */
  fullMaxAbs: number;
}

/** The shared colour-domain rule (src/protocol/scale.ts): a high quantile of |value|, outliers saturate. */
export function symmetricExtent(rows: number[][]): number {
  return robustMaxAbs(rows.flat());
}

// One-entry memo: a click or a cursor move re-renders with the same run, baseline and view, and
// rebuilding the models (a quantile over every cell for the colour domain) would cost ~0.1 s per
// 10^4 cells. Keyed by the identities the reducer keeps while those parts do not change.
let memo: { run?: unknown; live?: unknown; baseline?: unknown; view?: ViewMode; out: HeatmapModel[] } | undefined;

export function heatmapModels(state: InspectorState): HeatmapModel[] {
  if (memo && memo.run === state.run && memo.live === state.live && memo.baseline === state.baseline && memo.view === state.view) return memo.out;
  const out = buildHeatmapModels(state);
  memo = { run: state.run, live: state.live, baseline: state.baseline, view: state.view, out };
  return out;
}

function buildHeatmapModels(state: InspectorState): HeatmapModel[] {
  const run = shownRun(state);
  if (!run) return [];
  const mode: ViewMode = state.view === 'diff' && state.baseline ? 'diff' : 'values';
  const nPrompt = promptLength(run.tokens);
  return run.axes.map((ax, a) => {
    const base = baselineLookup(state.baseline, ax.name);
    const value = run.layers.map((_, li) => run.tokens.map((_, t) => run.readouts.projections[a]?.[li]?.[t] ?? Number.NaN));
    const delta = value.map((row, li) =>
      row.map((v, t) => {
        const b = base(run.layers[li]!, t);
        return b === undefined || !Number.isFinite(v) ? undefined : v - b;
      }),
    );
    const shown = mode === 'diff' ? delta.map((row) => row.map((d) => d ?? Number.NaN)) : value;
    // In the values view the run and its baseline share one colour domain per axis, so a
    // projected-out axis reads as near zero instead of its noise being stretched to full colour.
    const bi = state.baseline?.axes.findIndex((x) => x.name === ax.name) ?? -1;
    const baseRows = mode === 'values' && bi >= 0 ? (state.baseline!.readouts.projections[bi] ?? []) : [];
    return {
      axis: ax.name,
      axisIndex: a,
      layers: run.layers,
      tokens: run.tokens,
      baselineText: run.tokens.map((tok, t) => {
        const b = state.baseline?.tokens[t];
        return b && b.text !== tok.text ? b.text : undefined;
      }),
      promptLength: nPrompt,
      mode,
      shown,
      value,
      delta,
      maxAbs: Math.max(symmetricExtent(shown), baseRows.length ? symmetricExtent(baseRows) : 0),
      fullMaxAbs: Math.max(fullMaxAbs(shown.flat()), baseRows.length ? fullMaxAbs(baseRows.flat()) : 0),
    };
  });
}

export interface ProfileSeries {
  axis: string;
  layers: number[];
  current: number[];
  /** Same length as `layers`; NaN where the baseline lacks the value. */
  baseline: number[] | undefined;
  /** fixed y range (a probability: [0, 1]); absent = symmetric around 0 */
  domain?: [number, number];
}

/** Projection per layer at one token, for the run and the baseline, one series per axis. */
export function profileSeries(state: InspectorState, token: number): ProfileSeries[] {
  const run = shownRun(state);
  if (!run) return [];
  return run.axes.map((ax, a) => {
    const base = baselineLookup(state.baseline, ax.name);
    const current = run.layers.map((_, li) => run.readouts.projections[a]?.[li]?.[token] ?? Number.NaN);
    const b = run.layers.map((l) => base(l, token) ?? Number.NaN);
    return { axis: ax.name, layers: run.layers, current, baseline: state.baseline ? b : undefined };
  });
}
