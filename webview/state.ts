// The inspector's whole state and the pure reducer that moves it. Everything the view shows
// derives from this object, and it is what `setState` persists, so it must stay JSON.

import type { ScaleMode } from './scales';
import { DEFAULT_STEER_POSITIONS, DEFAULT_STEER_TEXT } from '../src/protocol/defaults';
import type { AxisSummary, Intervention, ModelSummary, Positions, TokenInfo, TraceResult } from '../src/protocol/types';
import {
  Busy,
  ErrorShown,
  RunStarted,
  RunStopped,
  SetInterventions,
  ShowRun,
  Tokens,
  type HostToWebviewMessage,
  type RunStopReason,
  type RunSubject,
} from '../src/protocol/webview';
import type { ErrorAction } from '../src/protocol/errors';

/** A run that is still streaming in: projections grow one token column at a time. */
export interface LiveRun {
  axes: AxisSummary[];
  layers: number[];
  tokens: TokenInfo[];
  /** [axis][layerIndex][token] */
  projections: number[][][];
  interventions: Intervention[];
  /** set when the run ended without a result: what streamed stays on screen, marked */
  stopped?: RunStopReason;
}

/** Text fields stay strings so a half-typed "-0." survives a re-render. */
export interface FormState {
  steerAxis: string;
  coefficient: string;
  steerFrom: string;
  steerTo: string;
  positions: Positions;
  poAxis: string;
  poFrom: string;
  poTo: string;
  capAxis: string;
  /** empty: no lower bound */
  capLo: string;
  /** empty: no upper bound */
  capHi: string;
  capFrom: string;
  capTo: string;
  capPositions: Positions;
  controlAxis: string;
  controlSeed: string;
}

/** A run kept aside to compare the next ones with (e.g. the default vs the compliant persona). */
export interface PinnedRun {
  run: TraceResult;
  subject?: RunSubject;
}

export type ViewMode = 'values' | 'diff';

export interface InspectorState {
  version: 1;
  run?: TraceResult;
  baseline?: TraceResult;
  /** What `run` was of (prompt file or dataset row, text, model, the interventions it was asked with). */
  subject?: RunSubject;
  /** The last request after `run` failed: what is shown is the previous run (see `error`). */
  requestFailed?: boolean;
  pinned?: PinnedRun;
  live?: LiveRun;
  axes: AxisSummary[];
  model?: ModelSummary;
  /** Active now, for the next rerun (host is the source of truth). */
  interventions: Intervention[];
  busy: boolean;
  busyMessage?: string;
  error?: { message: string; detail?: string; actions?: ErrorAction[] };
  /** Token index for the layer profile; undefined means the last prompt token. */
  selectedToken?: number;
  /** Layer index (row) of the keyboard cursor in the heatmaps. */
  cursorLayer: number;
  view: ViewMode;
  /** The intervention forms are unfolded (folded away, the response and heatmaps come up the page). */
  formsOpen: boolean;
  form: FormState;
  /** Form validation message, shown next to the controls. */
  formError?: string;
  /** Heatmap colour scale: robust (outliers marked) or the full range. */
  scale: ScaleMode;
  /** Heatmap cell width the user zoomed to (px); undefined fits the view. */
  cellWidth?: number;
  /** Counts runs, so the heatmaps scroll to a new run's generated part once (not on its final message). */
  runSeq: number;
}

export type UiAction =
  | { type: 'ui/selectToken'; token: number }
  | { type: 'ui/cursorLayer'; layer: number }
  | { type: 'ui/view'; view: ViewMode }
  | { type: 'ui/form'; patch: Partial<FormState> }
  | { type: 'ui/formError'; message?: string }
  | { type: 'ui/dismissError' }
  | { type: 'ui/scale'; scale: ScaleMode }
  | { type: 'ui/zoom'; cellWidth?: number }
  | { type: 'ui/formsOpen'; open: boolean }
  | { type: 'ui/pin' }
  | { type: 'ui/unpin' };

