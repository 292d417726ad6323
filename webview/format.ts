// Pure text: how tokens, values and interventions read on screen, and turning the
// steer / project-out / cap / control forms into messages (with the errors a user can act on).

import type { TokenInfo } from '../src/protocol/types';
import { boundOrder, describeIntervention, interventionAxes, interventionProblems, type Intervention } from '../src/protocol/interventions';
import { formatLayerRanges } from '../src/protocol/layers';
import { AddCap, AddProjectOut, AddSteer, RunControl, type AddCapMessage, type AddProjectOutMessage, type AddSteerMessage, type RunControlMessage } from '../src/protocol/webview';
import type { FormState } from './state';
import { NORM_SUFFIX, parseCoefficientText, parsePercentile, type CapBound, type PercentileBound } from '../src/protocol/reference';

/** Make whitespace visible: a token that is a space or a newline must not look like nothing. */
export function tokenLabel(text: string, max = 16): string {
  const visible = text.replace(/\n/g, '↵').replace(/\r/g, '').replace(/\t/g, '⇥').replace(/ /g, '·');
  if (visible.length === 0) return '∅';
  return visible.length > max ? `${visible.slice(0, max - 1)}…` : visible;
}

/** Three significant decimals is what a projection difference means at this scale. */
export function formatValue(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return v.toFixed(Math.abs(v) >= 100 ? 1 : 3);
}

export function formatDelta(d: number | undefined): string {
  if (d === undefined || !Number.isFinite(d)) return '–';
  return `${d >= 0 ? '+' : '−'}${formatValue(Math.abs(d))}`;
}

/** Compact layer list: [3,4,5,6,9] → "3–6, 9". */
export const layerRanges = formatLayerRanges;

/** A chip's text: the registry's one description, in its on-screen form. */
export function interventionText(iv: Intervention): string {
  return describeIntervention(iv, 'display');
}

export interface CellInfo {
  token: TokenInfo;
  tokenIndex: number;
  layer: number;
  value: number;
  delta: number | undefined;
  /** The baseline's token at this position when it is a different token. */
  baselineText?: string;
}

/** The hover / keyboard-cursor readout for one heatmap cell. */
export function cellText(axis: string, c: CellInfo): string {
  const where = c.token.generated ? 'generated' : 'prompt';
  const other = c.baselineText === undefined ? '' : ` (baseline token there: "${tokenLabel(c.baselineText, 24)}")`;
  const delta = c.delta === undefined ? 'Δ – (no baseline)' : `Δ ${formatDelta(c.delta)} vs baseline${other}`;
  return `${axis} · token "${tokenLabel(c.token.text, 24)}" (#${c.tokenIndex}, ${where}) · layer ${c.layer} · value ${formatValue(c.value)} · ${delta}`;
}

type Parsed<T> = { ok: true; message: T } | { ok: false; error: string };

