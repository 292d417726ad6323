// refusal-lens geometry: cosine between axes per layer, beside the spread of random cosines.
import { writeFileAtomic } from '../../engine/io/atomic';
import type { Command } from '../command';
import { list, num, str, UsageError } from '../args';
import { readVectorFile, type Direction } from '../../engine/directions/index';
import { shippedAxisFiles, resolveModelFolder } from '../../engine/builtin';
import { geometry, geometryCsv, geometryMarkdown, geometrySvg } from '../../engine/experiments/geometry';
import { oneOf, positiveInt } from './experiments-shared';
import { LIMITS } from '../../protocol/limits';

const FORMATS = ['md', 'csv', 'json'] as const;

export const geometryCommand: Command = {
  name: 'geometry',
  summary: 'Cosine between axes per layer, beside the 5–95% spread and max |cos| of seeded random directions; table and SVG chart.',
  usage: '[AXIS.safetensors …] [--model FOLDER] [--svg FILE] [options]',
  options: [
    { name: 'model', kind: 'string', short: 'm', description: "use the axes shipped in this model folder ('builtin' for the built-in model) when no files are given" },
    { name: 'axis', kind: 'list', short: 'a', description: 'direction file (also accepted as positional arguments)' },
    { name: 'samples', kind: 'number', description: `random directions for the spread (at most ${LIMITS.geometrySamples})`, default: 1000 },
    { name: 'seed', kind: 'number', description: 'seed of the random directions', default: 0 },
    { name: 'format', kind: 'string', short: 'f', description: `table format: ${FORMATS.join(', ')}`, default: 'md' },
    { name: 'out', kind: 'string', short: 'o', description: 'write the table here instead of stdout' },
    { name: 'svg', kind: 'string', description: 'write the chart here' },
  ],
  async run(args, io) {
    let files = [...args.positionals, ...list(args, 'axis')];
    const model = str(args, 'model');
    if (!files.length && model !== undefined) files = shippedAxisFiles(resolveModelFolder(model));
    if (files.length < 2) throw new UsageError(`give at least two direction files${model !== undefined ? ` (the model folder ships ${files.length})` : ''}`);
    const format = oneOf(str(args, 'format'), FORMATS, 'format', 'md');
    const seed = num(args, 'seed')!;
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got ${seed}`);
    const axes: Direction[] = [];
    for (const f of files) axes.push(await readVectorFile(f));
    const g = geometry(axes, { samples: positiveInt(args, 'samples', 1000, LIMITS.geometrySamples), seed });
    const text = format === 'md' ? geometryMarkdown(g) : format === 'csv' ? geometryCsv(g) : JSON.stringify(g, null, 2) + '\n';
    const out = str(args, 'out');
    if (out) {
      writeFileAtomic(out, text);
      io.err(`wrote ${out}\n`);
    } else io.out(text);
    const svg = str(args, 'svg');
    if (svg) {
      writeFileAtomic(svg, geometrySvg(g));
      io.err(`wrote ${svg}\n`);
    }
    return 0;
  },
};
