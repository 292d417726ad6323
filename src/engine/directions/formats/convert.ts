// Layer conventions: each tool's layer index mapped onto ours (layer l = output of decoder block l,
// HF hidden_states[l + 1]). The sources of each mapping are in docs/vectors.md.
import { UNKNOWN, type Direction, type DirectionExpect, type DirectionMeta } from '../direction';
import { type LayerVectors, type RawTensor, VectorFormatError } from './tensor';

/**
 * - resid_post: index k = output of block k (ours; llama.cpp `direction.k`, a dict of layers,
 *   Neuronpedia hook_resid_post, TransformerLens blocks.k.hook_resid_post)
 * - resid_pre: index k = input of block k = output of block k − 1 (refusal_direction's `layer`,
 *   TransformerLens / Neuronpedia hook_resid_pre); k = 0 is the embeddings
 * - hidden_states: row k = HF hidden_states[k] = output of block k − 1; row 0 the embeddings
 *   (persona_vectors' [n_layers + 1, d_model] tensors)
 */
export type Convention = 'resid_post' | 'resid_pre' | 'hidden_states';
export const CONVENTIONS: readonly Convention[] = ['resid_post', 'resid_pre', 'hidden_states'];

/** Our layer for the source's index k (may be −1: the embeddings, which no layer of ours holds). */
export function toOurLayer(k: number, c: Convention): number {
  return c === 'resid_post' ? k : k - 1;
}
/** The source's index for our layer l. */
export function fromOurLayer(l: number, c: Convention): number {
  return c === 'resid_post' ? l : l + 1;
}

export interface ImportOptions {
  file: string;
  /** How the file came: 'pt', 'npy', 'gguf', 'neuronpedia', 'safetensors', 'refusal_direction'. */
  format: string;
  expect?: DirectionExpect;
  /** The convention of the source's layer index; for a 2-D tensor, guessed from its rows when absent. */
  convention?: Convention;
  /** The source's own layer index a [d_model] vector came from (in `convention`). */
  sourceIndex?: number;
  name?: string;
  /** Provenance the source records (method, positions, …); the rest stays 'unknown'. */
  meta?: Partial<DirectionMeta>;
  /** Extra metadata keys to keep (render conditions, the source's own fields). */
  other?: Record<string, string>;
}

function stem(file: string): string {
  return (file.split(/[\\/]/).pop() ?? file).replace(/\.[^.]*$/, '') || 'axis';
}