function parseLayerRange(fromText: string, toText: string, nLayers: number): number[] | string {
  const from = Number(fromText.trim());
  const to = Number(toText.trim());
  if (fromText.trim() === '' || toText.trim() === '') return 'Enter both ends of the layer range.';
  if (!Number.isInteger(from) || !Number.isInteger(to)) return 'Layers are whole numbers.';
  if (from < 0 || to >= nLayers) return `Layers run from 0 to ${nLayers - 1}.`;
  if (from > to) return 'The first layer must not come after the last.';
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export function steerFromForm(form: FormState, axes: string[], nLayers: number): Parsed<AddSteerMessage> {
  if (!axes.includes(form.steerAxis)) return { ok: false, error: 'Choose an axis to steer along.' };
  // "0.3n": a multiple of the layer's mean residual norm on the reference set (protocol/reference.ts).
  const parsed = parseCoefficientText(form.coefficient);
  if (!parsed) return { ok: false, error: `The coefficient must be a number, or a multiple of the mean residual norm such as 0.3${NORM_SUFFIX}.` };
  const { coefficient, unit } = parsed;
  if (coefficient === 0) return { ok: false, error: 'A coefficient of 0 changes nothing.' };
  const layers = parseLayerRange(form.steerFrom, form.steerTo, nLayers);
  if (typeof layers === 'string') return { ok: false, error: layers };
  const message: AddSteerMessage = { type: AddSteer, axis: form.steerAxis, coefficient, ...(unit ? { unit } : {}), layers };
  if (form.positions !== 'all') message.positions = form.positions;
  const problem = registryProblem({ ...message, kind: 'steer' }, axes, nLayers);
  return problem ? { ok: false, error: problem } : { ok: true, message };
}

export function projectOutFromForm(form: FormState, axes: string[], nLayers: number): Parsed<AddProjectOutMessage> {
  if (!axes.includes(form.poAxis)) return { ok: false, error: 'Choose an axis to project out.' };
  const layers = parseLayerRange(form.poFrom, form.poTo, nLayers);
  if (typeof layers === 'string') return { ok: false, error: layers };
  const message: AddProjectOutMessage = { type: AddProjectOut, axes: [form.poAxis], layers };
  const problem = registryProblem({ ...message, kind: 'project_out' }, axes, nLayers);
  return problem ? { ok: false, error: problem } : { ok: true, message };
}

/** The registry's checks on what a form built (bounds such as the steering coefficient's), as a sentence. */
function registryProblem(fields: Record<string, unknown>, axes: string[], nLayers: number): string | undefined {
  const { type: _type, ...iv } = fields;
  const p = interventionProblems(iv, { nLayers, axes })[0];
  return p ? `${p.message[0]!.toUpperCase()}${p.message.slice(1)}.` : undefined;
}

/** A cap bound as typed: empty is open (undefined), else a finite number, else an error message. */
/** Empty: open; a number; or a percentile of the axis' projections on the reference set at each layer (p25). */
function parseBound(text: string, which: string): CapBound | undefined | { error: string } {
  const t = text.trim();
  if (t === '') return undefined;
  if (parsePercentile(t) !== undefined) return t as PercentileBound;
  const v = Number(t);
  return Number.isFinite(v) ? v : { error: `The ${which} bound must be a number, a percentile such as p25, or empty for none.` };
}

export function capFromForm(form: FormState, axes: string[], nLayers: number): Parsed<AddCapMessage> {
  if (!axes.includes(form.capAxis)) return { ok: false, error: 'Choose an axis to cap.' };
  const lo = parseBound(form.capLo, 'lower');
  if (typeof lo === 'object') return { ok: false, error: lo.error };
  const hi = parseBound(form.capHi, 'upper');
  if (typeof hi === 'object') return { ok: false, error: hi.error };
  if (lo === undefined && hi === undefined) return { ok: false, error: 'Give a lower bound, an upper bound or both (an empty bound is open).' };
  if (lo !== undefined && hi !== undefined && typeof lo === typeof hi && boundOrder(lo) > boundOrder(hi)) return { ok: false, error: `The lower bound (${lo}) is above the upper bound (${hi}).` };
  const layers = parseLayerRange(form.capFrom, form.capTo, nLayers);
  if (typeof layers === 'string') return { ok: false, error: layers };
  const message: AddCapMessage = { type: AddCap, axis: form.capAxis, layers };
  if (lo !== undefined) message.lo = lo;
  if (hi !== undefined) message.hi = hi;
  if (form.capPositions !== 'all') message.positions = form.capPositions;
  const problem = registryProblem({ ...message, kind: 'cap' }, axes, nLayers);
  return problem ? { ok: false, error: problem } : { ok: true, message };
}

/** The random control reruns the active interventions with `axis` swapped out: one of them must use it. */
export function controlFromForm(form: FormState, axes: string[], active: Intervention[]): Parsed<RunControlMessage> {
  if (!axes.includes(form.controlAxis)) return { ok: false, error: 'Choose the axis to replace by a random direction.' };
  const seedText = form.controlSeed.trim();
  const seed = seedText === '' ? 0 : Number(seedText);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) return { ok: false, error: 'The seed is a whole number from 0.' };
  const uses = active.some((iv) => interventionAxes(iv).includes(form.controlAxis));
  if (!uses) return { ok: false, error: `No active intervention uses ${form.controlAxis}: add one first (the control reruns it with a random direction in its place).` };
  return { ok: true, message: { type: RunControl, axis: form.controlAxis, seed } };
}
