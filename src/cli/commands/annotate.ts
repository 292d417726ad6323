// refusal-lens annotate: response, label, refusal score and axis projections for every prompt
// of a JSONL, CSV or Parquet dataset, into a resumable results JSONL keyed by row id.
import * as path from 'node:path';
import type { Command } from '../command';
import { bool, list, str, UsageError } from '../args';
import { RANDOM_CONTROL_OPTION, withRandomControls } from '../random-control';
import { REFERENCE_OPTION, referenceFromArgs } from '../reference';
import { MODEL_OPTIONS, Warnings, openAxes, openModel } from '../load';
import { interventionOptions, interventionsFromArgs } from '../interventions';
import { annotate, DEFAULT_ANNOTATE_BATCH, PROJECTION_POSITIONS, type ProjectionPosition } from '../../engine/experiments/annotate';
import { parseLayers } from '../../engine/experiments/layers';
import { assertOwnResultsFile, ResultsFileError } from '../../engine/experiments/results-file';
import { describeOwner, lockHolder, lockPathFor } from '../../engine/io/lock';
import { decodingFrom, DECODING_OPTIONS, FIELD_OPTIONS, fieldsFrom, positiveInt, progressPrinter, SHARD_OPTION, shardFrom } from './experiments-shared';
import { shardPath } from '../../engine/experiments/shard';
import { LIMITS } from '../../protocol/limits';
import { DEFAULT_MAX_NEW_TOKENS } from '../../protocol/decoding';

