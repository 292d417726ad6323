// Hugging Face checkpoint folders (config.json + *.safetensors) built into an ONNX graph in
// TypeScript; see docs/ARCHITECTURE.md, "Checkpoint folders".

import { availableGraphs } from '../model/files.js';
import { CHECKPOINT_DTYPES, type CheckpointDtype, type QuantScope } from '../../protocol/dtypes.js';
import { buildCheckpoint, checkCheckpointDtype, type BuildOptions } from './build.js';
import { isCheckpointFolder } from './files.js';

export { SUPPORTED_ARCHS, readArch, expectedTensors, type ArchSpec } from './arch.js';
export { type GraphForm, GRAPH_FORMS, fusedUnsupported } from './build-fused.js';
export {
  BUILDER_VERSION, COMPUTE_DTYPE, DEFAULT_GRAPH_FORM, DEFAULT_ACCURACY_LEVEL, DEFAULT_QUANT_SCOPE, QUANT_BLOCK, buildCheckpoint, checkCheckpointDtype, checkMemory, checkQuantScope, memoryNeeded,
  planCheckpoint, residentWeightBytes, type BuildOptions, type BuiltCheckpoint, type CheckpointPlan, type PlanOptions,
} from './build.js';
export { describeCheckpoint, type CheckpointReport } from './describe.js';
export { convertCheckpoint, type ConvertOptions, type ConvertResult } from './convert.js';
export { CheckpointError, isCheckpointFolder, readCheckpointFiles, type CheckpointFiles, type TensorRef } from './files.js';

/**
 * The graph loadModel opens for a checkpoint folder: built (or taken from the cache) now.
 * undefined when the folder's own ONNX graphs decide (an export of the asked dtype is there, or
 * the dtype names an export variant and exports exist): the existing path stays as it is.
 */
export async function checkpointGraph(
  folder: string, dtype: string,
  opts: { cacheDir?: string; quantize?: QuantScope; accuracyLevel?: 0 | 4 } & Pick<BuildOptions, 'onProgress' | 'signal' | 'form'> = {},
): Promise<{ dtype: CheckpointDtype; path: string } | undefined> {
  if (!isCheckpointFolder(folder)) return undefined;
  const graphs = availableGraphs(folder);
  if (graphs.has(dtype as never)) return undefined;
  if (!(CHECKPOINT_DTYPES as readonly string[]).includes(dtype)) {
    if (graphs.size) return undefined; // selectGraph lists the exports there are
    checkCheckpointDtype(dtype); // throws, naming the dtypes a checkpoint is built in
  }
  const built = await buildCheckpoint(folder, {
    dtype: dtype as CheckpointDtype,
    ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
    ...(opts.quantize ? { quantize: opts.quantize } : {}),
    ...(opts.accuracyLevel !== undefined ? { accuracyLevel: opts.accuracyLevel } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.form ? { form: opts.form } : {}),
  });
  return { dtype: built.dtype, path: built.graphPath };
}
