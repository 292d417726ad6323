// refusal-lens ablate: run a condition file's matrix and write the refusal receipt.
import * as path from 'node:path';
import type { Command } from '../command';
import { bool, str, UsageError } from '../args';
import { MODEL_OPTIONS, openModel } from '../load';
import { ablateShardToFolder, ablateToFolder } from '../../engine/experiments/ablate';
import { shardLabel, shardPath } from '../../engine/experiments/shard';
import { hasSavedProgress, PROGRESS_FILE } from '../../engine/experiments/ablate-progress';
import { loadConditionFile } from '../../engine/experiments/conditions';
import { receiptMarkdown } from '../../engine/experiments/receipt-render';
import { prepareReceiptFolder } from '../../engine/experiments/receipt-files';
import { positiveInt, progressPrinter, SHARD_OPTION, shardFrom } from './experiments-shared';
import { LIMITS } from '../../protocol/limits';
import { REFERENCE_OPTION, referenceFromArgs } from '../reference';

export const ablateCommand: Command = {
  name: 'ablate',
  summary: 'Run an ablation condition file (YAML/JSON) and write a refusal receipt: JSON, Markdown, LaTeX, CSV, SVG.',
  usage: '[model-folder] CONDITIONS.yaml [--out DIR] [options]',
  options: [
    ...MODEL_OPTIONS.filter((o) => o.name !== 'axis'),
    { name: 'out', kind: 'string', short: 'o', description: 'folder for the receipt files (default receipt-<condition file stem>/); finished prompts are kept there, so a rerun after a crash or Ctrl-C resumes' },
    { name: 'batch-size', kind: 'number', description: "prompts per batch (overrides the file's batchSize)" },
    { ...SHARD_OPTION, description: 'K/N: run only shard K of N (1-based; batches dealt round-robin) into OUT.shard-K-of-N/progress.jsonl, no receipt; join the folders with `refusal-lens merge OUT DIRS…`, then run ablate --out OUT to write the receipt' },
    { name: 'check', kind: 'boolean', description: 'only check the condition file (schema and references), run nothing' },
    { name: 'json', kind: 'boolean', description: 'print the receipt JSON instead of the Markdown' },
    { ...REFERENCE_OPTION, description: `${REFERENCE_OPTION.description}; overrides the condition file's reference` },
  ],
  async run(args, io) {
    const pos = args.positionals;
    if (pos.length < 1 || pos.length > 2) throw new UsageError('give the condition file (and optionally the model folder before it)');
    const file = path.resolve(pos[pos.length - 1]);
    // Schema and reference errors come before loading a model (seconds, not minutes).
    const plan = loadConditionFile(file);
    if (bool(args, 'check')) {
      io.out(`${pos[pos.length - 1]}: ok (${plan.conditions.length} conditions, ${plan.sweeps.length} sweeps; layers are checked against the model when it runs)\n`);
      return 0;
    }
    const reference = referenceFromArgs(args);
    const shard = shardFrom(args);
    const base = path.resolve(str(args, 'out') ?? `receipt-${path.basename(file).replace(/\.(ya?ml|json)$/i, '')}`);
    const out = shard ? shardPath(base, shard) : base;
    // A folder that cannot take the receipt fails now, not after the last generation.
    prepareReceiptFolder(out, plan);
    const model = await openModel({ ...args, positionals: pos.length === 2 ? [pos[0]] : [] }, undefined, io);
    const progress = progressPrinter(io);
    try {
      const runOpts = {
        ...(args.options['batch-size'] !== undefined ? { batchSize: positiveInt(args, 'batch-size', 8, LIMITS.batchSize) } : {}),
        onProgress: progress.onProgress,
        onNotice: (m: string) => {
          progress.finish();
          io.err(`${m}\n`);
        },
        signal: io.signal,
        ...(reference ? { reference } : {}),
      };
      if (shard) {
        const r = await ablateShardToFolder(model, plan, out, shard, runOpts);
        progress.finish();
        io.out(`shard ${shardLabel(shard)}: its batches are in ${path.join(out, PROGRESS_FILE)}${r.resumed ? ` (${r.resumed} prompts resumed)` : ''}; once every shard is done: refusal-lens merge ${base} ${shardPath(base, { k: 1, n: shard.n })} … ${shardPath(base, { k: shard.n, n: shard.n })}, then ablate --out ${base} writes the receipt\n`);
        return 0;
      }
      const run = await ablateToFolder(model, plan, out, runOpts);
      progress.finish();
      const files = run.files;
      io.out(bool(args, 'json') ? JSON.stringify(run.receipt, null, 2) + '\n' : receiptMarkdown(run.receipt));
      io.err(`wrote ${files.length} files to ${out}: ${files.map((f) => path.basename(f)).join(', ')}\n`);
      return 0;
    } catch (e) {
      progress.finish();
      if (hasSavedProgress(out)) io.err(`finished prompts are kept in ${path.join(out, PROGRESS_FILE)}; run the same command again to resume\n`);
      throw e;
    } finally {
      progress.finish();
      await model.dispose();
    }
  },
};
