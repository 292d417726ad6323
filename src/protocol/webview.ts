// Messages between the extension host (the inspector panel) and the inspector webview.
// One module both sides import, so a renamed field breaks the build, not the user.
// Each message has a `type` constant (its wire name) and an interface; the JSDoc on the
// constant names its direction. The host must run `isWebviewToHostMessage` on every
// message it receives: the webview is a browser page and its messages are untrusted input.
// No runtime dependencies: this file is bundled into the webview.

import { ERROR_ACTIONS, type ErrorAction } from './errors';
import type { AxisSummary, ModelSummary, TokenEvent, TraceResult } from './types';
import { boundOrder, isPositions, type Intervention, type Positions } from './interventions';
import { COEFFICIENT_UNITS, parsePercentile, type CapBound, type CoefficientUnit } from './reference';

// ───────────────────────────── host → webview ─────────────────────────────

/**
 * What a run was of, as the inspector names it: the prompt file or dataset row, its text, the
 * model and device, and the interventions this run was asked with (not the pending ones).
 */
export interface RunSubject {
  kind: 'prompt-file' | 'dataset-row';
  /** Workspace-relative path of the source file. */
  file: string;
  /** 1-based line of a dataset row. */
  line?: number;
  /** The dataset row's id (its `id` field, or a content hash). */
  id?: string;
  system?: string;
  user?: string;
  prefill?: string;
  /** Model name and dtype, e.g. "organism · fp32". */
  model: string;
  /** Where it ran, e.g. "cpu". */
  device?: string;
  /** The session's interventions when the run was asked for; the view is stale once they differ. */
  requested: Intervention[];
  /** A random-control run: `axis` was replaced by its norm-matched random direction `name`. */
  control?: { axis: string; seed: number; name: string };
}

/** host → webview: show a finished run (replaces whatever the view showed). */
export const ShowRun = 'showRun' as const;
export interface ShowRunMessage {
  type: typeof ShowRun;
  run: TraceResult;
  /** The run without interventions, for Δ and the difference view. */
  baseline?: TraceResult;
  /** Axes the user can steer along / project out (may be more than `run.axes`). */
  axes: AxisSummary[];
  model: ModelSummary;
  /** Interventions active now (for the next rerun); `run.interventions` are those the run used. */
  interventions: Intervention[];
  /** What the run was of; absent from hosts older than the subject line. */
  subject?: RunSubject;
}

/** host → webview: a run started; streamed `Tokens` messages follow, then `ShowRun`. */
export const RunStarted = 'runStarted' as const;
export interface RunStartedMessage {
  type: typeof RunStarted;
  /** Axes of the streamed projections, in `TokenEvent.projections` order. */
  axes: AxisSummary[];
  /** Layers of the streamed projections, in `TokenEvent.projections[axis]` order. */
  layers: number[];
  interventions: Intervention[];
}

/** host → webview: streamed tokens of the running run (prompt tokens in one batch after prefill). */
export const Tokens = 'tokens' as const;
export interface TokensMessage {
  type: typeof Tokens;
  event: TokenEvent;
}

/** host → webview: the active interventions changed (e.g. through a palette command). */
export const SetInterventions = 'setInterventions' as const;
export interface SetInterventionsMessage {
  type: typeof SetInterventions;
  interventions: Intervention[];
}

/** host → webview: work started (`busy: true`) or ended; disables Rerun and shows the message. */
export const Busy = 'busy' as const;
export interface BusyMessage {
  type: typeof Busy;
  busy: boolean;
  message?: string;
}

/**
 * host → webview: the streaming run ended without a result (cancelled, or failed; an
 * `ErrorShown` with the reason follows a failure). Ends busy; the tokens streamed so far stay on
 * screen, marked as stopped, until the next run.
 */
export const RunStopped = 'runStopped' as const;
export type RunStopReason = 'cancelled' | 'failed';
export interface RunStoppedMessage {
  type: typeof RunStopped;
  reason: RunStopReason;
}

/**
 * host → webview: a request failed; shows the message, and a button per action (the page
 * answers `ErrorActionPicked`). A streaming run is ended by `RunStopped`, not by this. The
 * banner is the error's one place: the host shows no notification for it.
 */
export const ErrorShown = 'error' as const;
export interface ErrorMessage {
  type: typeof ErrorShown;
  message: string;
  detail?: string;
  actions?: ErrorAction[];
}

