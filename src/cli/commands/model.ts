// refusal-lens model: what the engine makes of a model folder before any experiment — which graph
// it opened, where it hooked each layer, what the hooked graph computes, how batches will run.
// The first thing to run on a real model: every line is read from the rewrite's HookInfo and the
// sessions actually opened, not from the folder's names.
import * as path from 'node:path';
import type { Command } from '../command';
import { bool, str, UsageError, type ParsedArgs } from '../args';
import { MODEL_OPTIONS, openModel } from '../load';
import { availableGraphs } from '../../engine/model/files';
import { shippedAxisFiles } from '../../engine/builtin';
import { describeCheckpoint, isCheckpointFolder, type PlanOptions } from '../../engine/checkpoint/index';
import { describeDevice } from '../../protocol/device';
import type { QuantScope } from '../../protocol/dtypes';

/** The dtype the checkpoint was built in, and the --quantize scope of a q8/q4 build. */
function checkpointOptions(dtype: string, args: ParsedArgs): PlanOptions {
  const q = str(args, 'quantize');
  return { dtype: dtype as NonNullable<PlanOptions['dtype']>, ...(q ? { quantize: q as QuantScope } : {}) };
}

export const modelCommand: Command = {
  name: 'model',
  summary: 'Open a model folder and report what the engine found: graph, hooked layers and their form, readouts, batching, chat template, axes.',
  usage: '[model-folder] [--dtype D] [--device D] [--json]',
  options: [...MODEL_OPTIONS.filter((o) => o.name !== 'axis'), { name: 'json', kind: 'boolean', description: 'print the report as JSON' }],
  async run(args, io) {
    if (args.positionals.length > 1) throw new UsageError(`unexpected arguments: ${args.positionals.slice(1).join(' ')}`);
    const model = await openModel(args, undefined, io);
    try {
      const m = model.loaded;
      const c = m.config;
      const info = m.hookInfo;
      const g = m.hooked;
      const report = {
        name: m.name,
        folder: m.folder,
        modelType: c.modelType,
        graph: path.relative(m.folder, m.graphPath),
        dtype: m.dtype,
        dtypesAvailable: [...availableGraphs(m.folder).keys()],
        // which device runs the graphs, and why the others were not used
        device: m.device,
        graphSha256: m.graphHash,
        layers: c.numLayers,
        dModel: c.dModel,
        heads: { query: c.numHeads, keyValue: c.numKvHeads, headDim: c.headDim },
        vocabSize: c.vocabSize,
        maxPositions: c.maxPositions,
        eosIds: c.eosIds,
        // Relative when beside the source graph; absolute when it went to a cache folder.
        hookedGraph: m.hookedPath.startsWith(m.folder + path.sep) ? path.relative(m.folder, m.hookedPath) : m.hookedPath,
        hookedFromCache: m.hookCached,
        rewriteVersion: info.rewriteVersion,
        residualDtype: info.residualDtype,
        hookedAt: info.layers.map((l) => ({ layer: l.layer, value: l.value, producer: l.producerOp })),
        lastPositionLogits: info.lastPositionLogits,
        inputs: { attentionMask: g.maskType !== undefined, positionIds: g.positionType !== undefined, kvCache: `${g.past.length / 2} layers, ${g.pastType}` },
        batching: m.paddingUnsafeOps.length ? `equal prompt lengths only (${m.paddingUnsafeOps.join(', ')} takes row lengths, not a mask)` : 'left-padded batches',
        chatTemplate: m.tokenizer.chatTemplate !== undefined,
        shippedAxes: shippedAxisFiles(m.folder).map((f) => path.basename(f, '.safetensors')),
        // a safetensors checkpoint built into a graph (src/engine/checkpoint): what was built, where
        ...(dtypesAvailableIsEmpty(m.folder) && isCheckpointFolder(m.folder)
          ? { checkpoint: { ...(await describeCheckpoint(m.folder, checkpointOptions(m.dtype, args))), buildFolder: path.dirname(m.graphPath) } }
          : {}),
      };
      if (bool(args, 'json')) {
        io.out(JSON.stringify(report, null, 2) + '\n');
        return 0;
      }
      const forms = [...new Set(report.hookedAt.map((h) => h.producer))].join(', ');
      const lines = [
        `model     ${report.name} (${report.modelType}) — ${report.folder}`,
        `graph     ${report.graph} (${report.dtype}; available: ${report.dtypesAvailable.join(', ') || 'none'})`,
        `device    ${describeDevice(report.device)}`,
        `shape     ${report.layers} layers, d_model ${report.dModel}, heads ${c.numHeads}/${c.numKvHeads} × ${c.headDim}, vocab ${report.vocabSize}, context ${report.maxPositions}`,
        `hooked    ${report.hookedGraph}${report.hookedFromCache ? ' (cached)' : ' (written now)'}, rewrite v${report.rewriteVersion}, residual ${report.residualDtype}`,
        `          every layer hooked at its block output (${forms}); ${report.lastPositionLogits ? 'logits computed for the last position only' : 'logits for every position (no lm_head MatMul recognised)'}`,
        `inputs    attention_mask ${report.inputs.attentionMask ? 'yes' : 'no'}, position_ids ${report.inputs.positionIds ? 'yes' : 'no'}, KV cache ${report.inputs.kvCache}`,
        `batching  ${report.batching}`,
        `template  ${report.chatTemplate ? 'chat template found' : 'no chat template: only token-id prompts'}`,
        `axes      ${report.shippedAxes.length ? report.shippedAxes.join(', ') : 'none shipped (pass --axis files, or run extract)'}`,
      ];
      const ck = report.checkpoint;
      if (ck) {
        const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
        lines.push(
          `checkpoint ${ck.architecture}, ${ck.layers} layers, d_model ${ck.dModel}, heads ${ck.heads.query}/${ck.heads.keyValue} × ${ck.heads.headDim}, ffn ${ck.ffn}, rope ${ck.ropeScaling}` +
            `${ck.slidingWindow ? `, sliding window ${ck.slidingWindow}` : ''}${ck.tiedEmbeddings ? ', tied embeddings' : ''}`,
          `          stored ${ck.storedDtypes.join('+')} in ${ck.shards} file${ck.shards > 1 ? 's' : ''} (${mib(ck.storedBytes)}), computed in ${ck.computeDtype}${ck.quantize ? ` (quantised: ${ck.quantize})` : ''} (${mib(ck.weightBytes)} of weights in memory); ` +
            `build writes ${mib(ck.buildDiskBytes)}, memory needed ~${mib(ck.memoryBytes)}`,
          `          built in ${ck.buildFolder}`,
        );
      }
      io.out(lines.join('\n') + '\n');
      return 0;
    } finally {
      await model.dispose();
    }
  },
};

function dtypesAvailableIsEmpty(folder: string): boolean {
  return availableGraphs(folder).size === 0;
}
