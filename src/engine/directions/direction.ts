// Direction files: one float32 tensor `direction` of shape [n_layers, d_model] (raw per-layer
// vectors, layer l = output of decoder block l) plus string metadata. This file turns bytes into a
// checked Direction and back; reading and writing paths lives in io.ts.
import { decodeF32, encodeF32, readSafetensors, SafetensorsError, writeSafetensors } from './safetensors';
import { tooDeepMessage, valueTooDeep } from '../../protocol/nesting';

/** The tensor name every direction file must hold. */
export const DIRECTION_TENSOR = 'direction';

export interface DirectionMeta {
  /** Axis name used by interventions ("refusal", "persona"). */
  name: string;
  modelName: string;
  /** sha256 (hex) of the source ONNX graph the direction was computed on. */
  modelGraphHash: string;
  /** Where along the block the vectors live; only "resid_post" exists today. */
  hook: 'resid_post';
  /** Layer numbering base of the tensor's first axis; always 0 (row l = block l). */
  layerBase: 0;
  /** How it was computed, e.g. "diff_of_means", "random_control". */
  method: string;
  /** Which token positions the means were taken over, e.g. "last", "post_instruction", "-1". */
  positions: string;
  /** Prompt counts behind the means; 'unknown' when the file does not say (never guessed). */
  nPos: number | 'unknown';
  nNeg: number | 'unknown';
  /** ISO 8601 creation time. */
  created: string;
  toolVersion: string;
  /** The layer the authors recommend taking the vector from, when one is singled out. */
  sourceLayer?: number;
  description?: string;
  /** Free JSON (stored as a JSON string in the file's `extra` field). */
  extra?: unknown;
  /** Metadata keys we do not interpret, kept so a read → write round trip loses nothing. */
  other?: Record<string, string>;
}

export interface Direction {
  name: string;
  /** [nLayers * dModel], row-major: layer l occupies [l*dModel, (l+1)*dModel). */
  vectors: Float32Array;
  nLayers: number;
  dModel: number;
  meta: DirectionMeta;
  file?: string;
  /** sha256 (hex) of the file's bytes. */
  sha256?: string;
  /** Non-fatal findings, e.g. a graph hash that differs from the model's. */
  warnings?: string[];
}

/** What the loading model expects. */
export interface DirectionExpect {
  nLayers: number;
  dModel: number;
  graphHash?: string;
}

/** Any problem with a direction file; the message names the file. */
export class DirectionFileError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'DirectionFileError';
  }
}

/**
 * What the numbers need: only the tensor, and `hook` / `layer_base` when they are not the defaults
 * (absent means resid_post, 0-based). Everything else is provenance: always written, and on read a
 * missing field is a warning and shows as UNKNOWN, never a guess.
 */
const PROVENANCE = ['model_name', 'model_graph_hash', 'method', 'positions', 'n_pos', 'n_neg', 'created', 'tool_version'] as const;
/** The value shown for a provenance field a file does not hold. */
export const UNKNOWN = 'unknown';
const OPTIONAL = ['source_layer', 'description', 'extra'] as const;
const REQUIRED = ['name', 'hook', 'layer_base', ...PROVENANCE] as const;
const KNOWN = new Set<string>([...REQUIRED, ...OPTIONAL]);

/**
 * Checks and decodes a direction file's bytes.
 *
 * A graph hash that differs from `expect.graphHash` is a warning, not an error: the fp32, fp16 and
 * quantised exports of one model have different graph bytes but share a residual basis, so an axis
 * computed on one variant transfers to the others. Shape mismatches are errors.
 */