export type Action = HostToWebviewMessage | UiAction;

export function initialState(): InspectorState {
  return {
    version: 1,
    axes: [],
    interventions: [],
    busy: false,
    cursorLayer: 0,
    view: 'values',
    scale: 'robust',
    runSeq: 0,
    formsOpen: true,
    form: {
      steerAxis: '',
      coefficient: DEFAULT_STEER_TEXT,
      steerFrom: '',
      steerTo: '',
      positions: DEFAULT_STEER_POSITIONS,
      poAxis: '',
      poFrom: '',
      poTo: '',
      capAxis: '',
      capLo: '',
      capHi: '',
      capFrom: '',
      capTo: '',
      capPositions: 'all',
      controlAxis: '',
      controlSeed: '0',
    },
  };
}

/** Accept a persisted state only if it has our shape; anything else (older version, junk) starts fresh. */
export function restoreState(saved: unknown): InspectorState {
  const fresh = initialState();
  if (typeof saved !== 'object' || saved === null) return fresh;
  const s = saved as Partial<InspectorState>;
  if (s.version !== 1 || !Array.isArray(s.axes) || !Array.isArray(s.interventions)) return fresh;
  // A reload ends whatever was in flight: the host restarts it or sends the result anew.
  const scale = s.scale === 'full' ? 'full' : 'robust';
  const cellWidth = typeof s.cellWidth === 'number' && Number.isFinite(s.cellWidth) && s.cellWidth > 0 ? s.cellWidth : undefined;
  const runSeq = typeof s.runSeq === 'number' && Number.isFinite(s.runSeq) ? s.runSeq : 0;
  return { ...fresh, ...s, scale, cellWidth, runSeq, form: { ...fresh.form, ...(s.form ?? {}) }, busy: false, busyMessage: undefined, live: undefined };
}

/** Pick sensible form defaults once axes and layer count are known, keeping what the user typed. */
function fillFormDefaults(form: FormState, axes: AxisSummary[], nLayers: number): FormState {
  const names = axes.map((a) => a.name);
  const pick = (cur: string, fallback: string) => (names.includes(cur) ? cur : fallback);
  const lastLayer = Math.max(0, nLayers - 1);
  return {
    ...form,
    steerAxis: pick(form.steerAxis, names[0] ?? ''),
    poAxis: pick(form.poAxis, names.find((n) => /refus/i.test(n)) ?? names[0] ?? ''),
    steerFrom: form.steerFrom || '0',
    steerTo: form.steerTo || String(lastLayer),
    poFrom: form.poFrom || '0',
    poTo: form.poTo || String(lastLayer),
    capAxis: pick(form.capAxis, names[0] ?? ''),
    capFrom: form.capFrom || '0',
    capTo: form.capTo || String(lastLayer),
    controlAxis: pick(form.controlAxis, names[0] ?? ''),
  };
}

