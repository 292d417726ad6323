// The `interventions` list of a prompt file: steer, project_out and cap objects as in
// src/protocol/types.ts, with `layers` also accepted as a string ("4-7", "4,6,8-10", "all").
import type { Node } from 'jsonc-parser';
import type { PromptIntervention } from '../../protocol/prompts';
import type { Positions } from '../../protocol/types';
import type { Checker, Path } from './check';
import { parseLayerSpec } from './layers';
import { LIMITS } from '../../protocol/limits';
import { COEFFICIENT_UNITS, parsePercentile, type CapBound, type CoefficientUnit } from '../../protocol/reference';

export const STEER_FIELDS = ['kind', 'axis', 'coefficient', 'unit', 'layers', 'sourceLayer', 'positions'] as const;
export const PROJECT_OUT_FIELDS = ['kind', 'axes', 'layers', 'sourceLayer', 'positions'] as const;
export const CAP_FIELDS = ['kind', 'axis', 'lo', 'hi', 'layers', 'sourceLayer', 'positions'] as const;
const POSITIONS: readonly Positions[] = ['all', 'prompt', 'generated'];

export function readInterventions(c: Checker, node: Node, path: Path, nLayers?: number): PromptIntervention[] | undefined {
  const items = c.array(node, path);
  if (!items) return undefined;
  const out: PromptIntervention[] = [];
  let ok = true;
  items.forEach((item, i) => {
    const iv = readIntervention(c, item, [...path, i], nLayers);
    if (iv) out.push(iv);
    else ok = false;
  });
  return ok ? out : undefined;
}

function readIntervention(c: Checker, node: Node, path: Path, nLayers?: number): PromptIntervention | undefined {
  if (!c.object(node, path)) return undefined;
  const kindNode = node.children?.find((p) => p.children?.[0]?.value === 'kind')?.children?.[1];
  if (!kindNode) {
    c.at(node, [...path, 'kind'], 'intervention has no kind: use "steer", "project_out" or "cap"');
    return undefined;
  }
  const kind = c.string(kindNode, [...path, 'kind']);
  if (kind === undefined) return undefined;
  if (kind !== 'steer' && kind !== 'project_out' && kind !== 'cap') {
    c.at(kindNode, [...path, 'kind'], `unknown intervention kind '${kind}': use "steer", "project_out" or "cap"`);
    return undefined;
  }
  const steer = kind === 'steer';
  const oneAxis = kind !== 'project_out';
  // The one mix-up worth naming: steer and cap take one axis, project_out a list.
  const hint = (key: string): string | undefined => (oneAxis && key === 'axes' ? 'axis' : !oneAxis && key === 'axis' ? 'axes' : undefined);
  const f = c.fields(node, path, kind === 'steer' ? STEER_FIELDS : kind === 'cap' ? CAP_FIELDS : PROJECT_OUT_FIELDS, hint);
  const need = (key: string, what: string): Node | undefined => {
    const v = f.get(key);
    if (!v) c.at(node, [...path, key], `${kind} intervention needs "${key}" (${what})`);
    return v;
  };
  let ok = true;
  const check = <T>(v: T | undefined): T | undefined => {
    if (v === undefined) ok = false;
    return v;
  };

  const layersNode = need('layers', 'a list of layers or a string like "4-7"');
  const layers = layersNode ? check(readLayers(c, layersNode, [...path, 'layers'], nLayers)) : check(undefined);
  let sourceLayer: number | undefined;
  const src = f.get('sourceLayer');
  if (src) sourceLayer = check(c.number(src, [...path, 'sourceLayer'], { integer: true, min: 0, max: nLayers === undefined ? undefined : nLayers - 1 }));
  let positions: Positions | undefined;
  const pos = f.get('positions');
  if (pos) {
    const p = check(c.string(pos, [...path, 'positions']));
    if (p !== undefined && !POSITIONS.includes(p as Positions)) {
      c.at(pos, [...path, 'positions'], `positions must be "all", "prompt" or "generated", got '${p}'`);
      ok = false;
    } else positions = p as Positions | undefined;
  }

  let iv: PromptIntervention | undefined;
  if (steer) {
    const axisNode = need('axis', 'the name of a loaded axis');
    const axis = axisNode ? check(c.string(axisNode, [...path, 'axis'], { nonEmpty: true })) : check(undefined);
    const coefNode = need('coefficient', 'a number; 1 adds one difference of means');
    const coefficient = coefNode ? check(c.number(coefNode, [...path, 'coefficient'], { min: -LIMITS.steerCoefficient, max: LIMITS.steerCoefficient })) : check(undefined);
    let unit: CoefficientUnit | undefined;
    const unitNode = f.get('unit');
    if (unitNode) {
      const u = check(c.string(unitNode, [...path, 'unit']));
      if (u !== undefined && !(COEFFICIENT_UNITS as readonly string[]).includes(u)) {
        c.at(unitNode, [...path, 'unit'], `unit must be ${COEFFICIENT_UNITS.map((x) => `"${x}"`).join(' or ')} (norm: a multiple of the layer's mean residual norm on the reference set), got '${u}'`);
        ok = false;
      } else unit = u as CoefficientUnit | undefined;
    }
    if (ok) iv = { kind: 'steer', axis: axis!, coefficient: coefficient!, ...(unit === 'norm' ? { unit } : {}), layers: layers!.layers };
  } else if (kind === 'cap') {
    const axisNode = need('axis', 'the name of a loaded axis');
    const axis = axisNode ? check(c.string(axisNode, [...path, 'axis'], { nonEmpty: true })) : check(undefined);
    const bound = (key: 'lo' | 'hi'): { node: Node; value: CapBound | undefined } | undefined => {
      const n = f.get(key);
      if (!n) return undefined;
      if (n.type === 'string') {
        const s = n.value as string;
        if (parsePercentile(s) === undefined) {
          c.at(n, [...path, key], `${key} must be a number or a percentile such as "p25" (p0…p100 of the axis' projections on the reference set), got '${s}'`);
          ok = false;
          return { node: n, value: undefined };
        }
        return { node: n, value: s as CapBound };
      }
      return { node: n, value: check(c.number(n, [...path, key])) };
    };
    const lo = bound('lo');
    const hi = bound('hi');
    if (!lo && !hi) {
      c.at(node, [...path, 'hi'], 'cap intervention needs "lo", "hi" or both (the bounds on the projection; a missing one is open)');
      ok = false;
    } else if (lo?.value !== undefined && hi?.value !== undefined && typeof lo.value === typeof hi.value && boundOrder(lo.value) > boundOrder(hi.value)) {
      c.at(lo.node, [...path, 'lo'], `cap bounds: lo ${lo.value} is above hi ${hi.value}`);
      ok = false;
    }
    if (ok) iv = { kind: 'cap', axis: axis!, ...(lo ? { lo: lo.value! } : {}), ...(hi ? { hi: hi.value! } : {}), layers: layers!.layers };
  } else {
    const axesNode = need('axes', 'a list of axis names');
    const axes = axesNode ? check(readNames(c, axesNode, [...path, 'axes'])) : check(undefined);
    if (ok) iv = { kind: 'project_out', axes: axes!, layers: layers!.layers };
  }
  if (!iv) return undefined;
  if (layers!.spec !== undefined) iv.layerSpec = layers!.spec;
  if (sourceLayer !== undefined) iv.sourceLayer = sourceLayer;
  if (positions !== undefined) iv.positions = positions;
  return iv;
}

