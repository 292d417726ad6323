// refusal-lens merge: join the shard outputs of `annotate --shard K/N` into the results file one
// machine would have written (see engine/experiments/merge.ts for what is checked).
import * as path from 'node:path';
import type { Command } from '../command';
import { bool, UsageError } from '../args';
import { statSync } from 'node:fs';
import { mergeAblateShards, mergeAnnotateShards } from '../../engine/experiments/merge';

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'Join the shards of an annotate or ablate run (--shard K/N) into what a single machine would have written.',
  usage: 'OUT.jsonl SHARD1.jsonl SHARD2.jsonl …  |  OUT-DIR SHARD-DIR1 SHARD-DIR2 … (ablate)',
  options: [{ name: 'json', kind: 'boolean', description: 'print the summary as JSON' }],
  async run(args, io) {
    const [out, ...inputs] = args.positionals;
    if (!out || !inputs.length) throw new UsageError('give the output file, then every shard file (e.g. merge results.jsonl results.shard-*-of-4.jsonl)');
    const isDir = (f: string) => {
      try {
        return statSync(f).isDirectory();
      } catch {
        return false;
      }
    };
    if (inputs.every(isDir)) {
      const s = mergeAblateShards(path.resolve(out), inputs.map((f) => path.resolve(f)));
      if (bool(args, 'json')) io.out(JSON.stringify(s, null, 2) + '\n');
      else io.out(`${path.join(s.out, 'progress.jsonl')}: ${s.batches} finished batches from ${s.shards} shards\n`);
      io.err(`now write the receipt (every batch resumes, nothing is generated): refusal-lens ablate [model] CONDITIONS.yaml --out ${out}\n`);
      return 0;
    }
    if (inputs.some(isDir)) throw new UsageError('give either annotate shard files or ablate shard folders, not both');
    const s = mergeAnnotateShards(path.resolve(out), inputs);
    if (bool(args, 'json')) io.out(JSON.stringify(s, null, 2) + '\n');
    else io.out(`${s.out}: ${s.rows} rows from ${s.shards} shards\n`);
    return 0;
  },
};
