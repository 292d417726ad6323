// Command-line forms of interventions, one option per kind of the registry
// (src/protocol/interventions.ts): the kind's own fields in order, then LAYERS, then an optional
// POSITIONS, then an optional @SOURCE layer:
//   --steer AXIS:COEF:LAYERS[:POSITIONS][@SOURCE]         e.g. persona:4:2-5   refusal:-1.5:6,7:generated
//   --project-out AXIS[,AXIS…]:LAYERS[:POSITIONS][@SOURCE] e.g. persona:3-5  persona,refusal:all
//   --cap AXIS:LO:HI:LAYERS[:POSITIONS][@SOURCE]           e.g. persona::0:4-5 (cap from above at 0)  persona:-2:2:3
//     an empty LO or HI is open on that side; at least one is given
// LAYERS uses the prompt-file layer syntax ("4-7", "4,6,8-10") or "all".
import {
  cliUsage, describeIntervention as describe, fieldProblems, INTERVENTION_KINDS, INTERVENTIONS, isPositions, kindSpec, POSITIONS,
  type FieldProblem, type FieldSpec, type Intervention, type InterventionKind,
} from '../protocol/interventions';
import { parseLayerSpec } from '../engine/prompts/index';
import { list, UsageError, type OptionSpec, type ParsedArgs } from './args';

function splitSource(spec: string): { body: string; sourceLayer?: number } {
  const at = spec.lastIndexOf('@');
  if (at < 0) return { body: spec };
  const after = spec.slice(at + 1).trim();
  const src = Number(after);
  if (after === '' || !Number.isInteger(src) || src < 0) throw new UsageError(`'${spec}': source layer after '@' must be a layer number${after === '' ? ' (nothing follows the @)' : ''}`);
  return { body: spec.slice(0, at), sourceLayer: src };
}

function layers(spec: string, nLayers: number, whole: string): number[] {
  if (spec === 'all') return Array.from({ length: nLayers }, (_, i) => i);
  try {
    return parseLayerSpec(spec, nLayers);
  } catch (e) {
    throw new UsageError(`'${whole}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * One of the kind's own fields from its text: the fields it sets (one part may set more than one,
 * e.g. a value with a unit suffix); none for an empty optional one.
 */
function readField(f: FieldSpec, text: string, first: boolean, fail: (why: string) => never): Record<string, unknown> {
  const s = text.trim();
  switch (f.type) {
    case 'axis':
      if (s === '') fail(first ? "no axis named before the first ':'" : `no ${f.label} named`);
      return { [f.name]: text };
    case 'axes': {
      const names = text.split(',').filter(Boolean);
      if (!names.length) fail('no axis named');
      return { [f.name]: names };
    }
    case 'number': {
      if (s === '') fail(`the ${f.label} is empty`);
      const x = Number(text);
      if (!Number.isFinite(x)) fail(`${f.label} '${text}' is not a number`);
      return { [f.name]: x };
    }
    case 'bound': {
      if (s === '') return {};
      const x = Number(text);
      if (!Number.isFinite(x)) fail(`${f.label} '${text}' is not a number${/^p\d/.test(s) ? ' (percentile bounds are not supported yet)' : ''}`);
      return { [f.name]: x };
    }
    case 'layers':
    case 'layer':
    case 'positions':
      throw new Error(`--${f.name}: a common field is not among a kind's own CLI fields`);
    default: {
      const never: never = f.type;
      throw new Error(`unknown field type ${String(never)}`);
    }
  }
}

/** Parses `--<flag> SPEC` for one kind; every problem is a UsageError naming the option and the spec. */
export function parseIntervention(kind: InterventionKind, spec: string, nLayers: number): Intervention {
  const k = INTERVENTIONS[kind];
  const fail = (why: string): never => {
    throw new UsageError(`--${k.flag} '${spec}': ${why}`);
  };
  const { body, sourceLayer } = splitSource(spec);
  const parts = body.split(':');
  const own = k.fields.length;
  if (parts.length < own + 1 || parts.length > own + 2) {
    fail(`expected ${cliUsage(kind)}, e.g. ${k.example}${k.note ? ` (${k.note})` : ''}`);
  }
  const iv: Record<string, unknown> = { kind };
  k.fields.forEach((f, i) => Object.assign(iv, readField(f, parts[i]!, i === 0, fail)));
  iv.layers = layers(parts[own]!, nLayers, spec);
  const pos = parts[own + 1];
  if (pos !== undefined) {
    if (!isPositions(pos)) throw new UsageError(`'${spec}': positions must be one of ${POSITIONS.join(', ')}`);
    iv.positions = pos;
  }
  if (sourceLayer !== undefined) iv.sourceLayer = sourceLayer;
  // Bounds and rules from the registry (the axes are checked once the axis files are open).
  const problems: FieldProblem[] = k.fields.flatMap((f) => (iv[f.name] === undefined ? [] : fieldProblems(f, iv[f.name], {})));
  if (!problems.length) problems.push(...(kindSpec(kind).rules as (iv: Intervention) => FieldProblem[])(iv as unknown as Intervention));
  if (problems.length) fail(problems[0]!.message);
  return iv as unknown as Intervention;
}

/** One list option per kind, `--steer`, `--project-out`, `--cap`, with its form and example. */
export function interventionOptions(suffix: (example: string) => string): OptionSpec[] {
  return INTERVENTION_KINDS.map((kind) => {
    const k = INTERVENTIONS[kind];
    return { name: k.flag, kind: 'list' as const, description: `${cliUsage(kind)}${suffix(k.example)}${k.note ? ` (${k.note})` : ''}` };
  });
}

/** Every intervention given on the command line, kind by kind in registry order. */
export function interventionsFromArgs(args: ParsedArgs, nLayers: number): Intervention[] {
  return INTERVENTION_KINDS.flatMap((kind) => list(args, INTERVENTIONS[kind].flag).map((s) => parseIntervention(kind, s, nLayers)));
}

/** A short human form, for summaries and status lines: the registry's one description. */
export function describeIntervention(iv: Intervention): string {
  return describe(iv);
}
