// The intervention registry (issue 12): each kind of change to the residual stream declares here
// its fields, the axes it reads, its one description, the checks it needs against a model and the
// hooked-graph inputs it feeds. The parsers stay per medium (prompt file, condition file, CLI
// string, webview form) and call this; schemas/*.json are checked against it by
// test/unit/interventions-registry.test.ts. docs/ARCHITECTURE.md ("Interventions") lists what a
// new kind touches.
// No runtime dependencies: the webview bundles this file.
import { formatLayerRanges, formatLayerSpec } from './layers';
import { LIMITS } from './limits';
import { COEFFICIENT_UNITS, NORM_SUFFIX, parsePercentile, type CapBound, type CoefficientUnit } from './reference';

export const INTERVENTION_KINDS = ['steer', 'project_out', 'cap'] as const;
export type InterventionKind = (typeof INTERVENTION_KINDS)[number];

/** Which token positions an intervention touches. */
export const POSITIONS = ['all', 'prompt', 'generated'] as const;
export type Positions = (typeof POSITIONS)[number];
/** Each value in words, for menus (the webview's form). */
export const POSITION_LABELS: { readonly [P in Positions]: string } = { all: 'all tokens', prompt: 'prompt only', generated: 'generated only' };

interface Common {
  /** 0-based layers where it acts. */
  layers: number[];
  /** Take v from this layer for every target layer (default: v_l at layer l). */
  sourceLayer?: number;
  positions?: Positions;
}

/**
 * r ← r + coefficient · v_l  (raw stored vector, so coefficient 1 adds one difference of means).
 * With unit 'norm': r ← r + coefficient · N_l · v̂_l, N_l the mean residual norm at layer l on the
 * reference set (src/protocol/reference.ts); the engine resolves it to raw coefficients per layer.
 */
export interface SteerIntervention extends Common {
  kind: 'steer';
  /** Name of a loaded axis. */
  axis: string;
  coefficient: number;
  /** Absent: 'raw'. */
  unit?: CoefficientUnit;
}

/** r ← r − Q Qᵀ r, Q an orthonormal basis of span{v̂_l(axis) : axis ∈ axes}; applied after the steers of the same layer. */
export interface ProjectOutIntervention extends Common {
  kind: 'project_out';
  axes: string[];
}

/**
 * Activation capping: p = r·v̂_l, r ← r + (clamp(p, lo, hi) − p)·v̂_l, applied after the steers and
 * project-outs of the same layer. An absent bound is open on that side; at least one is given.
 * Caps active at one layer are applied together from the same r (exact when their axes are orthogonal).
 */
export interface CapIntervention extends Common {
  kind: 'cap';
  axis: string;
  /** A number, or a percentile `p25` of the axis' projections on the reference set at each layer (resolved by the engine). */
  lo?: CapBound;
  hi?: CapBound;
}

/** One interface per kind; a kind in INTERVENTION_KINDS without an entry here does not compile. */
interface ByKind {
  steer: SteerIntervention;
  project_out: ProjectOutIntervention;
  cap: CapIntervention;
}
export type InterventionOf<K extends InterventionKind> = ByKind[K];
export type Intervention = InterventionOf<InterventionKind>;
// Each interface's `kind` is its key, and ByKind has no key outside the list.
type Assert<T extends true> = T;
export type _KindsAgree = Assert<{ [K in InterventionKind]: ByKind[K]['kind'] extends K ? true : false }[InterventionKind] extends true ? (keyof ByKind extends InterventionKind ? true : false) : false>;

// ───────────────────────────── fields ─────────────────────────────

/**
 * axis: one axis name; axes: a non-empty list of them; number: a finite number within min..max;
 * bound: a bound on a projection (a finite number, or a percentile `p25` of the reference set);
 * unit: one of COEFFICIENT_UNITS; layers: a non-empty list of layers; layer: one layer;
 * positions: one of POSITIONS.
 * A new type needs a case wherever values are read or checked; each is an exhaustive switch or a
 * mapped type, so tsc lists them: fieldProblems (here), readField in src/engine/prompts/interventions.ts
 * and src/cli/interventions.ts, FIELD_CHECK in src/engine/experiments/receipt-check.ts.
 */