/** Maps an imported tensor or layer set onto a checked-later Direction (caller runs checkVectors). */
export function toDirection(src: RawTensor | LayerVectors, o: ImportOptions): Direction {
  const fail = (d: string): never => {
    throw new VectorFormatError(o.file, d);
  };
  const warnings: string[] = [];
  const ex = o.expect;
  let nLayers: number;
  let dModel: number;
  let vectors: Float32Array;
  let convention = o.convention ?? 'resid_post';
  let present: number[] | undefined;
  let sourceLayer: number | undefined;
  const dWrong = (found: number) =>
    fail(`vectors have shape [${found}] per layer, the model needs [${ex!.dModel}] (d_model ${found} ≠ ${ex!.dModel}): a vector of another model, or another size of it`);

  if ('shape' in src) {
    const { shape } = src;
    if (shape.length === 2) {
      const [rows, d] = shape as [number, number];
      if (ex && d !== ex.dModel) {
        fail(`tensor has shape [${rows}, ${d}], the model needs [${ex.nLayers}, ${ex.dModel}] (or [${ex.nLayers + 1}, ${ex.dModel}] in hidden_states order): d_model ${d} ≠ ${ex.dModel}, a vector of another model`);
      }
      if (!o.convention) convention = ex && rows === ex.nLayers + 1 ? 'hidden_states' : 'resid_post';
      const drop = convention === 'resid_post' ? 0 : 1;
      if (convention === 'resid_pre') fail('a [n, d_model] tensor in resid_pre order misses the last block\'s output; import it as a dict of layers');
      nLayers = rows - drop;
      if (ex && nLayers !== ex.nLayers) {
        const cause =
          rows === ex.nLayers + 1 ? 'it looks like hidden_states order (row 0 = embeddings): import with --convention hidden_states'
          : rows === ex.nLayers - 1 && convention === 'hidden_states' ? 'hidden_states order expects one row more than the model has layers (row 0 = embeddings): use --convention resid_post'
          : 'a vector of a model with another number of layers';
        fail(`tensor has shape [${rows}, ${d}], the model needs [${ex.nLayers}, ${ex.dModel}]${convention === 'hidden_states' ? ` (or [${ex.nLayers + 1}, ${ex.dModel}] in hidden_states order)` : ''}: ${cause}`);
      }
      if (nLayers < 1 || d < 1) fail(`tensor has shape [${rows}, ${d}]: no layers left`);
      dModel = d;
      vectors = src.values.slice(drop * d);
      if (drop) warnings.push(`${o.file}: rows read as hidden_states (row 0 = embeddings, dropped; row k = output of block k − 1)`);
      if (o.sourceIndex !== undefined) sourceLayer = toOurLayer(o.sourceIndex, convention);
    } else if (shape.length === 1) {
      dModel = shape[0]!;
      if (ex && dModel !== ex.dModel) dWrong(dModel);
      if (!ex) fail(`holds one [${dModel}] vector; give the model (--model) so it can be laid out over its layers`);
      nLayers = ex!.nLayers;
      vectors = new Float32Array(nLayers * dModel);
      for (let l = 0; l < nLayers; l++) vectors.set(src.values, l * dModel);
      if (o.sourceIndex !== undefined) {
        sourceLayer = toOurLayer(o.sourceIndex, convention);
        present = [sourceLayer];
      } else warnings.push(`${o.file}: a single [${dModel}] vector with no layer recorded: used at every layer (give --layer to record where it came from)`);
    } else {
      return fail(`tensor has shape [${shape.join(', ')}]; a vector file holds [d_model] or [n_layers, d_model]`);
    }
  } else {
    dModel = src.dModel;
    if (ex && dModel !== ex.dModel) dWrong(dModel);
    const mapped = new Map<number, Float32Array>();
    for (const [k, v] of src.layers) {
      const l = toOurLayer(k, convention);
      if (l < 0) fail(`layer ${k} (${convention}) is the embeddings, which no layer of ours holds`);
      if (ex && l >= ex.nLayers) fail(`layer ${k} (${convention}) is block ${l}, the model has blocks 0..${ex.nLayers - 1}: a vector of a deeper model, or a layer index off by one`);
      mapped.set(l, v);
    }
    nLayers = ex ? ex.nLayers : Math.max(...mapped.keys()) + 1;
    present = [...mapped.keys()].sort((a, b) => a - b);
    vectors = new Float32Array(nLayers * dModel);
    // Layers the source does not cover take the nearest covered layer's vector (ties: the lower
    // one), so readouts there have an axis; `layers_present` says which rows are the source's.
    for (let l = 0; l < nLayers; l++) {
      const near = present.reduce((b, k) => (Math.abs(k - l) < Math.abs(b - l) ? k : b), present[0]!);
      vectors.set(mapped.get(near)!, l * dModel);
    }
    if (present.length < nLayers) {
      warnings.push(`${o.file}: covers layers ${compact(present)} of 0..${nLayers - 1}; the others hold the nearest covered layer's vector (steer at ${compact(present)} to apply it as its tool does)`);
    }
    if (present.length === 1) sourceLayer = present[0];
  }
  if (sourceLayer !== undefined && (sourceLayer < 0 || sourceLayer >= nLayers)) {
    fail(`source layer ${o.sourceIndex} (${convention}) is ${sourceLayer < 0 ? 'the embeddings (input of block 0), which no layer of ours holds' : `block ${sourceLayer}, outside 0..${nLayers - 1}`}`);
  }
  const name = o.name ?? o.meta?.name ?? stem(o.file);
  const meta: DirectionMeta = {
    modelName: UNKNOWN, modelGraphHash: UNKNOWN, hook: 'resid_post', layerBase: 0, method: UNKNOWN, positions: UNKNOWN,
    nPos: UNKNOWN, nNeg: UNKNOWN, created: UNKNOWN, toolVersion: UNKNOWN,
    ...o.meta,
    name,
  };
  if (sourceLayer !== undefined) meta.sourceLayer = sourceLayer;
  meta.other = {
    ...(o.meta?.other ?? {}),
    ...(o.other ?? {}),
    source_format: o.format,
    source_file: o.file.split(/[\\/]/).pop() ?? o.file,
    source_convention: convention,
    ...(present ? { layers_present: present.join(',') } : {}),
  };
  return { name, vectors, nLayers, dModel, meta, warnings };
}

/** "1-4,7" for [1,2,3,4,7]. */
export function compact(xs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    out.push(j > i ? `${xs[i]}-${xs[j]}` : `${xs[i]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** The layers whose rows are the source's own (all, unless the file records `layers_present`). */
export function layersPresent(dir: Direction): number[] {
  const s = dir.meta.other?.layers_present;
  if (!s) return Array.from({ length: dir.nLayers }, (_, l) => l);
  return s.split(',').map(Number).filter((l) => Number.isInteger(l) && l >= 0 && l < dir.nLayers);
}
