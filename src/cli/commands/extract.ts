// refusal-lens extract: an axis from two prompt sets (or a built-in contrast) → direction file.
import * as path from 'node:path';
import type { Command } from '../command';
import { bool, str, UsageError } from '../args';
import { MODEL_OPTIONS, STRICT_OPTION, openModel } from '../load';
import { POSITION_RULES, type PositionRule } from '../../engine/experiments/activations';
import { builtinContrasts, describeDiagnostics, readPromptSet } from '../../engine/experiments/dataset';
import { extractDirection, type ExtractMethod } from '../../engine/experiments/extract';
import { decodingFrom, DECODING_OPTIONS, oneOf, positiveInt, progressPrinter } from './experiments-shared';
import { LIMITS } from '../../protocol/limits';
import { DEFAULT_MAX_NEW_TOKENS } from '../../protocol/decoding';

const METHODS: readonly ExtractMethod[] = ['diff_of_means', 'pca_paired'];

export const extractCommand: Command = {
  name: 'extract',
  summary: 'Extract an axis (difference of means per layer) from two prompt sets or a built-in contrast; writes a direction file.',
  usage: "[model-folder] (--builtin refusal|persona|trait:evil-nurturing|… | --positive FILE --negative FILE) [--out FILE] [options]",
  options: [
    ...MODEL_OPTIONS.filter((o) => o.name !== 'axis'),
    { name: 'builtin', kind: 'string', description: 'a built-in contrast: refusal, persona, trait:evil-nurturing, trait:callous-supportive, trait:hostile-patient, trait:arrogant-diplomatic' },
    { name: 'positive', kind: 'string', description: 'JSONL prompt set (or builtin:NAME) the axis points towards' },
    { name: 'negative', kind: 'string', description: 'JSONL prompt set (or builtin:NAME) the axis points away from' },
    { name: 'name', kind: 'string', description: 'axis name (default: the contrast, or the positive set)' },
    { name: 'out', kind: 'string', short: 'o', description: 'direction file to write (default ./<name>.safetensors)' },
    { name: 'positions', kind: 'string', description: `position rule: ${POSITION_RULES.join(', ')} (default: the contrast's, else last_prompt)` },
    { name: 'method', kind: 'string', description: `${METHODS.join(' or ')}`, default: 'diff_of_means' },
    { name: 'limit', kind: 'number', description: 'use only the first N rows of each set' },
    { name: 'batch-size', kind: 'number', description: 'prompts per batch', default: 8 },
    ...DECODING_OPTIONS.map((o) => ({ ...o, description: `${o.description} (response_mean only)` })),
    { name: 'json', kind: 'boolean', description: 'print the result (file, sha256, metadata, norms per layer) as JSON' },
    { ...STRICT_OPTION, description: 'fail when a prompt set has skipped rows or warnings' },
  ],
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError(`unexpected arguments: ${args.positionals.slice(1).join(' ')}`);
    const builtin = str(args, 'builtin');
    let posSpec = str(args, 'positive');
    let negSpec = str(args, 'negative');
    let defaultPositions: PositionRule = 'last_prompt';
    let name = str(args, 'name');
    if (builtin !== undefined) {
      if (posSpec || negSpec) throw new UsageError('give --builtin or --positive/--negative, not both');
      const contrasts = builtinContrasts();
      const c = contrasts[builtin];
      if (!c) throw new UsageError(`no built-in contrast '${builtin}' (built-in: ${Object.keys(contrasts).join(', ')})`);
      posSpec = `builtin:${c.positive}`;
      negSpec = `builtin:${c.negative}`;
      defaultPositions = c.positions;
      name ??= builtin.replace(/^trait:/, '');
    } else if (!posSpec || !negSpec) throw new UsageError('give --builtin NAME, or both --positive FILE and --negative FILE');
    const positions = oneOf(str(args, 'positions'), POSITION_RULES, 'positions', defaultPositions);
    const method = oneOf(str(args, 'method'), METHODS, 'method', 'diff_of_means');
    const limit = args.options.limit === undefined ? undefined : positiveInt(args, 'limit', 1, LIMITS.rows);
    const batchSize = positiveInt(args, 'batch-size', 8, LIMITS.batchSize);
    const pos = await readPromptSet(posSpec!, limit ? { limit } : {});
    const neg = await readPromptSet(negSpec!, limit ? { limit } : {});
    name ??= pos.name;
    const out = path.resolve(str(args, 'out') ?? `${name}.safetensors`);
    for (const w of [...describeDiagnostics(pos), ...describeDiagnostics(neg)]) io.err(`skipped: ${w}\n`);
    const nDiag = pos.diagnostics.length + neg.diagnostics.length;
    if (bool(args, 'strict') && nDiag) throw new Error(`--strict: the prompt sets have ${nDiag} skipped row(s) or warning(s) (above)`);

    const model = await openModel(args, undefined, io);
    const progress = progressPrinter(io);
    try {
      const dir = await extractDirection(model, pos, neg, {
        name, positions, method, out,
        batchSize,
        ...(positions === 'response_mean' ? { decoding: decodingFrom(args, DEFAULT_MAX_NEW_TOKENS) } : {}),
        onProgress: progress.onProgress,
        signal: io.signal,
      });
      progress.finish();
      const d = dir.dModel;
      const norms = Array.from({ length: dir.nLayers }, (_, l) => Math.hypot(...dir.vectors.subarray(l * d, (l + 1) * d)));
      if (bool(args, 'json')) {
        io.out(JSON.stringify({ file: dir.file, sha256: dir.sha256, meta: dir.meta, norms }, null, 2) + '\n');
      } else {
        io.out(`wrote ${dir.file}\n  axis ${dir.name}: ${pos.display} (${dir.meta.nPos}) − ${neg.display} (${dir.meta.nNeg}), ${method} at ${positions}\n`);
        io.out(`  model ${model.summary.name}, ${dir.nLayers} layers × ${d}; sha256 ${dir.sha256}\n`);
        io.out(`  ‖v_l‖ per layer: ${norms.map((x) => x.toFixed(2)).join(' ')}\n`);
      }
      for (const w of dir.warnings?.filter((x) => /empty response/.test(x)) ?? []) io.err(`skipped: ${w}\n`);
      return 0;
    } finally {
      progress.finish();
      await model.dispose();
    }
  },
};