export type FieldType = 'axis' | 'axes' | 'number' | 'bound' | 'unit' | 'layers' | 'layer' | 'positions';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly required: boolean;
  /** Inclusive bounds of a number field. */
  readonly min?: number;
  readonly max?: number;
  /** Why the bounds, said when a value is outside them. */
  readonly why?: string;
  /** The field in words, for messages ("coefficient", "lower bound"). */
  readonly label: string;
  /** Its placeholder in the CLI form (AXIS:COEF:LAYERS…); '' for a field with no part of its own there. */
  readonly cli: string;
  /**
   * A number field whose CLI text may end in NORM_SUFFIX, which sets this other field to 'norm'
   * (`--steer persona:0.3n:2-4` sets coefficient 0.3 and unit 'norm').
   */
  readonly unitSuffix?: string;
  /** One line for people (form hints, docs). */
  readonly doc: string;
}

/** Fields every kind has, after its own; in a CLI string: …:LAYERS[:POSITIONS][@SOURCE]. */
export const COMMON_FIELDS: readonly FieldSpec[] = [
  { name: 'layers', type: 'layers', required: true, label: 'layers', cli: 'LAYERS', doc: '0-based layers: [4, 5, 6], "4-7,9" or "all"' },
  { name: 'sourceLayer', type: 'layer', required: false, label: 'source layer', cli: '@SOURCE', doc: "use the axis vector of this layer at every target layer (default: each layer's own)" },
  { name: 'positions', type: 'positions', required: false, label: 'positions', cli: 'POSITIONS', doc: 'which tokens: all (default), the prompt only, or generated tokens only' },
];

/** The inputs of the hooked graph at layer l, as keys of the rewrite's `hookNames(l).inputNames`. */
export type GraphInput = 'add' | 'proj' | 'projT' | 'capU' | 'capUT' | 'capLo' | 'capHi';
/** The readout's own input (not an intervention's). */
export const READOUT_INPUTS = ['axesT'] as const;

export type DescribeStyle = 'text' | 'display';

/** A problem with one intervention; `field` is the field it is about (a path suffix: "lo", "axes[1]"). */
export interface FieldProblem {
  field?: string;
  message: string;
}

export interface KindSpec<K extends InterventionKind> {
  readonly kind: K;
  /** The kind in words: "steer", "project out", "cap". */
  readonly title: string;
  /** The CLI option, `--<flag>`. */
  readonly flag: string;
  /** What it does, with the formula (schemas' and menus' descriptions). */
  readonly doc: string;
  /** Its own fields, in the order of its CLI form; COMMON_FIELDS follow. */
  readonly fields: readonly FieldSpec[];
  /** An example of its CLI form (help text; a test parses it). */
  readonly example: string;
  /** What the example does not show, for help text. */
  readonly note?: string;
  /** The hooked-graph inputs it feeds where it is active (src/engine/generate/feeds.ts builds them). */
  readonly inputs: readonly GraphInput[];
  axes(iv: InterventionOf<K>): string[];
  /** The kind's part of the one description: "steer persona +4", "cap persona ≤ 0". */
  describe(iv: InterventionOf<K>, style: DescribeStyle): string;
  /** Rules across fields that the field specs cannot say (a cap's lo ≤ hi). */
  rules(iv: InterventionOf<K>): FieldProblem[];
}

const axisField = (doc: string): FieldSpec => ({ name: 'axis', type: 'axis', required: true, label: 'axis', cli: 'AXIS', doc });

/** "cap persona ≤ 0", "cap persona ≥ -2", "cap persona to [-2, 0]". */
function capText(iv: CapIntervention): string {
  if (iv.lo !== undefined && iv.hi !== undefined) return `cap ${iv.axis} to [${iv.lo}, ${iv.hi}]`;
  return iv.hi !== undefined ? `cap ${iv.axis} ≤ ${iv.hi}` : `cap ${iv.axis} ≥ ${iv.lo}`;
}

