// Hugging Face checkpoint folders (config.json + *.safetensors) built into an ONNX graph in
// TypeScript; see docs/ARCHITECTURE.md, "Checkpoint folders".

import { availableGraphs } from '../model/files.js';
import { buildCheckpoint, type BuildOptions } from './build.js';
import { isCheckpointFolder } from './files.js';

export { SUPPORTED_ARCHS, readArch, expectedTensors, type ArchSpec } from './arch.js';
export { type GraphForm, GRAPH_FORMS, fusedUnsupported } from './build-fused.js';
export { BUILDER_VERSION, COMPUTE_DTYPE, DEFAULT_GRAPH_FORM, buildCheckpoint, checkMemory, planCheckpoint, type BuildOptions, type BuiltCheckpoint, type CheckpointPlan } from './build.js';
export { describeCheckpoint, type CheckpointReport } from './describe.js';
export { convertCheckpoint, type ConvertOptions, type ConvertResult } from './convert.js';
export { CheckpointError, isCheckpointFolder, readCheckpointFiles, type CheckpointFiles, type TensorRef } from './files.js';

/**
 * The graph loadModel opens for a checkpoint folder: built (or taken from the cache) now.
 * undefined when the folder's own ONNX graphs decide (an export of the asked dtype is there, or
 * exports of other dtypes and no fp32 was asked): the existing path stays as it is.
 */
export async function checkpointGraph(
  folder: string, dtype: string, cacheDir?: string, build: Pick<BuildOptions, 'onProgress' | 'signal' | 'form'> = {},
): Promise<{ dtype: 'fp32'; path: string } | undefined> {
  if (!isCheckpointFolder(folder)) return undefined;
  const graphs = availableGraphs(folder);
  if (graphs.has(dtype as never) || (graphs.size > 0 && dtype !== 'fp32')) return undefined;
  if (dtype !== 'fp32') {
    throw new Error(`model folder ${folder} is a safetensors checkpoint: it is built for fp32 compute only (asked: ${dtype}); use --dtype fp32`);
  }
  const built = await buildCheckpoint(folder, { ...build, ...(cacheDir ? { cacheDir } : {}) });
  return { dtype: 'fp32', path: built.graphPath };
}