export function parseDirection(bytes: Uint8Array, fileLabel: string, expect?: DirectionExpect): Direction {
  const fail = (detail: string): never => {
    throw new DirectionFileError(fileLabel, detail);
  };
  let contents;
  try {
    contents = readSafetensors(bytes, fileLabel);
  } catch (e) {
    // Re-wrap so callers catch one error type.
    if (e instanceof SafetensorsError) throw new DirectionFileError(fileLabel, e.detail);
    throw e;
  }
  const t = contents.tensors.get(DIRECTION_TENSOR);
  if (!t) {
    const names = [...contents.tensors.keys()];
    fail(`no '${DIRECTION_TENSOR}' tensor (found ${names.length ? names.map((n) => `'${n}'`).join(', ') : 'no tensors'})`);
  }
  const tensor = t!;
  if (tensor.dtype !== 'F32') {
    fail(`tensor '${DIRECTION_TENSOR}' has dtype ${tensor.dtype}; direction files must be F32 (in Python: tensor.float())`);
  }
  if (tensor.shape.length !== 2) {
    fail(`tensor '${DIRECTION_TENSOR}' has shape [${tensor.shape.join(', ')}]; expected [n_layers, d_model]`);
  }
  const [nLayers, dModel] = tensor.shape;
  if (nLayers === 0 || dModel === 0) fail(`tensor '${DIRECTION_TENSOR}' is empty: shape [${nLayers}, ${dModel}]`);
  if (expect && (expect.nLayers !== nLayers || expect.dModel !== dModel)) {
    fail(`direction has ${nLayers} layers × ${dModel}, model has ${expect.nLayers} layers × ${expect.dModel}`);
  }
  const vectors = decodeF32(tensor.data);
  const problem = checkVectors(vectors, nLayers, dModel);
  if (problem) fail(problem);

  const warnings: string[] = [];
  const meta = metaFromStrings(contents.metadata ?? {}, nLayers, fail, defaultName(fileLabel), (w) => warnings.push(`${fileLabel}: ${w}`));

  if (expect?.graphHash && meta.modelGraphHash !== UNKNOWN && meta.modelGraphHash !== expect.graphHash) {
    warnings.push(
      `${fileLabel}: computed on graph ${short(meta.modelGraphHash)} of '${meta.modelName}', the loaded graph is ${short(expect.graphHash)}; ` +
        'fine for another dtype variant of the same model, wrong for a different model',
    );
  }
  return { name: meta.name, vectors, nLayers, dModel, meta, warnings };
}

/** First non-finite value or all-zero layer, as a message; undefined when the vectors are usable. */
export function checkVectors(vectors: Float32Array, nLayers: number, dModel: number): string | undefined {
  if (vectors.length !== nLayers * dModel) return `vectors hold ${vectors.length} values, expected ${nLayers} × ${dModel}`;
  for (let l = 0; l < nLayers; l++) {
    let nonZero = false;
    for (let i = 0; i < dModel; i++) {
      const x = vectors[l * dModel + i];
      if (!Number.isFinite(x)) return `non-finite value ${x} at layer ${l}, index ${i}`;
      if (x !== 0) nonZero = true;
    }
    if (!nonZero) return `layer ${l} vector is all zeros (cannot be normalised into an axis)`;
  }
  return undefined;
}

function short(hash: string): string {
  return hash.length > 12 ? hash.slice(0, 12) + '…' : hash;
}

/** The axis name a file without a `name` gets: its base name without extension ("refusal"). */
function defaultName(fileLabel: string): string {
  const base = fileLabel.split(/[\\/]/).pop() ?? fileLabel;
  return base.replace(/\.[^.]*$/, '') || 'axis';
}