/** The registry. The mapped type makes a kind without an entry a compile error. */
export const INTERVENTIONS: { readonly [K in InterventionKind]: KindSpec<K> } = {
  steer: {
    kind: 'steer',
    title: 'steer',
    flag: 'steer',
    doc: 'r ← r + coefficient · v_l at each listed layer (v_l the raw axis vector, so 1 adds one difference of means).',
    fields: [
      axisField('the axis whose vector is added'),
      { name: 'coefficient', type: 'number', required: true, min: -LIMITS.steerCoefficient, max: LIMITS.steerCoefficient, why: 'the residual stream would overflow', label: 'coefficient', cli: 'COEF', doc: `multiple of the raw axis vector (with unit norm, or the suffix ${NORM_SUFFIX} on the command line: of the layer's mean residual norm on the reference set); negative steers away`, unitSuffix: 'unit' },
      { name: 'unit', type: 'unit', required: false, label: 'unit', cli: '', doc: `${COEFFICIENT_UNITS.join(' or ')}: raw (default) multiplies the stored vector, norm the layer's mean residual norm on the reference set` },
    ],
    example: 'persona:4:2-5',
    note: `COEF 0.3${NORM_SUFFIX} = 0.3 × the layer's mean residual norm on the reference set`,
    inputs: ['add'],
    axes: (iv) => [iv.axis],
    describe: (iv, style) => {
      const c = iv.coefficient;
      const u = iv.unit === 'norm' ? NORM_SUFFIX : '';
      return style === 'display' ? `steer ${iv.axis} ${c >= 0 ? '+' : '−'}${Math.abs(c)}${u}` : `steer ${iv.axis} ${c >= 0 ? '+' : ''}${c}${u}`;
    },
    rules: () => [],
  },
  project_out: {
    kind: 'project_out',
    title: 'project out',
    flag: 'project-out',
    doc: "r ← r − Q Qᵀ r at each listed layer, Q an orthonormal basis of the axes' unit vectors (directional ablation).",
    fields: [{ name: 'axes', type: 'axes', required: true, label: 'axes', cli: 'AXIS[,AXIS…]', doc: 'the axes whose span is removed' }],
    example: 'persona:3-5',
    inputs: ['proj', 'projT'],
    axes: (iv) => [...iv.axes],
    describe: (iv, style) => `project out ${iv.axes.join(style === 'display' ? ' + ' : '+')}`,
    rules: () => [],
  },
  cap: {
    kind: 'cap',
    title: 'cap',
    flag: 'cap',
    doc: "p = r·v̂_l, r ← r + (clamp(p, lo, hi) − p)·v̂_l at each listed layer, after that layer's steers and projections (activation capping); give lo, hi or both.",
    fields: [
      axisField('the axis whose projection is capped'),
      { name: 'lo', type: 'bound', required: false, label: 'lower bound', cli: 'LO', doc: 'lower bound on the projection, a number or a percentile of the reference set (p25); empty or absent: none' },
      { name: 'hi', type: 'bound', required: false, label: 'upper bound', cli: 'HI', doc: 'upper bound on the projection, a number or a percentile of the reference set (p75); empty or absent: none' },
    ],
    example: 'persona::0:4-5',
    note: 'an empty LO or HI is open; p75 = a percentile on the reference set',
    inputs: ['capU', 'capUT', 'capLo', 'capHi'],
    axes: (iv) => [iv.axis],
    describe: (iv) => capText(iv),
    rules: (iv) => {
      if (iv.lo === undefined && iv.hi === undefined) return [{ field: 'hi', message: 'a cap intervention needs "lo", "hi" or both (the bounds on the projection; a missing one is open)' }];
      // Bounds of one kind are ordered here; a number against a percentile only per layer, once resolved.
      if (iv.lo !== undefined && iv.hi !== undefined && typeof iv.lo === typeof iv.hi && boundOrder(iv.lo) > boundOrder(iv.hi)) return [{ field: 'lo', message: `cap bounds: lo ${iv.lo} is above hi ${iv.hi}` }];
      return [];
    },
  },
};

/** A bound's place in order: a number itself, a percentile its rank (compared only with its own kind). */
export function boundOrder(b: CapBound): number {
  return typeof b === 'number' ? b : parsePercentile(b)!;
}

/** A kind's fields that have a part of their own in its CLI form, in order. */
export function cliFields(kind: InterventionKind): readonly FieldSpec[] {
  return INTERVENTIONS[kind].fields.filter((f) => f.cli !== '');
}

