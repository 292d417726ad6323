// refusal-lens convert: a Hugging Face checkpoint folder → a plain ONNX model folder in the
// onnx-community layout (onnx/model.onnx + external data, config, tokenizer, chat template), not
// hooked: for transformers.js, onnxruntime or any ONNX client. See src/engine/checkpoint/convert.ts.
import * as path from 'node:path';
import type { Command } from '../command';
import { bool, str, UsageError } from '../args';
import { resolveModelFolder } from '../../engine/builtin';
import { CONVERT_DTYPES, convertCheckpoint } from '../../engine/checkpoint/convert';
import { isCheckpointFolder } from '../../engine/checkpoint/files';
import { mibProgress } from '../../engine/checkpoint/progress';
import { oneOf, progressPrinter } from './experiments-shared';

export const convertCommand: Command = {
  name: 'convert',
  summary: 'Write a safetensors checkpoint folder as a plain ONNX model folder (onnx-community layout) for any ONNX client.',
  usage: '<checkpoint-folder> --out OUT [--dtype fp32] [--json]',
  options: [
    { name: 'out', kind: 'string', short: 'o', description: 'folder to create (must not exist, or be empty)' },
    { name: 'dtype', kind: 'string', description: `weights dtype: ${CONVERT_DTYPES.join(', ')}`, default: 'fp32' },
    { name: 'json', kind: 'boolean', description: 'print the result as JSON' },
  ],
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError(args.positionals.length ? `unexpected arguments: ${args.positionals.slice(1).join(' ')}` : 'give the checkpoint folder');
    const out = str(args, 'out');
    if (out === undefined || out.trim() === '') throw new UsageError('give --out OUT, a new folder to write');
    const dtype = oneOf(str(args, 'dtype'), CONVERT_DTYPES, 'dtype', 'fp32');
    const folder = path.resolve(resolveModelFolder(args.positionals[0]));
    if (!isCheckpointFolder(folder)) throw new Error(`${folder} is not a safetensors checkpoint folder (it needs config.json and model.safetensors or model.safetensors.index.json)`);
    const progress = progressPrinter(io);
    try {
      const r = await convertCheckpoint(folder, out, {
        dtype,
        signal: io.signal,
        onProgress: mibProgress('convert: MiB of weights written', progress.onProgress),
      });
      progress.finish();
      if (bool(args, 'json')) {
        io.out(JSON.stringify(r, null, 2) + '\n');
        return 0;
      }
      io.out(`wrote ${r.out}\n  ${r.graph} (${r.modelType}, ${dtype}) + ${r.dataFiles.join(', ')} (${(r.weightBytes / 2 ** 20).toFixed(1)} MiB)\n  ${r.copied.join(', ')}\n`);
      return 0;
    } finally {
      progress.finish();
    }
  },
};
