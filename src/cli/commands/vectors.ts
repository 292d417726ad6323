// refusal-lens vectors: bring vectors made by other tools into our direction format, and hand ours
// to other tools (llama.cpp GGUF control vectors, Neuronpedia, PyTorch, NumPy). docs/vectors.md.
import * as path from 'node:path';
import type { Command } from '../command';
import { num, str, UsageError } from '../args';
import { Warnings } from '../load';
import { resolveModelFolder } from '../../engine/builtin';
import { readModelConfig } from '../../engine/model/config';
import {
  CONVENTIONS, EXPORT_FORMATS, exportDirection, readVectorFile, writeDirection, type Convention, type DirectionExpect, type ExportFormat,
} from '../../engine/directions/index';

const ACTIONS = ['import', 'export'] as const;

function expectOf(spec: string | undefined): DirectionExpect | undefined {
  if (spec === undefined) return undefined;
  const c = readModelConfig(resolveModelFolder(spec));
  return { nLayers: c.numLayers, dModel: c.dModel };
}

function layerOpt(args: Parameters<Command['run']>[0]): number | undefined {
  const l = num(args, 'layer');
  if (l !== undefined && !(Number.isInteger(l) && l >= 0)) throw new UsageError(`--layer must be a non-negative integer, got ${l}`);
  return l;
}

export const vectorsCommand: Command = {
  name: 'vectors',
  summary: 'Import vectors from persona_vectors, refusal_direction, repeng/llama.cpp GGUF, Neuronpedia, .pt/.npy; export ours to GGUF, Neuronpedia, .pt, .npy.',
  usage: 'import SRC --model FOLDER --out FILE.safetensors [--convention C] [--layer N] [--name NAME]\n       vectors export FILE --to gguf|neuronpedia|pt|npy --out PATH [--model FOLDER] [--layer N] [--strength S]',
  options: [
    { name: 'model', kind: 'string', short: 'm', description: "model folder the vectors are for ('builtin' for the built-in model); checks layers and d_model" },
    { name: 'out', kind: 'string', short: 'o', description: 'file to write (a folder for --to neuronpedia)' },
    { name: 'to', kind: 'string', description: `export format: ${EXPORT_FORMATS.join(', ')}` },
    { name: 'convention', kind: 'string', description: `import: the source's layer index (${CONVENTIONS.join(', ')}; default: the format's own); export pt/npy: hidden_states writes persona_vectors' [n_layers+1, d_model] layout` },
    { name: 'layer', kind: 'number', description: 'import: layer a [d_model] vector came from (in --convention); export neuronpedia: our layer to export' },
    { name: 'name', kind: 'string', description: 'import: axis name (default: the file\'s)' },
    { name: 'strength', kind: 'number', description: 'export neuronpedia: default_steer_strength' },
    { name: 'strict', kind: 'boolean', description: 'treat warnings as errors (nothing is written)' },
  ],
  async run(args, io) {
    const [action, src, ...rest] = args.positionals;
    if (!action || !(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`give an action: ${ACTIONS.join(' or ')} (refusal-lens vectors import SRC … / vectors export FILE …)`);
    if (!src) throw new UsageError(`vectors ${action}: give the ${action === 'import' ? 'source vector file' : 'direction file'}`);
    if (rest.length) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    const out = str(args, 'out');
    if (!out) throw new UsageError(`--out is required`);
    const warnings = Warnings.from(args, io);
    if (action === 'import') {
      const model = str(args, 'model');
      if (model === undefined) throw new UsageError('vectors import needs --model (the vectors are laid out over its layers and checked against its d_model)');
      const convention = str(args, 'convention');
      if (convention !== undefined && !(CONVENTIONS as readonly string[]).includes(convention)) throw new UsageError(`--convention must be one of ${CONVENTIONS.join(', ')}, got '${convention}'`);
      if (!out.endsWith('.safetensors')) throw new UsageError(`--out must end in .safetensors (our direction format), got ${out}`);
      const layer = layerOpt(args);
      const name = str(args, 'name');
      const dir = await readVectorFile(path.resolve(src), expectOf(model), {
        ...(convention ? { convention: convention as Convention } : {}),
        ...(layer !== undefined ? { layer } : {}),
        ...(name ? { name } : {}),
      });
      for (const w of dir.warnings ?? []) warnings.add(w);
      warnings.check();
      const sha = await writeDirection(out, { ...dir, file: out });
      const o = dir.meta.other ?? {};
      io.out(
        `wrote ${out} (sha256 ${sha.slice(0, 12)}…)\n  axis ${dir.name}: ${dir.nLayers} layers × ${dir.dModel} from ${o.source_format} (${o.source_convention} layer indices)` +
          `${o.layers_present ? `, source rows at layers ${o.layers_present}` : ''}${dir.meta.sourceLayer !== undefined ? `, source layer ${dir.meta.sourceLayer}` : ''}\n`,
      );
      return 0;
    }
    const to = str(args, 'to');
    if (!to || !(EXPORT_FORMATS as readonly string[]).includes(to)) throw new UsageError(`--to must be one of ${EXPORT_FORMATS.join(', ')}${to ? `, got '${to}'` : ''}`);
    const dir = await readVectorFile(path.resolve(src), expectOf(str(args, 'model')));
    for (const w of dir.warnings ?? []) warnings.add(w);
    warnings.check();
    const layer = layerOpt(args);
    const strength = num(args, 'strength');
    const layout = str(args, 'convention');
    if (layout !== undefined && layout !== 'resid_post' && layout !== 'hidden_states') throw new UsageError(`export --convention must be resid_post or hidden_states, got '${layout}'`);
    const res = exportDirection(dir, to as ExportFormat, out, {
      ...(layer !== undefined ? { layer } : {}),
      ...(strength !== undefined ? { strength } : {}),
      ...(layout ? { layout } : {}),
    });
    for (const w of res.warnings) io.err(`note: ${w}\n`);
    io.out(res.files.map((f) => `wrote ${f}\n`).join(''));
    return 0;
  },
};