export function isInterventionKind(k: unknown): k is InterventionKind {
  return typeof k === 'string' && (INTERVENTION_KINDS as readonly string[]).includes(k);
}

export function isPositions(p: unknown): p is Positions {
  return typeof p === 'string' && (POSITIONS as readonly string[]).includes(p);
}

/** The registry entry of an intervention's kind (one cast, here, instead of a switch at every caller). */
export function kindSpec<K extends InterventionKind>(kind: K): KindSpec<K> {
  return INTERVENTIONS[kind] as KindSpec<K>;
}

/** A kind's fields, its own then the common ones; `kind` itself is not listed. */
export function fieldsOf(kind: InterventionKind): readonly FieldSpec[] {
  return [...INTERVENTIONS[kind].fields, ...COMMON_FIELDS];
}

/** One field of a kind by name (its own or a common one). */
export function fieldOf(kind: InterventionKind, name: string): FieldSpec | undefined {
  return fieldsOf(kind).find((f) => f.name === name);
}

/** `"steer", "project_out" or "cap"`: the kinds as messages list them. */
export function kindList(quote = '"'): string {
  const q = INTERVENTION_KINDS.map((k) => `${quote}${k}${quote}`);
  return `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/** The axis names an intervention reads. */
export function interventionAxes(iv: Intervention): string[] {
  return (kindSpec(iv.kind).axes as (iv: Intervention) => string[])(iv);
}

/** `iv` with axis `from` read as `to` (a random-control run swaps an axis for its control). */
export function renameAxis(iv: Intervention, from: string, to: string): Intervention {
  const swap = (a: string) => (a === from ? to : a);
  switch (iv.kind) {
    case 'steer':
    case 'cap':
      return { ...iv, axis: swap(iv.axis) };
    case 'project_out':
      return { ...iv, axes: iv.axes.map(swap) };
    default: {
      const never: never = iv;
      throw new Error(`unknown intervention kind ${JSON.stringify((never as { kind?: unknown }).kind)}`);
    }
  }
}

/** Its CLI form: "AXIS:COEF:LAYERS[:POSITIONS][@SOURCE]". */
export function cliUsage(kind: InterventionKind): string {
  return [...cliFields(kind).map((f) => f.cli), 'LAYERS[:POSITIONS][@SOURCE]'].join(':');
}

/**
 * The one description of an intervention, used by the CLI, receipts (Markdown, LaTeX, CSV), the
 * status bar and the webview's chips: "steer persona +4 @ L2-5 from L3 (generated)". `display`
 * only changes typography for the screen: en-dash layer ranges, a real minus, spaced "+".
 */
export function describeIntervention(iv: Intervention, style: DescribeStyle = 'text'): string {
  const what = (kindSpec(iv.kind).describe as (iv: Intervention, s: DescribeStyle) => string)(iv, style);
  const layers = style === 'display' ? formatLayerRanges(iv.layers) : formatLayerSpec(iv.layers);
  const src = iv.sourceLayer !== undefined ? ` from L${iv.sourceLayer}` : '';
  const pos = iv.positions && iv.positions !== 'all' ? ` (${iv.positions})` : '';
  return `${what} @ L${layers}${src}${pos}`;
}

// ───────────────────────────── checks ─────────────────────────────

/** What a check knows of the model: its layer count and the loaded axis names (each optional). */
export interface ModelContext {
  nLayers?: number;
  axes?: readonly string[];
}

const show = (v: unknown): string => (typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v));

/** Problems with one field's value (absent values are the caller's: see interventionProblems). */
export function fieldProblems(f: FieldSpec, v: unknown, ctx: ModelContext): FieldProblem[] {
  const at = (message: string, field = f.name): FieldProblem => ({ field, message });
  const known = () => (ctx.axes?.length ? ctx.axes.join(', ') : 'none loaded');
  const layer = (l: unknown, field: string): FieldProblem | undefined => {
    if (typeof l !== 'number' || !Number.isInteger(l) || l < 0 || (ctx.nLayers !== undefined && l >= ctx.nLayers)) {
      return at(`${f.name}: layer ${show(l)} is out of range${ctx.nLayers !== undefined ? ` (the model has layers 0..${ctx.nLayers - 1})` : ' (layers are whole numbers from 0)'}`, field);
    }
    return undefined;
  };
  const axis = (n: unknown, field: string): FieldProblem | undefined => {
    if (typeof n !== 'string' || n === '') return at(`${f.name} must name an axis, got ${show(n)}`, field);
    if (ctx.axes && !ctx.axes.includes(n)) return at(`unknown axis "${n}" (loaded: ${known()})`, field);
    return undefined;
  };
  switch (f.type) {
    case 'axis': {
      const p = axis(v, f.name);
      return p ? [p] : [];
    }
    case 'axes': {
      if (!Array.isArray(v) || v.length === 0) return [at(`${f.name} must be a non-empty list`)];
      return v.flatMap((n, i) => axis(n, `${f.name}[${i}]`) ?? []);
    }
    case 'unit':
      return (COEFFICIENT_UNITS as readonly unknown[]).includes(v) ? [] : [at(`${f.name} must be ${COEFFICIENT_UNITS.map((u) => `"${u}"`).join(' or ')} (norm: a multiple of the layer's mean residual norm on the reference set), got ${show(v)}`)];
    case 'number':
    case 'bound': {
      if (f.type === 'bound' && typeof v === 'string') {
        return parsePercentile(v) === undefined ? [at(`${f.name} must be a number or a percentile such as "p25" (p0…p100 of the axis' projections on the reference set), got ${show(v)}`)] : [];
      }
      if (typeof v !== 'number' || !Number.isFinite(v)) return [at(`${f.name} must be a finite number, got ${show(v)}`)];
      const lo = f.min ?? -Infinity;
      const hi = f.max ?? Infinity;
      if (v < lo || v > hi) {
        const range = lo === -hi ? `±${hi}` : `${lo}..${hi}`;
        return [at(`${f.name} ${v} is outside ${range}${f.why ? ` (${f.why})` : ''}`)];
      }
      return [];
    }
    case 'layers': {
      if (!Array.isArray(v) || v.length === 0) return [at(`${f.name} must be a non-empty list`)];
      const bad = v.map((l) => layer(l, f.name)).find(Boolean);
      return bad ? [bad] : [];
    }
    case 'layer': {
      const p = layer(v, f.name);
      return p ? [p] : [];
    }
    case 'positions':
      return isPositions(v) ? [] : [at(`${f.name} must be ${POSITIONS.slice(0, -1).join(', ')} or ${POSITIONS[POSITIONS.length - 1]}, got ${show(v)}`)];
    default: {
      const never: never = f.type;
      throw new Error(`unknown field type ${show(never)}`);
    }
  }
}