export const annotateCommand: Command = {
  name: 'annotate',
  summary: 'Annotate a JSONL, CSV or Parquet dataset: response, label, refusal score and axis projections per prompt; resumable.',
  usage: '[model-folder] DATASET.{jsonl,csv,parquet} --out RESULTS.jsonl [options]',
  options: [
    ...MODEL_OPTIONS,
    { name: 'out', kind: 'string', short: 'o', description: 'results JSONL (rerun with the same settings to resume)' },
    { name: 'layers', kind: 'string', short: 'l', description: "layers to report: '4-7,9' or 'all'", default: 'all' },
    { name: 'positions', kind: 'string', description: `comma-separated: ${PROJECTION_POSITIONS.join(', ')}`, default: 'last_prompt,response_mean' },
    ...interventionOptions(() => ', applied to every prompt'),
    RANDOM_CONTROL_OPTION,
    REFERENCE_OPTION,
    { name: 'batch-size', kind: 'number', description: 'prompts per batch (keep it fixed across resumes)', default: DEFAULT_ANNOTATE_BATCH },
    ...DECODING_OPTIONS,
    ...FIELD_OPTIONS,
    SHARD_OPTION,
    { name: 'restart', kind: 'boolean', description: 'discard an existing results file (one of ours) instead of resuming' },
    { name: 'retry-errors', kind: 'boolean', description: 'run the error rows of an earlier run again (a resume keeps them)' },
    { name: 'json', kind: 'boolean', description: 'print the run summary as JSON' },
  ],
  async run(args, io) {
    const pos = args.positionals;
    if (pos.length < 1 || pos.length > 2) throw new UsageError('give the dataset (and optionally the model folder before it)');
    const dataset = path.resolve(pos[pos.length - 1]);
    if (pos.length === 2 && str(args, 'model')) throw new UsageError('model given twice: as --model and as an argument');
    const outArg = str(args, 'out');
    if (!outArg) throw new UsageError('--out RESULTS.jsonl is required');
    const fields = fieldsFrom(args);
    const reference = referenceFromArgs(args);
    const shard = shardFrom(args);
    const out = shard ? shardPath(path.resolve(outArg), shard) : path.resolve(outArg);
    if (out === dataset) throw new UsageError('--out must not be the dataset itself');
    const positions = str(args, 'positions')!.split(',').map((s) => s.trim()).filter(Boolean) as ProjectionPosition[];
    for (const p of positions) if (!PROJECTION_POSITIONS.includes(p)) throw new UsageError(`--positions: '${p}' is not one of ${PROJECTION_POSITIONS.join(', ')}`);
    if (!positions.length) throw new UsageError('--positions: name at least one position');

    // Before the model loads: a file that is not ours, or one another run is writing, fails at once.
    assertOwnResultsFile(out);
    const holder = lockHolder(out);
    if (holder) throw new ResultsFileError(`${out} is in use by another ${describeOwner(holder)} (lock file ${lockPathFor(out)}); wait for it to finish or stop it`, 'locked');

    const model = await openModel({ ...args, positionals: pos.length === 2 ? [pos[0]] : [] }, undefined, io);
    const progress = progressPrinter(io);
    try {
      const L = model.summary.layers;
      let layers: number[];
      try {
        layers = parseLayers(str(args, 'layers')!, L);
      } catch (e) {
        throw new UsageError(`--layers: ${(e as Error).message}`);
      }
      const axes = withRandomControls(await openAxes(model, list(args, 'axis'), [], '.', new Warnings(io, false)), list(args, 'random-control'));
      if (!axes.length) io.err('note: no axes (give --axis FILE, or use a model folder with axes/); rows will carry labels only\n');
      const interventions = interventionsFromArgs(args, L);
      const s = await annotate(model, dataset, out, {
        axes, layers, positions, interventions,
        decoding: decodingFrom(args, DEFAULT_MAX_NEW_TOKENS),
        batchSize: positiveInt(args, 'batch-size', DEFAULT_ANNOTATE_BATCH, LIMITS.batchSize),
        restart: bool(args, 'restart'),
        retryErrors: bool(args, 'retry-errors'),
        onProgress: progress.onProgress,
        signal: io.signal,
        fields,
        ...(shard ? { shard } : {}),
        ...(reference ? { reference } : {}),
      });
      progress.finish();
      for (const d of s.diagnostics) io.err(`${d.severity === 'error' ? 'skipped' : 'warning'}: ${d.file}:${d.line}:${d.column}: ${d.field ? d.field + ': ' : ''}${d.message}\n`);
      if (s.truncated) io.err(`note: cut off a half-written line (${s.truncated.bytes} bytes at line ${s.truncated.line}) left by an interrupted run; that row was run again\n`);
      const where = /\.(csv|parquet|pq)$/i.test(dataset) ? ' row ' : ':';
      for (const f of s.failed) io.err(`error row: ${path.basename(dataset)}${where}${f.line} (id ${f.id}): ${f.message}\n`);
      const earlier = s.errors - s.failed.length;
      if (earlier > 0) io.err(`note: ${earlier} error row(s) from an earlier run kept; --retry-errors runs them again\n`);
      if (shard && s.total === 0) io.err(`note: shard ${shard.k}/${shard.n} has no rows: shards take whole batches of --batch-size rows, and the dataset has fewer batches than shards; a smaller --batch-size spreads it wider\n`);
      if (s.foreign) io.err(`note: ${s.foreign} row(s) in ${out} are not in the dataset; kept at the end\n`);
      if (bool(args, 'json')) io.out(JSON.stringify(s, null, 2) + '\n');
      else {
        const n = s.counts.refusal + s.counts.bypass + s.counts.degenerate;
        const pct = (k: number) => (n ? ((100 * k) / n).toFixed(1) : '0.0');
        io.out(`${out}: ${s.total} rows (${s.resumed} already done, ${s.ran} run now${s.retried ? `, ${s.retried} retried` : ''}${s.errors ? `, ${s.errors} error${s.errors === 1 ? '' : 's'}` : ''})\n`);
        io.out(`  refusal ${s.counts.refusal} (${pct(s.counts.refusal)}%)  bypass ${s.counts.bypass} (${pct(s.counts.bypass)}%)  degenerate ${s.counts.degenerate} (${pct(s.counts.degenerate)}%)${s.errors ? `  errors ${s.errors}` : ''}\n`);
      }
      // Error rows leave the results incomplete: say so in the exit code, on every run that keeps them.
      return s.errors ? 1 : 0;
    } finally {
      progress.finish();
      await model.dispose();
    }
  },
};
