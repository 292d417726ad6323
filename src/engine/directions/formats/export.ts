// Exports a direction for other tools: GGUF control vector (llama.cpp / Ollama / LM Studio),
// Neuronpedia-style vector.yaml + safetensors, PyTorch .pt and NumPy .npy. Each maps our layer
// l (output of block l) onto the target's convention (docs/vectors.md).
import * as path from 'node:path';
import { ensureWritableDir, writeFilesAtomic } from '../../io/atomic';
import { DirectionFileError, type Direction } from '../direction';
import { writeSafetensors } from '../safetensors';
import { renderConditionsOf } from '../render';
import { compact, layersPresent } from './convert';
import { writeGguf } from './gguf';
import { provenanceStrings } from './index';
import { vectorYaml } from './neuronpedia';
import { writeNpy } from './npy';
import { writePt } from './pt';

export const EXPORT_FORMATS = ['gguf', 'neuronpedia', 'pt', 'npy'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** Neuronpedia: the layer (ours) to export; default the file's source layer. */
  layer?: number;
  /** Neuronpedia: default_steer_strength. */
  strength?: number;
  /**
   * pt / npy: 'hidden_states' writes persona_vectors' layout [n_layers + 1, d_model] (row l + 1 =
   * our layer l, row 0 = zeros: we hold no embedding-layer vector), so their
   * `torch.load(path)[layer]` with `layer_idx=layer-1` steers where ours does.
   */
  layout?: 'resid_post' | 'hidden_states';
}

export interface ExportResult {
  files: string[];
  warnings: string[];
}

/** Writes `dir` as `to` at `out` (a folder for neuronpedia); all files or none. */
export function exportDirection(dir: Direction, to: ExportFormat, out: string, opts: ExportOptions = {}): ExportResult {
  const label = dir.file ?? `axis '${dir.name}'`;
  const fail = (d: string): never => {
    throw new DirectionFileError(label, d);
  };
  const warnings: string[] = [];
  const row = (l: number) => dir.vectors.slice(l * dir.dModel, (l + 1) * dir.dModel);
  let files: Array<{ file: string; data: string | Uint8Array }>;
  if (opts.layout === 'hidden_states' && to !== 'pt' && to !== 'npy') fail(`the hidden_states layout is for --to pt or npy, not ${to}`);
  const hs = opts.layout === 'hidden_states';
  const rows = hs ? dir.nLayers + 1 : dir.nLayers;
  const table = hs ? new Float32Array(rows * dir.dModel) : dir.vectors;
  if (hs) table.set(dir.vectors, dir.dModel);
  if (to === 'npy') files = [{ file: out, data: writeNpy(table, [rows, dir.dModel]) }];
  else if (to === 'pt') {
    const archive = path.basename(out).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_]/g, '_') || 'archive';
    files = [{ file: out, data: writePt(table, [rows, dir.dModel], archive) }];
  } else if (to === 'gguf') {
    // llama.cpp adds direction.N to the output of block N and never controls block 0.
    const present = layersPresent(dir);
    const layers = new Map(present.filter((l) => l >= 1).map((l) => [l, row(l)] as const));
    if (present.includes(0)) warnings.push(`${label}: layer 0 is not exported: llama.cpp control vectors start at layer 1 (direction.0 is invalid there)`);
    if (!layers.size) fail('has no layer ≥ 1 to export as a llama.cpp control vector');
    const meta = JSON.stringify(provenanceStrings(dir));
    files = [{
      file: out,
      data: writeGguf([
        ['general.architecture', { type: 'string', value: 'controlvector' }],
        ['controlvector.model_hint', { type: 'string', value: dir.meta.modelName }],
        ['controlvector.layer_count', { type: 'u32', value: layers.size }],
        ['refusal_lens.meta', { type: 'string', value: meta }],
      ], layers),
    }];
    warnings.push(`${label}: wrote direction.${compact([...layers.keys()])}; in llama.cpp, --control-vector-scaled ${path.basename(out)} C adds C × these vectors, as our steer with coefficient C at those layers`);
  } else {
    const present = layersPresent(dir);
    const layer = opts.layer ?? dir.meta.sourceLayer ?? (present.length === 1 ? present[0] : undefined);
    if (layer === undefined) fail('a Neuronpedia vector is one layer: give --layer (the file records no source layer)');
    if (!Number.isInteger(layer) || layer! < 0 || layer! >= dir.nLayers) fail(`--layer ${layer} is outside 0..${dir.nLayers - 1}`);
    const r = renderConditionsOf(dir);
    if ((r.systemPrompts?.length ?? 0) > 1) warnings.push(`${label}: extracted with ${r.systemPrompts!.length} system prompts; vector.yaml holds the first`);
    const strength = opts.strength ?? (dir.meta.other?.default_steer_strength !== undefined ? Number(dir.meta.other.default_steer_strength) : undefined);
    const yaml = vectorYaml({
      label: dir.name, modelId: dir.meta.modelName, layer: layer!, convention: 'resid_post', hookType: 'hook_resid_post', normalize: false,
      ...(strength !== undefined && Number.isFinite(strength) ? { strength } : {}),
      vectorFile: 'vector.safetensors',
      ...(r.systemPrompts?.length ? { systemPrompt: r.systemPrompts[0] } : {}),
      ...(r.templateKwargs ? { templateKwargs: r.templateKwargs } : {}),
      ...(r.templateSha256 ? { templateSha256: r.templateSha256 } : {}),
      ...(dir.meta.positions !== 'unknown' ? { positions: dir.meta.positions } : {}),
    });
    const v = row(layer!);
    const st = writeSafetensors([{ name: 'vector', dtype: 'F32', shape: [dir.dModel], data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) }], provenanceStrings(dir));
    ensureWritableDir(out, 'the Neuronpedia vector folder');
    files = [{ file: path.join(out, 'vector.yaml'), data: yaml }, { file: path.join(out, 'vector.safetensors'), data: st }];
  }
  writeFilesAtomic(files);
  return { files: files.map((f) => f.file), warnings };
}