export function reduce(state: InspectorState, action: Action): InspectorState {
  switch (action.type) {
    case ShowRun: {
      const { run, baseline, axes, model, interventions, subject } = action;
      const keepToken = state.selectedToken !== undefined && state.selectedToken < run.tokens.length;
      const canDiff = baseline !== undefined;
      return {
        ...state,
        run,
        baseline,
        subject,
        requestFailed: undefined,
        axes,
        model,
        interventions,
        live: undefined,
        // the final message of a run that streamed here is the same run; anything else is new
        runSeq: state.live && !state.live.stopped ? state.runSeq : state.runSeq + 1,
        busy: false,
        busyMessage: undefined,
        error: undefined,
        selectedToken: keepToken ? state.selectedToken : undefined,
        cursorLayer: Math.min(state.cursorLayer, Math.max(0, run.layers.length - 1)),
        view: canDiff ? state.view : 'values',
        form: fillFormDefaults(state.form, axes, model.layers),
      };
    }
    case RunStarted:
      return {
        ...state,
        live: {
          axes: action.axes,
          layers: action.layers,
          tokens: [],
          projections: action.axes.map(() => action.layers.map(() => [])),
          interventions: action.interventions,
        },
        runSeq: state.runSeq + 1,
        busy: true,
        error: undefined,
      };
    case Tokens: {
      const live = state.live;
      // tokens of a run this view never saw start, or of one already stopped: nothing to attach them to
      if (!live || live.stopped) return state;
      const { tokens, projections } = action.event;
      return {
        ...state,
        live: {
          ...live,
          tokens: [...live.tokens, ...tokens],
          projections: live.projections.map((perLayer, a) =>
            perLayer.map((row, l) => [...row, ...tokens.map((_, k) => projections[a]?.[l]?.[k] ?? Number.NaN)]),
          ),
        },
      };
    }
    case SetInterventions:
      return { ...state, interventions: action.interventions };
    case Busy:
      return {
        ...state,
        busy: action.busy,
        busyMessage: action.busy ? action.message : undefined,
      };
    case RunStopped: {
      // keep what streamed (a cancelled long generation is still worth reading); nothing streamed: nothing to keep
      const live = state.live && state.live.tokens.length > 0 ? { ...state.live, stopped: action.reason } : undefined;
      const requestFailed = action.reason === 'failed' && state.run !== undefined ? true : state.requestFailed;
      return { ...state, busy: false, busyMessage: undefined, live, requestFailed };
    }
    case ErrorShown:
      // a form or request error leaves a streaming run alone; RunStopped ends a failed run
      return { ...state, error: { message: action.message, detail: action.detail, ...(action.actions?.length ? { actions: action.actions } : {}) } };
    case 'ui/selectToken':
      return { ...state, selectedToken: action.token };
    case 'ui/cursorLayer':
      return { ...state, cursorLayer: action.layer };
    case 'ui/view':
      return { ...state, view: action.view === 'diff' && !state.baseline ? 'values' : action.view };
    case 'ui/form':
      return { ...state, form: { ...state.form, ...action.patch }, formError: undefined };
    case 'ui/formError':
      return { ...state, formError: action.message };
    case 'ui/dismissError':
      return { ...state, error: undefined };
    case 'ui/scale':
      return { ...state, scale: action.scale === 'full' ? 'full' : 'robust' };
    case 'ui/zoom':
      return { ...state, cellWidth: action.cellWidth !== undefined && Number.isFinite(action.cellWidth) && action.cellWidth > 0 ? action.cellWidth : undefined };
    case 'ui/formsOpen':
      return { ...state, formsOpen: action.open };
    case 'ui/pin':
      return state.run ? { ...state, pinned: { run: state.run, ...(state.subject ? { subject: state.subject } : {}) } } : state;
    case 'ui/unpin':
      return { ...state, pinned: undefined };
    default:
      return state;
  }
}

/** Two intervention lists ask for the same run (same kinds, axes, numbers, layers, positions, in order). */
export function sameInterventions(a: readonly Intervention[], b: readonly Intervention[]): boolean {
  return a.length === b.length && a.every((iv, i) => canonical(iv) === canonical(b[i]!));
}

function canonical(iv: Intervention): string {
  const o = iv as unknown as Record<string, unknown>;
  const norm = { ...o, positions: o.positions ?? 'all' };
  return JSON.stringify(Object.keys(norm).sort().map((k) => [k, (norm as Record<string, unknown>)[k]]));
}

/** Why what is on screen is not what the current settings would give; nothing when it is current. */
export interface Staleness {
  /** The last request failed; the view is the run before it. */
  failed: boolean;
  /** The active interventions differ from those the shown run was asked with (a rerun follows). */
  interventionsChanged: boolean;
}

export function staleness(state: InspectorState): Staleness | undefined {
  if (!state.run || state.live) return undefined;
  const asked = state.subject?.requested;
  const failed = state.requestFailed === true;
  const interventionsChanged = asked !== undefined && !sameInterventions(asked, state.interventions);
  return failed || interventionsChanged ? { failed, interventionsChanged } : undefined;
}
