// The one shape every importer produces before layers are mapped: float32 values with a shape, or
// a set of per-layer [d_model] vectors keyed by the source tool's layer index.
import { halfToFloat } from '../../half.js';

/** A format problem; the message already names the file. */
export class VectorFormatError extends Error {
  constructor(readonly file: string, readonly detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'VectorFormatError';
  }
}

export interface RawTensor {
  shape: number[];
  /** Row-major values, converted to float32 (the source dtype is in `dtype`). */
  values: Float32Array;
  /** Source element type, for messages and metadata: "float32", "float16", "bfloat16", "float64". */
  dtype: string;
}

/** Per-layer vectors keyed by the source tool's own layer index (a dict of tensors, GGUF direction.N). */
export interface LayerVectors {
  layers: Map<number, Float32Array>;
  dModel: number;
  dtype: string;
}

const scratch = new DataView(new ArrayBuffer(4));
function bf16ToFloat(h: number): number {
  scratch.setUint32(0, h << 16, false);
  return scratch.getFloat32(0, false);
}

/** Element sizes of the float types we read. */
export const FLOAT_SIZES: Record<string, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2 };

/** Little-endian floats of `dtype` → Float32Array (copied; rounds float64 to nearest float32). */
export function decodeFloats(data: Uint8Array, dtype: string, count: number, littleEndian = true): Float32Array {
  const size = FLOAT_SIZES[dtype];
  if (size === undefined) throw new Error(`unsupported element type ${dtype}`);
  if (data.length < count * size) throw new Error(`needs ${count * size} bytes of ${dtype}, has ${data.length}`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (dtype === 'float32') out[i] = dv.getFloat32(i * 4, littleEndian);
    else if (dtype === 'float64') out[i] = dv.getFloat64(i * 8, littleEndian);
    else if (dtype === 'float16') out[i] = halfToFloat(dv.getUint16(i * 2, littleEndian));
    else out[i] = bf16ToFloat(dv.getUint16(i * 2, littleEndian));
  }
  return out;
}

/** Product of a shape's dimensions, refusing absurd ones before any allocation. */
export function elementCount(shape: number[], max: number, fail: (d: string) => never): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) fail(`bad dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
    if (n > max) fail(`shape [${shape.join(', ')}] holds more than ${max} values (the limit for a vector file)`);
  }
  return n;
}
