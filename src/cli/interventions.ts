// Command-line forms of interventions:
//   --steer AXIS:COEF:LAYERS[:POSITIONS][@SOURCE]       e.g. persona:4:2-5   refusal:-1.5:6,7:generated
//     COEF with the suffix n is in units of the layer's mean residual norm on the reference set
//     (persona:0.3n:2-4 adds 0.3 × that norm along the axis' direction)
//   --project-out AXIS[,AXIS…]:LAYERS[:POSITIONS][@SOURCE] e.g. persona:3-5  persona,refusal:all
//   --cap AXIS:LO:HI:LAYERS[:POSITIONS][@SOURCE]          e.g. persona::0:4-5 (cap from above at 0)  persona:-2:2:3
//     an empty LO or HI is open on that side; at least one is given; a bound is a number or a
//     percentile of the axis' projections on the reference set at each layer (persona::p75:2-4)
// LAYERS uses the prompt-file layer syntax ("4-7", "4,6,8-10") or "all".
import { capText, type Intervention, type Positions } from '../protocol/types';
import { formatLayerSpec, parseLayerSpec } from '../engine/prompts/index';
import { boundOrder } from '../engine/prompts/interventions';
import { UsageError } from './args';
import { LIMITS } from '../protocol/limits';
import { coefficientText, NORM_SUFFIX, parseCoefficientText, parsePercentile, type CapBound } from '../protocol/reference';

const POSITIONS: Positions[] = ['all', 'prompt', 'generated'];

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

function positions(p: string | undefined, whole: string): Positions | undefined {
  if (p === undefined) return undefined;
  if (!POSITIONS.includes(p as Positions)) throw new UsageError(`'${whole}': positions must be one of ${POSITIONS.join(', ')}`);
  return p as Positions;
}

export function parseSteer(spec: string, nLayers: number): Intervention {
  const { body, sourceLayer } = splitSource(spec);
  const parts = body.split(':');
  if (parts.length < 3 || parts.length > 4) throw new UsageError(`--steer '${spec}': expected AXIS:COEF:LAYERS[:POSITIONS][@SOURCE]`);
  if (parts[0].trim() === '') throw new UsageError(`--steer '${spec}': no axis named before the first ':'`);
  if (parts[1].trim() === '') throw new UsageError(`--steer '${spec}': the coefficient is empty`);
  const { coefficient, unit } = parseCoefficient(parts[1], `--steer '${spec}': coefficient`);
  const out: Intervention = { kind: 'steer', axis: parts[0], coefficient, ...(unit ? { unit } : {}), layers: layers(parts[2], nLayers, spec) };
  const pos = positions(parts[3], spec);
  if (pos) out.positions = pos;
  if (sourceLayer !== undefined) out.sourceLayer = sourceLayer;
  return out;
}

/** A steering coefficient as typed: `2` (raw) or `0.3n` (a multiple of the mean residual norm). */
export function parseCoefficient(text: string, what: string): { coefficient: number; unit?: 'norm' } {
  const c = parseCoefficientText(text);
  if (!c) throw new UsageError(`${what} '${text}' is not a number (or a number with the suffix ${NORM_SUFFIX}: a multiple of the mean residual norm, e.g. 0.3${NORM_SUFFIX})`);
  if (Math.abs(c.coefficient) > LIMITS.steerCoefficient) throw new UsageError(`${what} ${c.coefficient} is outside ±${LIMITS.steerCoefficient} (the residual stream would overflow)`);
  return c;
}

export function parseProjectOut(spec: string, nLayers: number): Intervention {
  const { body, sourceLayer } = splitSource(spec);
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3) throw new UsageError(`--project-out '${spec}': expected AXIS[,AXIS…]:LAYERS[:POSITIONS][@SOURCE]`);
  const axes = parts[0].split(',').filter(Boolean);
  if (!axes.length) throw new UsageError(`--project-out '${spec}': no axis named`);
  const out: Intervention = { kind: 'project_out', axes, layers: layers(parts[1], nLayers, spec) };
  const pos = positions(parts[2], spec);
  if (pos) out.positions = pos;
  if (sourceLayer !== undefined) out.sourceLayer = sourceLayer;
  return out;
}

export function parseCap(spec: string, nLayers: number): Intervention {
  const { body, sourceLayer } = splitSource(spec);
  const parts = body.split(':');
  if (parts.length < 4 || parts.length > 5) throw new UsageError(`--cap '${spec}': expected AXIS:LO:HI:LAYERS[:POSITIONS][@SOURCE] (an empty LO or HI is open, e.g. persona::0:4-5)`);
  if (parts[0].trim() === '') throw new UsageError(`--cap '${spec}': no axis named before the first ':'`);
  const bound = (s: string, which: string): CapBound | undefined => {
    const t = s.trim();
    if (t === '') return undefined;
    if (t.startsWith('p')) {
      if (parsePercentile(t) === undefined) throw new UsageError(`--cap '${spec}': ${which} bound '${s}' is not a percentile p0…p100 (e.g. p25)`);
      return t as CapBound;
    }
    const x = Number(t);
    if (!Number.isFinite(x)) throw new UsageError(`--cap '${spec}': ${which} bound '${s}' is not a number or a percentile (e.g. p25)`);
    return x;
  };
  const lo = bound(parts[1], 'lower');
  const hi = bound(parts[2], 'upper');
  if (lo === undefined && hi === undefined) throw new UsageError(`--cap '${spec}': give a lower bound, an upper bound or both`);
  if (lo !== undefined && hi !== undefined && typeof lo === typeof hi && boundOrder(lo) > boundOrder(hi)) throw new UsageError(`--cap '${spec}': lower bound ${lo} is above upper bound ${hi}`);
  const out: Intervention = { kind: 'cap', axis: parts[0], ...(lo !== undefined ? { lo } : {}), ...(hi !== undefined ? { hi } : {}), layers: layers(parts[3], nLayers, spec) };
  const pos = positions(parts[4], spec);
  if (pos) out.positions = pos;
  if (sourceLayer !== undefined) out.sourceLayer = sourceLayer;
  return out;
}

/** A short human form, for summaries and status lines. */
export function describeIntervention(iv: Intervention): string {
  const ls = formatLayerSpec(iv.layers);
  const pos = iv.positions && iv.positions !== 'all' ? ` (${iv.positions})` : '';
  const src = iv.sourceLayer !== undefined ? ` from L${iv.sourceLayer}` : '';
  if (iv.kind === 'cap') return `${capText(iv)} @ L${ls}${src}${pos}`;
  return iv.kind === 'steer'
    ? `steer ${iv.axis} ${coefficientText(iv.coefficient, iv.unit)} @ L${ls}${src}${pos}`
    : `project out ${iv.axes.join('+')} @ L${ls}${src}${pos}`;
}
