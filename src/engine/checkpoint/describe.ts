// What a checkpoint folder will be built into, from its config and safetensors headers alone
// (nothing written, no weight read): for `refusal-lens model` and for messages.

import { memoryNeeded, planCheckpoint, residentWeightBytes, type PlanOptions } from './build.js';

export interface CheckpointReport {
  architecture: string;
  layers: number;
  dModel: number;
  heads: { query: number; keyValue: number; headDim: number };
  ffn: number;
  vocab: number;
  ropeScaling: string;
  slidingWindow: number | null;
  tiedEmbeddings: boolean;
  shards: number;
  /** dtypes of the tensors the graph reads, as stored */
  storedDtypes: string[];
  computeDtype: string;
  /** q8/q4: which weights are quantised */
  quantize: string | null;
  /** bytes of weights in memory once loaded (quantised blocks + float32 rest) */
  weightBytes: number;
  /** bytes of the used tensors as stored, and as float32 */
  storedBytes: number;
  fp32Bytes: number;
  /** disk the build writes: converted / quantised weights (shards already in the compute form are hard-linked, no copy on one filesystem) */
  buildDiskBytes: number;
  /** memory the load requires to be available (build.ts checkMemory): 1.5 × the weights in memory + 150 MiB */
  memoryBytes: number;
  cacheKey: string;
}

export async function describeCheckpoint(folder: string, opts: PlanOptions = {}): Promise<CheckpointReport> {
  const p = await planCheckpoint(folder, opts);
  const s = p.spec;
  const stored = p.tensors.reduce((a, t) => a + t.length, 0);
  const fp32 = p.tensors.reduce((a, t) => a + (t.dtype === 'F32' ? t.length : 2 * t.length), 0);
  return {
    architecture: s.modelType,
    layers: s.numLayers,
    dModel: s.dModel,
    heads: { query: s.numHeads, keyValue: s.numKvHeads, headDim: s.headDim },
    ffn: s.ffn,
    vocab: s.vocab,
    ropeScaling: s.ropeScaling,
    slidingWindow: s.slidingWindow ?? null,
    tiedEmbeddings: s.tied,
    shards: p.files.shards.length,
    storedDtypes: p.storedDtypes,
    computeDtype: p.dtype,
    quantize: p.quantize ?? null,
    weightBytes: residentWeightBytes(p),
    storedBytes: stored,
    fp32Bytes: fp32,
    buildDiskBytes: p.plan.convertedBytes,
    memoryBytes: Math.round(memoryNeeded(p)),
    cacheKey: p.key.slice(0, 12),
  };
}