function metaFromStrings(
  m: Record<string, string>,
  nLayers: number,
  fail: (d: string) => never,
  fallbackName: string,
  warn: (w: string) => void,
): DirectionMeta {
  const missing = PROVENANCE.filter((k) => m[k] === undefined);
  if (missing.length) {
    warn(`metadata lacks provenance field${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (shown as '${UNKNOWN}')`);
  }
  const count = (k: 'n_pos' | 'n_neg'): number | 'unknown' => {
    const v = m[k];
    if (v === undefined || v === UNKNOWN) return UNKNOWN;
    if (!/^\d+$/.test(v)) fail(`metadata field ${k} must be a non-negative integer or '${UNKNOWN}', got '${v}'`);
    return Number(v);
  };
  if (m.hook !== undefined && m.hook !== 'resid_post') fail(`metadata field hook is '${m.hook}'; only 'resid_post' is supported (import other hooks with \`refusal-lens vectors import\`)`);
  if (m.layer_base !== undefined && m.layer_base !== '0') fail(`metadata field layer_base is '${m.layer_base}'; direction files use 0-based layers ('0')`);
  let name = m.name;
  if (name === undefined) {
    name = fallbackName;
    warn(`metadata has no name; the axis is named '${name}' after the file`);
  } else if (name.trim() === '') fail('metadata field name is empty');
  const meta: DirectionMeta = {
    name,
    modelName: m.model_name ?? UNKNOWN,
    modelGraphHash: m.model_graph_hash ?? UNKNOWN,
    hook: 'resid_post',
    layerBase: 0,
    method: m.method ?? UNKNOWN,
    positions: m.positions ?? UNKNOWN,
    nPos: count('n_pos'),
    nNeg: count('n_neg'),
    created: m.created ?? UNKNOWN,
    toolVersion: m.tool_version ?? UNKNOWN,
  };
  if (m.source_layer !== undefined) {
    const s = m.source_layer;
    if (!/^\d+$/.test(s) || Number(s) >= nLayers) fail(`metadata field source_layer must be a layer in 0..${nLayers - 1}, got '${s}'`);
    meta.sourceLayer = Number(s);
  }
  if (m.description !== undefined) meta.description = m.description;
  if (m.extra !== undefined) {
    try {
      meta.extra = JSON.parse(m.extra);
    } catch (e) {
      fail(`metadata field extra must hold JSON: ${(e as Error).message}`);
    }
    // It is copied into receipts and messages (JSON.stringify recurses): bound it like any input.
    if (valueTooDeep(meta.extra)) fail(`metadata field extra is ${tooDeepMessage()}`);
  }
  const other = Object.fromEntries(Object.entries(m).filter(([k]) => !KNOWN.has(k)));
  if (Object.keys(other).length) meta.other = other;
  return meta;
}

export function metaToStrings(meta: DirectionMeta): Record<string, string> {
  const out: Record<string, string> = { ...(meta.other ?? {}) };
  out.name = meta.name;
  out.model_name = meta.modelName;
  out.model_graph_hash = meta.modelGraphHash;
  out.hook = meta.hook;
  out.layer_base = String(meta.layerBase);
  out.method = meta.method;
  out.positions = meta.positions;
  out.n_pos = String(meta.nPos);
  out.n_neg = String(meta.nNeg);
  out.created = meta.created;
  out.tool_version = meta.toolVersion;
  if (meta.sourceLayer !== undefined) out.source_layer = String(meta.sourceLayer);
  if (meta.description !== undefined) out.description = meta.description;
  if (meta.extra !== undefined) out.extra = JSON.stringify(meta.extra);
  return out;
}

/** Checks a Direction and encodes it as safetensors bytes; throws with the direction's name on bad data. */
export function serializeDirection(dir: Direction): Uint8Array {
  const label = dir.file ?? `direction '${dir.name}'`;
  const problem = checkVectors(dir.vectors, dir.nLayers, dir.dModel);
  if (problem) throw new DirectionFileError(label, problem);
  if (dir.meta.name !== dir.name) throw new DirectionFileError(label, `name '${dir.name}' differs from meta.name '${dir.meta.name}'`);
  for (const k of ['nPos', 'nNeg'] as const) {
    const v = dir.meta[k];
    if (v !== UNKNOWN && (!Number.isSafeInteger(v) || v < 0)) throw new DirectionFileError(label, `meta.${k} must be a non-negative integer or '${UNKNOWN}'`);
  }
  return writeSafetensors(
    [{ name: DIRECTION_TENSOR, dtype: 'F32', shape: [dir.nLayers, dir.dModel], data: encodeF32(dir.vectors) }],
    metaToStrings(dir.meta),
  );
}