export type HostToWebviewMessage =
  | ShowRunMessage
  | RunStartedMessage
  | TokensMessage
  | SetInterventionsMessage
  | BusyMessage
  | RunStoppedMessage
  | ErrorMessage;

// ───────────────────────────── webview → host ─────────────────────────────

/** webview → host: the page loaded and listens; the host answers with the current `ShowRun` if any. */
export const Ready = 'ready' as const;
export interface ReadyMessage {
  type: typeof Ready;
}

/** webview → host: run the same prompt again with the active interventions. */
export const Rerun = 'rerun' as const;
export interface RerunMessage {
  type: typeof Rerun;
}

/** webview → host: add a steer (r ← r + coefficient · v_l at `layers`) to the active interventions. */
export const AddSteer = 'addSteer' as const;
export interface AddSteerMessage {
  type: typeof AddSteer;
  axis: string;
  coefficient: number;
  /** 'norm': coefficient × the layer's mean residual norm on the reference set (protocol/reference.ts); absent: raw. */
  unit?: CoefficientUnit;
  /** 0-based; the host also checks them against the model's layer count. */
  layers: number[];
  positions?: Positions;
}

/** webview → host: add a project-out of `axes` at `layers` to the active interventions. */
export const AddProjectOut = 'addProjectOut' as const;
export interface AddProjectOutMessage {
  type: typeof AddProjectOut;
  axes: string[];
  layers: number[];
  positions?: Positions;
}

/** webview → host: add a cap (clamp r·v̂_l of `axis` to [lo, hi]; an absent bound is open) to the active interventions. */
export const AddCap = 'addCap' as const;
export interface AddCapMessage {
  type: typeof AddCap;
  axis: string;
  /** A number, or a percentile of the reference set's projections (`p25`), as in the registry. */
  lo?: CapBound;
  hi?: CapBound;
  layers: number[];
  positions?: Positions;
}

/**
 * webview → host: rerun the shown prompt once with `axis` replaced, in every active intervention
 * that uses it, by its norm-matched random direction (seeded); the result is labelled the control.
 */
export const RunControl = 'runControl' as const;
export interface RunControlMessage {
  type: typeof RunControl;
  axis: string;
  seed: number;
}

/** webview → host: remove the active intervention at `index`. */
export const RemoveIntervention = 'removeIntervention' as const;
export interface RemoveInterventionMessage {
  type: typeof RemoveIntervention;
  index: number;
}

/** webview → host: remove all active interventions. */
export const ClearInterventions = 'clearInterventions' as const;
export interface ClearInterventionsMessage {
  type: typeof ClearInterventions;
}

export type ExportFormat = 'svg' | 'png' | 'json';
/** webview → host: save `data` to a file the user picks. svg: SVG text; png: a `data:image/png;base64,` URL; json: JSON text. */
export const Export = 'export' as const;
export interface ExportMessage {
  type: typeof Export;
  format: ExportFormat;
  data: string;
  /** File name without folder, e.g. `trace.svg`. */
  suggestedName?: string;
}

/** webview → host: the user pressed an action of the error banner (Open Settings, Select Model…). */
export const ErrorActionPicked = 'errorAction' as const;
export interface ErrorActionPickedMessage {
  type: typeof ErrorActionPicked;
  action: ErrorAction;
}

export type WebviewToHostMessage =
  | ReadyMessage
  | RerunMessage
  | AddSteerMessage
  | AddProjectOutMessage
  | AddCapMessage
  | RunControlMessage
  | RemoveInterventionMessage
  | ClearInterventionsMessage
  | ExportMessage
  | ErrorActionPickedMessage;

// ───────────────────────────── validation ─────────────────────────────

/** Limits on untrusted input; generous for real use, small enough to keep a bad page from hurting the host. */
export const LIMITS = {
  maxNameLength: 256,
  maxLayers: 4096,
  maxLayerIndex: 100_000,
  maxAxes: 64,
  maxIndex: 100_000,
  maxCoefficient: 1e6,
  /** A cap bound is a projection value; beyond this it is no bound at all. */
  maxBound: 1e9,
  maxSeed: 2 ** 32 - 1,
  /** A PNG of a large view as a data URL; the host writes it to disk. */
  maxExportLength: 64 * 1024 * 1024,
  maxFileNameLength: 255,
} as const;

const FORMATS: readonly string[] = ['svg', 'png', 'json'];
const PNG_PREFIX = 'data:image/png;base64,';