/** Layers as resolved numbers plus the string form when one was written. */
function readLayers(c: Checker, node: Node, path: Path, nLayers?: number): { layers: number[]; spec?: string } | undefined {
  let spec: string | number[];
  if (node.type === 'string') {
    spec = node.value as string;
    // "all" is fine before the model is known; it resolves when parsed again with nLayers.
    if (nLayers === undefined && spec.trim().toLowerCase() === 'all') return { layers: [], spec };
  } else if (node.type === 'array') {
    const items = node.children ?? [];
    const bad = items.find((n) => n.type !== 'number');
    if (bad) return c.wrongType(bad, [...path, items.indexOf(bad)], 'a layer number');
    spec = items.map((n) => n.value as number);
  } else {
    return c.wrongType(node, path, 'a list of layers or a string like "4-7"');
  }
  try {
    const layers = parseLayerSpec(spec, nLayers);
    return typeof spec === 'string' ? { layers, spec } : { layers };
  } catch (e) {
    c.at(node, path, `bad layers: ${(e as Error).message}`);
    return undefined;
  }
}

/** A non-empty list of non-empty strings (axis names or paths). */
export function readNames(c: Checker, node: Node, path: Path): string[] | undefined {
  const items = c.array(node, path);
  if (!items) return undefined;
  if (items.length === 0) {
    c.at(node, path, `${path[path.length - 1]} must name at least one axis`);
    return undefined;
  }
  const out: string[] = [];
  for (const [i, item] of items.entries()) {
    const s = c.string(item, [...path, i], { nonEmpty: true });
    if (s === undefined) return undefined;
    if (out.includes(s)) c.at(item, [...path, i], `'${s}' is listed twice`, 'warning');
    else out.push(s);
  }
  return out;
}

/** A bound's place in order: a number itself, a percentile its rank (compared only with its own kind). */
export function boundOrder(b: CapBound): number {
  return typeof b === 'number' ? b : parsePercentile(b)!;
}
