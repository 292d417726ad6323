// One entry point for every vector file an axis may come from: the format is told by content
// (magic bytes) and extension, mapped onto our layers (convert.ts), and checked like our own
// files. loadDirection uses it, so the CLI, the worker and the extension all accept these files.
import * as path from 'node:path';
import { LIMITS } from '../../../protocol/limits';
import { FileReadError, readBoundedFile, readBoundedText } from '../../io/read';
import { checkVectors, DIRECTION_TENSOR, DirectionFileError, parseDirection, UNKNOWN, type Direction, type DirectionExpect, type DirectionMeta } from '../direction';
import { directionFileBound, sha256Hex } from '../io';
import { readSafetensors, SafetensorsError } from '../safetensors';
import { toDirection, type Convention, type ImportOptions } from './convert';
import { isGguf, readGguf } from './gguf';
import { parseVectorYaml } from './neuronpedia';
import { isNpy, readNpy } from './npy';
import { looksLikePickle, readPt } from './pt';
import { decodeFloats, type RawTensor, VectorFormatError } from './tensor';
import { isZip } from './zip';
import { RENDER_KEYS, renderToStrings } from '../render';

export { CONVENTIONS, type Convention } from './convert';

export interface VectorReadOptions {
  /** The source's layer convention (default: the format's own; a 2-D tensor's is told by its rows). */
  convention?: Convention;
  /** For a [d_model] vector: the layer it came from, in `convention`. */
  layer?: number;
  /** Axis name (default: the file's, or the name the file records). */
  name?: string;
}

/** File extensions an axis file may have (for file pickers and prompt-file axes). */
export const VECTOR_EXTENSIONS = ['safetensors', 'pt', 'pth', 'npy', 'gguf', 'yaml', 'yml'] as const;

export function isVectorPath(p: string): boolean {
  const ext = path.extname(p).slice(1).toLowerCase();
  return (VECTOR_EXTENSIONS as readonly string[]).includes(ext);
}

type Kind = 'safetensors' | 'npy' | 'pt' | 'gguf';

/** Content first; a `.safetensors` name that matches nothing gets the safetensors reader's own message. */
function sniff(head: Uint8Array, file: string): Kind | undefined {
  if (isGguf(head)) return 'gguf';
  if (isNpy(head)) return 'npy';
  if (isZip(head) || looksLikePickle(head)) return 'pt';
  if (head.length >= 9 && head[8] === 0x7b) return 'safetensors'; // u64 length, then '{'
  if (/\.safetensors$/i.test(file)) return 'safetensors';
  return undefined;
}

/** Metadata keys that carry provenance between our files and exports that can hold strings. */
const PROVENANCE_KEYS = ['name', 'model_name', 'model_graph_hash', 'method', 'positions', 'n_pos', 'n_neg', 'created', 'tool_version', 'description', RENDER_KEYS.templateSha256, RENDER_KEYS.systemPrompts, RENDER_KEYS.templateKwargs];

/** Provenance from string metadata written by our exports (absent fields stay unknown). */
function provenance(m: Record<string, string> | undefined): Partial<DirectionMeta> {
  if (!m) return {};
  const num = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  const meta: Partial<DirectionMeta> = {};
  if (m.name) meta.name = m.name;
  if (m.model_name) meta.modelName = m.model_name;
  if (m.model_graph_hash) meta.modelGraphHash = m.model_graph_hash;
  if (m.method) meta.method = m.method;
  if (m.positions) meta.positions = m.positions;
  if (num(m.n_pos) !== undefined) meta.nPos = num(m.n_pos)!;
  if (num(m.n_neg) !== undefined) meta.nNeg = num(m.n_neg)!;
  if (m.created) meta.created = m.created;
  if (m.tool_version) meta.toolVersion = m.tool_version;
  if (m.description) meta.description = m.description;
  const other: Record<string, string> = {};
  for (const k of Object.values(RENDER_KEYS)) if (m[k] !== undefined) other[k] = m[k];
  if (Object.keys(other).length) meta.other = other;
  return meta;
}

/** Provenance as strings, for the exports that carry metadata (GGUF keys, Neuronpedia safetensors). */
export function provenanceStrings(dir: Direction): Record<string, string> {
  const m = dir.meta;
  const all: Record<string, string> = {
    name: m.name, model_name: m.modelName, model_graph_hash: m.modelGraphHash, method: m.method, positions: m.positions,
    n_pos: String(m.nPos), n_neg: String(m.nNeg), created: m.created, tool_version: m.toolVersion,
    ...(m.description !== undefined ? { description: m.description } : {}),
    ...Object.fromEntries(Object.entries(m.other ?? {}).filter(([k]) => PROVENANCE_KEYS.includes(k))),
  };
  return all;
}

