// The library API of Refusal Lens (docs/ARCHITECTURE.md): what the worker, the CLI and tests use.

import { readVectorFile, writeDirection, type Direction, type VectorReadOptions } from './directions/index.js';
import { openModel, type LoadOptions } from './model/load.js';
import { LensModel } from './trace.js';

export { LensModel, type BatchOptions, type ResidualOptions, type TraceOptions, type TraceRequest } from './trace.js';
export type { LoadOptions, LoadedModel } from './model/load.js';
export type { ModelConfig } from './model/config.js';
export { DTYPES, availableGraphs, type Dtype } from './model/files.js';
export { AbortError, type LoopResult, type SeqOutput } from './generate/loop.js';
export { failedDevices } from './runtime.js';
export { AUTO_ORDER, planDevices, probeEnvironment } from './device.js';
export { mulberry32 as samplingPrng } from './generate/sampling.js';
export * from './directions/index.js';
export * from './labels/index.js';
export * from './prompts/index.js';

/** Open a model folder (onnx-community / Optimum layout), hook its graph and open the session. */
export async function loadModel(folder: string, opts: LoadOptions = {}): Promise<LensModel> {
  return new LensModel(await openModel(folder, opts));
}

/**
 * Read a direction file, or any vector file other tools write (.pt, .npy, GGUF, Neuronpedia
 * vector.yaml, safetensors with one tensor; docs/vectors.md); with a model, check its shape (and
 * note a different graph hash).
 */
export function loadDirection(path: string, model?: LensModel, opts?: VectorReadOptions): Promise<Direction> {
  if (!model) return readVectorFile(path, undefined, opts);
  const s = model.summary;
  return readVectorFile(path, { nLayers: s.layers, dModel: s.dModel, graphHash: s.graphHash }, opts);
}

/** Write a direction file; resolves to the sha256 of the bytes written. */
export function saveDirection(path: string, dir: Direction): Promise<string> {
  return writeDirection(path, dir);
}