type Rec = Record<string, unknown>;

function isRecord(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Every key of `x` is in `allowed`: an unknown field means a mismatched sender, reject it. */
function onlyKeys(x: Rec, allowed: readonly string[]): boolean {
  return Object.keys(x).every((k) => allowed.includes(k));
}

function isName(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= LIMITS.maxNameLength;
}

function isIndex(x: unknown, max: number): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= max;
}

function isLayers(x: unknown): x is number[] {
  if (!Array.isArray(x) || x.length === 0 || x.length > LIMITS.maxLayers) return false;
  if (!x.every((l) => isIndex(l, LIMITS.maxLayerIndex))) return false;
  return new Set(x).size === x.length;
}

function isOptionalPositions(x: unknown): boolean {
  return x === undefined || isPositions(x);
}

function isOptionalBound(x: unknown): boolean {
  return x === undefined || (typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= LIMITS.maxBound) || parsePercentile(x) !== undefined;
}

function isFileName(x: unknown): boolean {
  return (
    typeof x === 'string' &&
    x.length > 0 &&
    x.length <= LIMITS.maxFileNameLength &&
    !/[\\/\0]/.test(x) &&
    x !== '.' &&
    x !== '..'
  );
}

function isExportData(format: string, data: unknown): boolean {
  if (typeof data !== 'string' || data.length === 0 || data.length > LIMITS.maxExportLength) return false;
  if (format === 'png') return data.startsWith(PNG_PREFIX) && /^[A-Za-z0-9+/]+=*$/.test(data.slice(PNG_PREFIX.length));
  if (format === 'svg') return /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(data);
  return true;
}

/** True when `x` is a well-formed webview → host message; the host drops anything else. */
export function isWebviewToHostMessage(x: unknown): x is WebviewToHostMessage {
  if (!isRecord(x) || typeof x.type !== 'string') return false;
  switch (x.type) {
    case Ready:
    case Rerun:
    case ClearInterventions:
      return onlyKeys(x, ['type']);
    case AddSteer:
      return (
        onlyKeys(x, ['type', 'axis', 'coefficient', 'unit', 'layers', 'positions']) &&
        (x.unit === undefined || (COEFFICIENT_UNITS as readonly unknown[]).includes(x.unit)) &&
        isName(x.axis) &&
        typeof x.coefficient === 'number' &&
        Number.isFinite(x.coefficient) &&
        Math.abs(x.coefficient) <= LIMITS.maxCoefficient &&
        isLayers(x.layers) &&
        isOptionalPositions(x.positions)
      );
    case AddProjectOut:
      return (
        onlyKeys(x, ['type', 'axes', 'layers', 'positions']) &&
        Array.isArray(x.axes) &&
        x.axes.length > 0 &&
        x.axes.length <= LIMITS.maxAxes &&
        x.axes.every(isName) &&
        new Set(x.axes).size === x.axes.length &&
        isLayers(x.layers) &&
        isOptionalPositions(x.positions)
      );
    case AddCap:
      return (
        onlyKeys(x, ['type', 'axis', 'lo', 'hi', 'layers', 'positions']) &&
        isName(x.axis) &&
        (x.lo !== undefined || x.hi !== undefined) &&
        isOptionalBound(x.lo) &&
        isOptionalBound(x.hi) &&
        (x.lo === undefined || x.hi === undefined || typeof x.lo !== typeof x.hi || boundOrder(x.lo as CapBound) <= boundOrder(x.hi as CapBound)) &&
        isLayers(x.layers) &&
        isOptionalPositions(x.positions)
      );
    case RunControl:
      return onlyKeys(x, ['type', 'axis', 'seed']) && isName(x.axis) && isIndex(x.seed, LIMITS.maxSeed);
    case RemoveIntervention:
      return onlyKeys(x, ['type', 'index']) && isIndex(x.index, LIMITS.maxIndex);
    case Export:
      return (
        onlyKeys(x, ['type', 'format', 'data', 'suggestedName']) &&
        typeof x.format === 'string' &&
        FORMATS.includes(x.format) &&
        isExportData(x.format, x.data) &&
        (x.suggestedName === undefined || isFileName(x.suggestedName))
      );
    case ErrorActionPicked:
      return onlyKeys(x, ['type', 'action']) && typeof x.action === 'string' && (ERROR_ACTIONS as readonly string[]).includes(x.action);
    default:
      return false;
  }
}