/**
 * Every problem with an intervention from outside (a worker request, a webview message, a parsed
 * file): kind, each field by its spec, then the kind's rules. Unknown fields are not problems here
 * (a prompt file's `layerSpec` rides along); the file schemas refuse them where they are written.
 */
export function interventionProblems(iv: unknown, ctx: ModelContext = {}): FieldProblem[] {
  if (typeof iv !== 'object' || iv === null || Array.isArray(iv)) return [{ message: `an intervention must be an object, got ${show(iv)}` }];
  const rec = iv as Record<string, unknown>;
  if (!isInterventionKind(rec.kind)) return [{ field: 'kind', message: `kind must be ${kindList()}, got ${show(rec.kind)}` }];
  const problems: FieldProblem[] = [];
  for (const f of fieldsOf(rec.kind)) {
    const v = rec[f.name];
    if (v === undefined) {
      if (f.required) problems.push({ field: f.name, message: `a ${rec.kind} intervention needs "${f.name}" (${f.doc})` });
      continue;
    }
    problems.push(...fieldProblems(f, v, ctx));
  }
  if (problems.length) return problems;
  return (kindSpec(rec.kind).rules as (iv: Intervention) => FieldProblem[])(rec as unknown as Intervention);
}

/** The first problem as one line, `${at}: message`, or undefined. */
export function interventionProblem(iv: unknown, ctx: ModelContext = {}, at = 'intervention'): string | undefined {
  const p = interventionProblems(iv, ctx)[0];
  return p ? `${at}: ${p.message}` : undefined;
}
