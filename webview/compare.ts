// Compare two prompts: a pinned run beside the current one (e.g. the default vs the compliant
// persona on the same request). Different prompts have different tokens, so the comparison is
// made where both have a meaning: the last prompt token (where the refusal decision shows), per
// axis and layer, plus each run's own heatmaps and response.

import type { TraceResult } from '../src/protocol/types';
import type { RunSubject } from '../src/protocol/webview';
import { promptLength, symmetricExtent, type HeatmapModel } from './model';
import type { InspectorState } from './state';
import { subjectSource } from './subject';

export interface CompareRow {
  axis: string;
  layer: number;
  pinned: number;
  current: number;
  /** current − pinned */
  delta: number;
}

export interface Comparison {
  pinned: { run: TraceResult; subject?: RunSubject; title: string };
  current: { run: TraceResult; subject?: RunSubject; title: string };
  /** Per axis both runs read out, per layer both have: the values at each run's last prompt token. */
  rows: CompareRow[];
}

/** "Prompt file a.rlprompt · system: You are …" — enough to tell two runs apart. */
export function runTitle(run: TraceResult, subject: RunSubject | undefined): string {
  const sys = run.prompt.kind === 'chat' ? run.prompt.messages.find((m) => m.role === 'system')?.content : undefined;
  const head = subject ? subjectSource(subject) : run.model.name;
  const ctl = subject?.control ? ` · random control for ${subject.control.axis}` : '';
  const ivs = run.interventions.length ? ` · ${run.interventions.length} intervention${run.interventions.length > 1 ? 's' : ''}` : '';
  return `${head}${ctl}${ivs} · system: ${sys === undefined ? '(none)' : sys.length > 60 ? `${sys.slice(0, 59)}…` : sys}`;
}

function lastPromptToken(run: TraceResult): number {
  return Math.max(0, promptLength(run.tokens) - 1);
}

/** The comparison to show, or undefined when nothing is pinned or the pinned run is the one shown. */
export function comparison(state: InspectorState): Comparison | undefined {
  const p = state.pinned;
  const run = state.run;
  if (!p || !run || p.run === run || state.live) return undefined;
  const tp = lastPromptToken(p.run);
  const tc = lastPromptToken(run);
  const rows: CompareRow[] = [];
  run.axes.forEach((ax, a) => {
    const pa = p.run.axes.findIndex((x) => x.name === ax.name);
    if (pa < 0) return;
    run.layers.forEach((layer, li) => {
      const pli = p.run.layers.indexOf(layer);
      if (pli < 0) return;
      const current = run.projections[a]?.[li]?.[tc];
      const pinned = p.run.projections[pa]?.[pli]?.[tp];
      if (typeof current !== 'number' || typeof pinned !== 'number') return;
      rows.push({ axis: ax.name, layer, pinned, current, delta: current - pinned });
    });
  });
  return {
    pinned: { run: p.run, ...(p.subject ? { subject: p.subject } : {}), title: runTitle(p.run, p.subject) },
    current: { run, ...(state.subject ? { subject: state.subject } : {}), title: runTitle(run, state.subject) },
    rows,
  };
}

/**
 * Heatmap models of the pinned run (values only), for the side-by-side view. With `current`, each
 * axis' colour domain covers both runs, so equal colours mean equal values across the two (a
 * projected-out axis reads as near zero, not as its noise stretched to full colour).
 */
export function pinnedHeatmaps(run: TraceResult, current?: TraceResult): HeatmapModel[] {
  const nPrompt = promptLength(run.tokens);
  return run.axes.map((ax, a) => {
    const value = run.layers.map((_, li) => run.tokens.map((_, t) => run.projections[a]?.[li]?.[t] ?? Number.NaN));
    return {
      axis: ax.name,
      // distinct from the current run's heatmaps (the legend gradient's id derives from it)
      axisIndex: 1000 + a,
      layers: run.layers,
      tokens: run.tokens,
      baselineText: run.tokens.map(() => undefined),
      promptLength: nPrompt,
      mode: 'values',
      shown: value,
      value,
      delta: value.map((r) => r.map(() => undefined)),
      maxAbs: Math.max(symmetricExtent(value), sameAxis(current, ax.name)),
      // one domain for both runs: the robust and the full scale are the same here
      fullMaxAbs: Math.max(symmetricExtent(value), sameAxis(current, ax.name)),
    };
  });
}

function sameAxis(run: TraceResult | undefined, axis: string): number {
  const a = run?.axes.findIndex((x) => x.name === axis) ?? -1;
  return a >= 0 ? symmetricExtent(run!.projections[a] ?? []) : 0;
}
