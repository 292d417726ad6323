// refusal-lens select: pick a refusal direction among per-(position, layer) candidates as
// Arditi et al. (2024) do, print the table, write the direction and the report.
import { writeFilesAtomic } from '../../engine/io/atomic';
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import type { Command } from '../command';
import { bool, num, str, UsageError } from '../args';
import { MODEL_OPTIONS, STRICT_OPTION, openModel } from '../load';
import { writeDirection } from '../../engine/directions/index';
import { describeDiagnostics, readPromptSet } from '../../engine/experiments/dataset';
import { selectJson, selectMarkdown, selectRefusalDirection } from '../../engine/experiments/select';
import { positiveInt, progressPrinter } from './experiments-shared';
import { LIMITS } from '../../protocol/limits';

export const selectCommand: Command = {
  name: 'select',
  summary: 'Select a refusal direction (Arditi et al. 2024): score candidates per position and layer by bypass, induce and KL; filter and pick.',
  usage: '[model-folder] [--harmful FILE] [--harmless FILE] [--out FILE] [options]',
  options: [
    ...MODEL_OPTIONS.filter((o) => o.name !== 'axis'),
    { name: 'harmful', kind: 'string', description: "harmful requests (JSONL or builtin:NAME; default: the model folder's sets/harmful.jsonl where it ships one, else builtin:harmful)" },
    { name: 'harmless', kind: 'string', description: "harmless requests (JSONL or builtin:NAME; default: the model folder's sets/harmless.jsonl where it ships one, else builtin:harmless)" },
    { name: 'val-harmful', kind: 'string', description: 'held-out harmful set (default: odd rows of --harmful; even rows extract)' },
    { name: 'val-harmless', kind: 'string', description: 'held-out harmless set (default: odd rows of --harmless)' },
    { name: 'limit', kind: 'number', description: 'use only the first N rows of each set' },
    { name: 'positions', kind: 'number', description: `trailing prompt positions that give candidates (default: post-instruction tokens, at most 5; limit ${LIMITS.selectPositions})` },
    { name: 'kl-threshold', kind: 'number', description: 'keep candidates with KL below this', default: 0.1 },
    { name: 'max-layer-fraction', kind: 'number', description: 'keep candidates with layer < this · n_layers', default: 0.8 },
    { name: 'induce-threshold', kind: 'number', description: 'keep candidates whose induce score exceeds this', default: 0 },
    { name: 'name', kind: 'string', description: 'name of the chosen axis', default: 'refusal' },
    { name: 'out', kind: 'string', short: 'o', description: 'direction file for the chosen candidate (default ./<name>.safetensors)' },
    { name: 'report', kind: 'string', description: 'also write the table here (.md) and beside it as .json' },
    { name: 'batch-size', kind: 'number', description: 'prompts per batch', default: 8 },
    { name: 'json', kind: 'boolean', description: 'print the selection as JSON instead of the table' },
    { ...STRICT_OPTION, description: 'fail when a prompt set has skipped rows or warnings' },
  ],
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError(`unexpected arguments: ${args.positionals.slice(1).join(' ')}`);
    // Counts are checked before any set or model is read.
    const limit = args.options.limit === undefined ? undefined : positiveInt(args, 'limit', 1, LIMITS.rows);
    const positions = args.options.positions !== undefined ? positiveInt(args, 'positions', 1, LIMITS.selectPositions) : undefined;
    const batchSize = positiveInt(args, 'batch-size', 8, LIMITS.batchSize);
    const load = async (spec: string) => {
      const s = await readPromptSet(spec, limit ? { limit } : {});
      for (const w of describeDiagnostics(s)) io.err(`skipped: ${w}\n`);
      if (bool(args, 'strict') && s.diagnostics.length) throw new Error(`--strict: ${spec} has ${s.diagnostics.length} skipped row(s) or warning(s) (above)`);
      return s;
    };
    const vh = str(args, 'val-harmful');
    const vl = str(args, 'val-harmless');
    if ((vh === undefined) !== (vl === undefined)) throw new UsageError('give both --val-harmful and --val-harmless, or neither');
    const frac = num(args, 'max-layer-fraction')!;
    if (!(frac > 0 && frac <= 1)) throw new UsageError(`--max-layer-fraction must be in (0, 1], got ${frac}`);
    const name = str(args, 'name')!;
    const model = await openModel(args, undefined, io);
    const sets = defaultSets(model.summary.folder, str(args, 'harmful'), str(args, 'harmless'));
    if (sets.fromModel) io.err(`sets: ${sets.harmful} vs ${sets.harmless} (the model folder's own; --harmful/--harmless choose others)\n`);
    const harmful = await load(sets.harmful);
    const harmless = await load(sets.harmless);
    const progress = progressPrinter(io);
    try {
      const r = await selectRefusalDirection(model, harmful, harmless, {
        name,
        ...(positions !== undefined ? { positions } : {}),
        klThreshold: num(args, 'kl-threshold')!,
        maxLayerFraction: frac,
        induceThreshold: num(args, 'induce-threshold')!,
        ...(vh && vl ? { valHarmful: await load(vh), valHarmless: await load(vl) } : {}),
        batchSize,
        onProgress: progress.onProgress,
        signal: io.signal,
      });
      progress.finish();
      if (r.direction) {
        const out = path.resolve(str(args, 'out') ?? `${name}.safetensors`);
        r.direction.sha256 = await writeDirection(out, r.direction);
        r.direction.file = out;
      }
      const report = str(args, 'report');
      if (report) {
        writeFilesAtomic([
          { file: report, data: selectMarkdown(r) },
          { file: report.replace(/\.md$/i, '') + '.json', data: selectJson(r) },
        ]);
      }
      io.out(bool(args, 'json') ? selectJson(r) : selectMarkdown(r));
      if (r.direction) io.err(`wrote ${r.direction.file} (position ${r.chosen!.position}, source layer ${r.chosen!.layer})\n`);
      else io.err('no candidate passed the filters; no direction written (loosen --kl-threshold, --induce-threshold or --max-layer-fraction)\n');
      return r.direction ? 0 : 1;
    } finally {
      progress.finish();
      await model.dispose();
    }
  },
};

/**
 * A model that ships its own contrastive sets (the built-in organism does, in wording it was trained
 * on) is selected on them unless the user names sets; other models on the generic built-in sets.
 */
export function defaultSets(folder: string, harmful?: string, harmless?: string): { harmful: string; harmless: string; fromModel: boolean } {
  if (harmful !== undefined || harmless !== undefined) return { harmful: harmful ?? 'builtin:harmful', harmless: harmless ?? 'builtin:harmless', fromModel: false };
  const own = (n: string) => path.join(folder, 'sets', `${n}.jsonl`);
  if (existsSync(own('harmful')) && existsSync(own('harmless'))) return { harmful: own('harmful'), harmless: own('harmless'), fromModel: true };
  return { harmful: 'builtin:harmful', harmless: 'builtin:harmless', fromModel: false };
}
