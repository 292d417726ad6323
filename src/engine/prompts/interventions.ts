// The `interventions` list of a prompt file: objects of the kinds in the registry
// (src/protocol/interventions.ts), with `layers` also accepted as a string ("4-7", "4,6,8-10", "all").
import type { Node } from 'jsonc-parser';
import type { PromptIntervention } from '../../protocol/prompts';
import {
  fieldsOf, isInterventionKind, isPositions, kindList, kindSpec, POSITIONS,
  type FieldProblem, type FieldSpec, type Intervention, type InterventionKind,
} from '../../protocol/interventions';
import type { Checker, Path } from './check';
import { parseLayerSpec } from './layers';

/** The keys an intervention object of `kind` may have in a prompt file. */
export function promptFileFields(kind: InterventionKind): string[] {
  return ['kind', ...fieldsOf(kind).map((f) => f.name)];
}

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

// Read field by field as the registry declares them (src/protocol/interventions.ts), each
// problem located at its node; then the registry's rules across fields.
function readIntervention(c: Checker, node: Node, path: Path, nLayers?: number): PromptIntervention | undefined {
  if (!c.object(node, path)) return undefined;
  const kindNode = node.children?.find((p) => p.children?.[0]?.value === 'kind')?.children?.[1];
  if (!kindNode) {
    c.at(node, [...path, 'kind'], `intervention has no kind: use ${kindList()}`);
    return undefined;
  }
  const kind = c.string(kindNode, [...path, 'kind']);
  if (kind === undefined) return undefined;
  if (!isInterventionKind(kind)) {
    c.at(kindNode, [...path, 'kind'], `unknown intervention kind '${kind}': use ${kindList()}`);
    return undefined;
  }
  const fields = fieldsOf(kind);
  const oneAxis = fields.some((f) => f.type === 'axis');
  // The one mix-up worth naming: some kinds take one axis, others a list.
  const hint = (key: string): string | undefined => (oneAxis && key === 'axes' ? 'axis' : !oneAxis && key === 'axis' ? 'axes' : undefined);
  const f = c.fields(node, path, promptFileFields(kind), hint);
  const iv: Record<string, unknown> = { kind };
  let ok = true;
  let layerSpec: string | undefined;
  for (const spec of fields) {
    const v = f.get(spec.name);
    const at = [...path, spec.name];
    if (!v) {
      if (spec.required) {
        c.at(node, at, `${kind} intervention needs "${spec.name}" (${spec.doc})`);
        ok = false;
      }
      continue;
    }
    const value = readField(c, spec, v, at, nLayers);
    if (value === undefined) {
      ok = false;
      continue;
    }
    if (spec.type === 'layers') {
      const l = value as { layers: number[]; spec?: string };
      iv[spec.name] = l.layers;
      layerSpec = l.spec;
    } else iv[spec.name] = value;
  }
  if (!ok) return undefined;
  const out = iv as unknown as PromptIntervention;
  for (const p of (kindSpec(kind).rules as (iv: Intervention) => FieldProblem[])(out)) {
    c.at(p.field ? (f.get(p.field) ?? node) : node, p.field ? [...path, p.field] : path, p.message);
    ok = false;
  }
  if (!ok) return undefined;
  if (layerSpec !== undefined) out.layerSpec = layerSpec;
  return out;
}

/** One field's value, checked by its type and bounds; undefined after reporting a problem. */
function readField(c: Checker, spec: FieldSpec, node: Node, path: Path, nLayers?: number): unknown {
  switch (spec.type) {
    case 'axis':
      return c.string(node, path, { nonEmpty: true });
    case 'axes':
      return readNames(c, node, path);
    case 'number':
    case 'bound':
      return c.number(node, path, { min: spec.min, max: spec.max });
    case 'layers':
      return readLayers(c, node, path, nLayers);
    case 'layer':
      return c.number(node, path, { integer: true, min: 0, max: nLayers === undefined ? undefined : nLayers - 1 });
    case 'positions': {
      const p = c.string(node, path);
      if (p === undefined) return undefined;
      if (!isPositions(p)) {
        c.at(node, path, `positions must be ${kindListOf(POSITIONS)}, got '${p}'`);
        return undefined;
      }
      return p;
    }
    default: {
      const never: never = spec.type;
      throw new Error(`unknown field type ${String(never)}`);
    }
  }
}

const kindListOf = (xs: readonly string[]) => `${xs.slice(0, -1).map((x) => `"${x}"`).join(', ')} or "${xs[xs.length - 1]}"`;

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