function safetensorsTensor(bytes: Uint8Array, file: string): { raw: RawTensor; metadata?: Record<string, string> } {
  const c = readSafetensors(bytes, file);
  const names = [...c.tensors.keys()];
  if (names.length !== 1) throw new VectorFormatError(file, `holds ${names.length} tensors (${names.slice(0, 8).map((n) => `'${n}'`).join(', ')}); import one vector at a time, or name it '${DIRECTION_TENSOR}'`);
  const t = c.tensors.get(names[0]!)!;
  const dtype = ({ F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64' } as Record<string, string>)[t.dtype];
  if (!dtype) throw new VectorFormatError(file, `tensor '${names[0]}' has dtype ${t.dtype}; a vector must hold floats`);
  const count = t.shape.reduce((a, b) => a * b, 1);
  return { raw: { shape: t.shape, values: decodeFloats(t.data, dtype, count), dtype }, metadata: c.metadata };
}

function wrap(file: string, e: unknown): never {
  if (e instanceof VectorFormatError || e instanceof SafetensorsError) throw new DirectionFileError(e.file, e.detail);
  if (e instanceof FileReadError) throw new DirectionFileError(file, e.detail);
  throw e;
}

/**
 * Reads any supported vector file as a checked Direction (see docs/vectors.md): our safetensors,
 * other safetensors with one tensor, .npy, .pt/.pth, GGUF control vectors, Neuronpedia vector.yaml.
 */
export async function readVectorFile(file: string, expect?: DirectionExpect, opts: VectorReadOptions = {}): Promise<Direction> {
  try {
    return readAny(file, expect, opts);
  } catch (e) {
    return wrap(file, e);
  }
}

function readAny(file: string, expect: DirectionExpect | undefined, opts: VectorReadOptions): Direction {
  if (/\.ya?ml$/i.test(file)) return readNeuronpedia(file, expect, opts);
  let kind: Kind | undefined;
  // Floats up to 8 bytes each, one row more than the model (hidden_states order), plus headers.
  const otherBound = expect ? (expect.nLayers + 1) * expect.dModel * 8 + 1024 * 1024 : LIMITS.directionValues * 8;
  const bytes = readBoundedFile(file, {
    what: 'vector file',
    maxBytes: 8 + LIMITS.safetensorsHeaderBytes + LIMITS.directionValues * 8,
    head: {
      bytes: 16,
      limit: (head, size) => {
        kind = sniff(head, file);
        return kind === 'safetensors' ? directionFileBound(head, size, expect) : otherBound;
      },
    },
  });
  const base: ImportOptions = { file, format: kind ?? 'unknown', expect, ...(opts.convention ? { convention: opts.convention } : {}), ...(opts.layer !== undefined ? { sourceIndex: opts.layer } : {}), ...(opts.name ? { name: opts.name } : {}) };
  let dir: Direction;
  if (kind === 'safetensors') {
    const c = readSafetensors(bytes, file);
    if (c.tensors.has(DIRECTION_TENSOR)) {
      dir = parseDirection(bytes, file, expect);
      if (opts.name) dir.name = dir.meta.name = opts.name;
      dir.file = file;
      dir.sha256 = sha256Hex(bytes);
      return dir;
    }
    const { raw, metadata } = safetensorsTensor(bytes, file);
    dir = toDirection(raw, { ...base, meta: { ...provenance(metadata), ...(opts.name ? { name: opts.name } : {}) } });
  } else if (kind === 'npy') {
    dir = toDirection(readNpy(bytes, file), base);
  } else if (kind === 'pt') {
    const t = readPt(bytes, file);
    const rd = 'shape' in t && t.shape.length === 1 ? refusalDirectionMeta(file) : undefined;
    dir = toDirection(t, rd && opts.layer === undefined ? { ...base, ...rd, name: opts.name ?? 'refusal' } : base);
  } else if (kind === 'gguf') {
    const g = readGguf(bytes, file);
    const m = g.kv.get('refusal_lens.meta');
    let restored: Partial<DirectionMeta> = {};
    if (typeof m === 'string') {
      try {
        restored = provenance(JSON.parse(m) as Record<string, string>);
      } catch {
        /* not ours after all: provenance stays unknown */
      }
    }
    const hint = g.kv.get('controlvector.model_hint');
    dir = toDirection(g.vectors, { ...base, convention: opts.convention ?? 'resid_post', meta: { ...restored, ...(opts.name ? { name: opts.name } : {}) }, ...(typeof hint === 'string' ? { other: { gguf_model_hint: hint } } : {}) });
  } else {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new VectorFormatError(file, `is not a vector file this tool reads (first bytes ${head}); expected .safetensors, .npy, .pt/.pth, .gguf or a Neuronpedia vector.yaml`);
  }
  return finish(dir, file, bytes, expect);
}

function finish(dir: Direction, file: string, bytes: Uint8Array, expect?: DirectionExpect): Direction {
  const problem = checkVectors(dir.vectors, dir.nLayers, dir.dModel);
  if (problem) throw new VectorFormatError(file, problem);
  const fields = { modelName: 'model_name', modelGraphHash: 'model_graph_hash', method: 'method', positions: 'positions', nPos: 'n_pos', nNeg: 'n_neg', created: 'created', toolVersion: 'tool_version' } as const;
  const unknown = (Object.keys(fields) as Array<keyof typeof fields>).filter((k) => dir.meta[k] === UNKNOWN).map((k) => fields[k]);
  if (unknown.length) dir.warnings!.push(`${file}: imported from ${dir.meta.other?.source_format}; not recorded there: ${unknown.join(', ')} (shown as '${UNKNOWN}')`);
  if (expect?.graphHash && dir.meta.modelGraphHash !== UNKNOWN && dir.meta.modelGraphHash !== expect.graphHash) {
    dir.warnings!.push(`${file}: computed on graph ${dir.meta.modelGraphHash.slice(0, 12)}…, the loaded graph is ${expect.graphHash.slice(0, 12)}…; fine for another dtype variant of the same model, wrong for a different model`);
  }
  dir.file = file;
  dir.sha256 = sha256Hex(bytes);
  return dir;
}

/** refusal_direction's direction_metadata.json beside direction.pt: {"pos": p, "layer": L}. */
function refusalDirectionMeta(file: string): Partial<ImportOptions> | undefined {
  const mf = path.join(path.dirname(file), 'direction_metadata.json');
  let text: string;
  try {
    text = readBoundedText(mf, { what: 'direction_metadata.json', maxBytes: 64 * 1024 });
  } catch (e) {
    if (e instanceof FileReadError && e.code === 'ENOENT') return undefined;
    throw e;
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new VectorFormatError(mf, `bad JSON: ${(e as Error).message}`);
  }
  const o = j as { pos?: unknown; layer?: unknown };
  if (!o || typeof o !== 'object' || !Number.isInteger(o.layer) || (o.layer as number) < 0 || !Number.isInteger(o.pos)) {
    throw new VectorFormatError(mf, 'expected {"pos": <int>, "layer": <int ≥ 0>} as refusal_direction writes it');
  }
  // Their pipeline reads (and adds) the direction at the input of block `layer` (a forward
  // pre-hook), over the post-instruction tokens; `pos` indexes those from the end.
  return {
    format: 'refusal_direction',
    convention: 'resid_pre',
    sourceIndex: o.layer as number,
    meta: { method: 'diff_of_means', positions: `post_instruction[${o.pos as number}]` },
    other: { refusal_direction_layer: String(o.layer), refusal_direction_pos: String(o.pos) },
  };
}

function readNeuronpedia(file: string, expect: DirectionExpect | undefined, opts: VectorReadOptions): Direction {
  const y = parseVectorYaml(readBoundedText(file, { what: 'vector.yaml', maxBytes: 1024 * 1024 }), file);
  const vf = path.join(path.dirname(file), y.vectorFile);
  const maxBytes = 8 + LIMITS.safetensorsHeaderBytes + (expect ? expect.dModel : LIMITS.directionValues) * 8;
  const bytes = readBoundedFile(vf, { what: 'Neuronpedia vector file', maxBytes });
  const { raw, metadata } = safetensorsTensor(bytes, vf);
  if (raw.shape.length !== 1) throw new VectorFormatError(vf, `tensor has shape [${raw.shape.join(', ')}]; a Neuronpedia vector is one [d_model] vector`);
  const other: Record<string, string> = { neuronpedia_hook_type: y.hookType, neuronpedia_layer_num: String(y.layer) };
  if (y.strength !== undefined) other.default_steer_strength = String(y.strength);
  if (y.modelId) other.neuronpedia_model_id = y.modelId;
  Object.assign(other, renderToStrings({
    ...(y.templateSha256 ? { templateSha256: y.templateSha256 } : {}),
    ...(y.systemPrompt !== undefined ? { systemPrompts: [y.systemPrompt] } : {}),
    ...(y.templateKwargs ? { templateKwargs: y.templateKwargs } : {}),
  }));
  if (y.normalize) {
    // Neuronpedia scales the unit vector by the strength: store the unit vector, so our
    // coefficient means the same.
    let s = 0;
    for (const x of raw.values) s += x * x;
    const n = Math.sqrt(s);
    if (!(n > 0) || !Number.isFinite(n)) throw new VectorFormatError(vf, `cannot normalise a vector of norm ${n}`);
    raw.values = raw.values.map((x) => x / n);
    other.neuronpedia_normalized_from_norm = String(n);
  }
  const prov = provenance(metadata);
  const dir = toDirection(raw, {
    file, format: 'neuronpedia', expect, convention: opts.convention ?? y.convention, sourceIndex: opts.layer ?? y.layer,
    name: opts.name ?? y.label ?? prov.name ?? 'axis',
    meta: { ...prov, ...(y.positions ? { positions: y.positions } : {}), other: { ...(prov.other ?? {}), ...other } },
  });
  return finish(dir, file, bytes, expect);
}
