// Condition files (YAML or JSON) for `ablate`: parse, validate against
// schemas/conditions.schema.json, then check what a schema cannot (names that refer to other
// entries, layers against the model). Every problem is reported with file, line, column and
// the dotted field path, all at once, so one edit round fixes them all.
import { createHash } from 'node:crypto';
import { FileReadError, readBoundedFile } from '../io/read';
import { LIMITS } from '../../protocol/limits';
import type { FieldMap } from '../prompts/index';
import * as path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { DecodingOptions } from '../../protocol/types';
import { fieldsOf, kindSpec, type FieldProblem, type Intervention, type InterventionKind } from '../../protocol/interventions';
import schemaJson from '../../../schemas/conditions.schema.json';
import { parseLayers } from './layers';
import { lineColumn, tooDeepMessage, valueTooDeep } from '../../protocol/nesting';
import { validateAgainstSchema, type JsonPath } from './schema-check';
import { yamlTooDeepAt } from './yaml-depth';

export interface LocatedIssue {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
  field: string; // dotted path, e.g. conditions[2].interventions[0].layers
  message: string;
}

export class ConditionFileError extends Error {
  constructor(readonly issues: LocatedIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConditionFileError';
  }
}

export function formatIssue(i: LocatedIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.field ? `${i.field}: ` : ''}${i.message}`;
}

export function fieldName(p: JsonPath): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

type RawLayers = number[] | string;
/** An intervention as the schema lets it through: layers still as written. */
type RawIntervention = { [K in InterventionKind]: Omit<Extract<Intervention, { kind: K }>, 'layers'> & { layers: RawLayers } }[InterventionKind];
/** A sweep's moving intervention, of any kind: its layers come from the window. */
type RawWindowIv = Omit<RawIntervention, 'layers'>;

export type SetSource = { kind: 'file'; file: string; display: string } | { kind: 'builtin'; builtin: string; display: string };
export interface SetSpec { name: string; source: SetSource; limit?: number; system?: string; fields?: FieldMap }
export type AxisSpec =
  | { name: string; kind: 'file'; file: string; display: string }
  | { name: string; kind: 'random'; randomLike: string; seed: number };

/** An intervention as written: layers still unresolved until the model's layer count is known. */
export interface InterventionSpec { raw: RawIntervention; path: JsonPath }
export interface ConditionSpec { name: string; set: string; system?: string; interventions: InterventionSpec[]; path: JsonPath }
export interface SweepSpec extends ConditionSpec {
  window: { intervention: RawWindowIv; size: number; stride: number; from: number; to?: number; path: JsonPath };
}

export interface ConditionPlan {
  file: string;
  /** sha256 (hex) of the file's bytes, recorded in the receipt. */
  sha256: string;
  name?: string;
  description?: string;
  batchSize: number;
  sets: SetSpec[];
  axes: AxisSpec[];
  decoding: DecodingOptions;
  conditions: ConditionSpec[];
  sweeps: SweepSpec[];
  /** Maps a field path of the file to its location (for errors found later, e.g. against the model). */
  locate(p: JsonPath, message: string): LocatedIssue;
}

/** Reads and checks a condition file; throws ConditionFileError listing every problem. */
export function loadConditionFile(file: string): ConditionPlan {
  let bytes: Buffer;
  try {
    bytes = readBoundedFile(file, { what: 'condition file', maxBytes: LIMITS.conditionFileBytes });
  } catch (e) {
    const why = e instanceof FileReadError ? e.detail : `cannot read: ${(e as Error).message}`;
    throw new ConditionFileError([{ file, line: 1, column: 1, field: '', message: why }]);
  }
  return parseConditions(bytes.toString('utf8'), file, createHash('sha256').update(bytes).digest('hex'));
}

export function parseConditions(text: string, file: string, sha256 = createHash('sha256').update(text).digest('hex')): ConditionPlan {
  const lc = new LineCounter();
  // Measured before parseDocument, whose composer recurses per level (see yaml-depth.ts).
  const deep = yamlTooDeepAt(text);
  if (deep !== undefined) throw new ConditionFileError([{ file, ...lineColumn(text, deep), field: '', message: tooDeepMessage() }]);
  // YAML 1.2 is a superset of JSON, so one parser (with positions) serves both forms.
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number) => lc.linePos(offset);
  if (doc.errors.length) {
    throw new ConditionFileError(
      doc.errors.map((e) => {
        const { line, col } = at(e.pos[0]);
        return { file, line, column: col, field: '', message: e.message.split('\n')[0] };
      }),
    );
  }
  const locate = (p: JsonPath, message: string): LocatedIssue => {
    const off = offsetOf(doc, p);
    const { line, col } = at(off);
    return { file, line, column: col, field: fieldName(p), message };
  };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (e) {
    // yaml's alias-bomb guard throws without a place: name the file at least.
    throw new ConditionFileError([locate([], (e as Error).message)]);
  }
  // Aliases can nest what the text does not (checked above); the walkers below recurse.
  if (valueTooDeep(value)) throw new ConditionFileError([locate([], `${tooDeepMessage()}, counting what its aliases repeat`)]);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConditionFileError([locate([], 'the file must hold a mapping with sets, decoding and conditions')]);
  }
  const issues = validateAgainstSchema(value, schemaJson as Record<string, unknown>).map((i) => locate(i.path, i.message));
  if (issues.length) throw new ConditionFileError(issues);

  const v = value as Record<string, any>;
  const dir = path.dirname(path.resolve(file));
  const problems: LocatedIssue[] = [];
  const sets: SetSpec[] = Object.entries(v.sets as Record<string, any>).map(([name, s]) => {
    const obj = typeof s === 'string' ? (s.startsWith('builtin:') ? { builtin: s.slice(8) } : { file: s }) : s;
    if ((obj.file === undefined) === (obj.builtin === undefined)) {
      problems.push(locate(['sets', name], "give exactly one of 'file' or 'builtin'"));
    }
    const source: SetSource = obj.builtin !== undefined
      ? { kind: 'builtin', builtin: obj.builtin, display: `builtin:${obj.builtin}` }
      : { kind: 'file', file: path.resolve(dir, obj.file ?? ''), display: obj.file ?? '' };
    const fields: FieldMap = {
      ...(obj.promptField !== undefined ? { promptField: obj.promptField } : {}),
      ...(obj.systemField !== undefined ? { systemField: obj.systemField } : {}),
      ...(obj.idField !== undefined ? { idField: obj.idField } : {}),
    };
    return { name, source, ...(obj.limit !== undefined ? { limit: obj.limit } : {}), ...(obj.system !== undefined ? { system: obj.system } : {}), ...(Object.keys(fields).length ? { fields } : {}) };
  });
  const axes: AxisSpec[] = Object.entries((v.axes ?? {}) as Record<string, any>).map(([name, a]) =>
    typeof a === 'string' || a.file !== undefined
      ? { name, kind: 'file' as const, file: path.resolve(dir, typeof a === 'string' ? a : a.file), display: typeof a === 'string' ? a : a.file }
      : { name, kind: 'random' as const, randomLike: a.randomLike, seed: a.seed },
  );
  const setNames = new Set(sets.map((s) => s.name));
  const axisNames = new Set(axes.map((a) => a.name));
  for (const a of axes) {
    if (a.kind !== 'random') continue;
    const like = axes.find((b) => b.name === a.randomLike);
    if (!like) problems.push(locate(['axes', a.name, 'randomLike'], `no axis named '${a.randomLike}' (axes: ${[...axisNames].join(', ')})`));
    else if (like.kind === 'random') problems.push(locate(['axes', a.name, 'randomLike'], `'${a.randomLike}' is itself a random control; name a direction file axis`));
  }
  // The axis fields the registry declares for the kind, each name checked against `axes`.
  const checkAxisRefs = (iv: RawWindowIv, p: JsonPath) => {
    const rec = iv as unknown as Record<string, unknown>;
    for (const f of fieldsOf(iv.kind)) {
      const named: [unknown, JsonPath][] = f.type === 'axis' ? [[rec[f.name], [...p, f.name]]] : f.type === 'axes' ? ((rec[f.name] as string[] | undefined) ?? []).map((n, i) => [n, [...p, f.name, i]]) : [];
      for (const [n, at] of named) {
        if (typeof n === 'string' && !axisNames.has(n)) {
          problems.push(locate(at, `no axis named '${n}'${axisNames.size ? ` (axes: ${[...axisNames].join(', ')})` : ' (the file defines no axes)'}`));
        }
      }
    }
  };
  // The kind's rules across fields (a cap's bounds); the schema has checked each field.
  const checkRules = (iv: RawWindowIv, p: JsonPath) => {
    for (const r of (kindSpec(iv.kind).rules as (iv: RawWindowIv) => FieldProblem[])(iv)) problems.push(locate(r.field ? [...p, r.field] : p, r.message));
  };
  const runName = new Map<string, JsonPath>();
  const common = (c: any, p: JsonPath): ConditionSpec => {
    if (!setNames.has(c.set)) problems.push(locate([...p, 'set'], `no prompt set named '${c.set}' (sets: ${[...setNames].join(', ')})`));
    if (runName.has(c.name)) problems.push(locate([...p, 'name'], `the name '${c.name}' is used twice (first at ${fieldName(runName.get(c.name)!)})`));
    runName.set(c.name, [...p, 'name']);
    const interventions = ((c.interventions ?? []) as RawIntervention[]).map((raw, i) => {
      const ip = [...p, 'interventions', i];
      checkAxisRefs(raw, ip);
      checkRules(raw, ip);
      return { raw, path: ip };
    });
    return { name: c.name, set: c.set, ...(c.system !== undefined ? { system: c.system } : {}), interventions, path: p };
  };
  const conditions = (v.conditions as any[]).map((c, i) => common(c, ['conditions', i]));
  const sweeps: SweepSpec[] = ((v.sweeps ?? []) as any[]).map((s, i) => {
    const p: JsonPath = ['sweeps', i];
    const base = common(s, p);
    const w = s.window;
    checkAxisRefs(w.intervention, [...p, 'window', 'intervention']);
    checkRules(w.intervention, [...p, 'window', 'intervention']);
    if (w.to !== undefined && w.to < (w.from ?? 0)) problems.push(locate([...p, 'window', 'to'], `to (${w.to}) is before from (${w.from ?? 0})`));
    return { ...base, window: { intervention: w.intervention, size: w.size ?? 1, stride: w.stride ?? 1, from: w.from ?? 0, ...(w.to !== undefined ? { to: w.to } : {}), path: [...p, 'window'] } };
  });
  if (problems.length) throw new ConditionFileError(problems);
  return {
    file,
    sha256,
    ...(v.name !== undefined ? { name: v.name } : {}),
    ...(v.description !== undefined ? { description: v.description } : {}),
    batchSize: v.batchSize ?? 8,
    sets,
    axes,
    decoding: v.decoding as DecodingOptions,
    conditions,
    sweeps,
    locate,
  };
}

/** Turns an intervention as written into the engine's form, checking layers against the model. */
export function resolveIntervention(plan: ConditionPlan, spec: InterventionSpec, nLayers: number, problems: LocatedIssue[]): Intervention | undefined {
  const { raw, path: p } = spec;
  let layers: number[];
  try {
    layers = parseLayers(raw.layers, nLayers);
  } catch (e) {
    problems.push(plan.locate([...p, 'layers'], (e as Error).message));
    return undefined;
  }
  if (raw.sourceLayer !== undefined && raw.sourceLayer >= nLayers) {
    problems.push(plan.locate([...p, 'sourceLayer'], `layer ${raw.sourceLayer} is outside 0..${nLayers - 1}`));
    return undefined;
  }
  // The registry's fields, in its order (receipts and their hash see the same object for the same file).
  const rec = raw as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { kind: raw.kind };
  for (const f of fieldsOf(raw.kind)) {
    const v = f.name === 'layers' ? layers : rec[f.name];
    if (v !== undefined) out[f.name] = Array.isArray(v) ? [...v] : v;
  }
  return out as unknown as Intervention;
}

/** The layer windows a sweep visits: [from, from+size-1], then every `stride` layers, within `to`. */
export function sweepWindows(w: SweepSpec['window'], nLayers: number): number[][] {
  const last = Math.min(w.to ?? nLayers - 1, nLayers - 1);
  const out: number[][] = [];
  for (let a = w.from; a + w.size - 1 <= last; a += w.stride) out.push(Array.from({ length: w.size }, (_, i) => a + i));
  return out;
}

/** Character offset of the value at `p` (the key, for a map entry; the nearest existing parent otherwise). */
function offsetOf(doc: Document, p: JsonPath): number {
  let node: unknown = doc.contents;
  let off = (doc.contents as { range?: number[] } | null)?.range?.[0] ?? 0;
  for (const seg of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) break;
      off = (pair.key as { range?: number[] }).range?.[0] ?? off;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      off = (node as { range?: number[] })?.range?.[0] ?? off;
    } else break;
  }
  return off;
}
