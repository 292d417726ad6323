// refusal-lens merge: join the shard outputs of `annotate --shard K/N` into the results file one
// machine would have written (see engine/experiments/merge.ts for what is checked).
import * as path from 'node:path';
import type { Command } from '../command';
import { bool, UsageError } from '../args';
import { mergeAnnotateShards } from '../../engine/experiments/merge';

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'Join the shards of an annotate run (--shard K/N) into the one results file a single machine would have written.',
  usage: 'OUT.jsonl SHARD1.jsonl SHARD2.jsonl …',
  options: [{ name: 'json', kind: 'boolean', description: 'print the summary as JSON' }],
  async run(args, io) {
    const [out, ...inputs] = args.positionals;
    if (!out || !inputs.length) throw new UsageError('give the output file, then every shard file (e.g. merge results.jsonl results.shard-*-of-4.jsonl)');
    const s = mergeAnnotateShards(path.resolve(out), inputs);
    if (bool(args, 'json')) io.out(JSON.stringify(s, null, 2) + '\n');
    else io.out(`${s.out}: ${s.rows} rows from ${s.shards} shards\n`);
    return 0;
  },
};
