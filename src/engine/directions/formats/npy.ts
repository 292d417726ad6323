// NumPy .npy (format versions 1–3): magic "\x93NUMPY", version, header length, a Python-literal
// dict {'descr', 'fortran_order', 'shape'}, then raw data. Only float arrays are vectors.
import { LIMITS } from '../../../protocol/limits';
import { decodeFloats, elementCount, FLOAT_SIZES, type RawTensor, VectorFormatError } from './tensor';

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR: Record<string, string> = { f4: 'float32', f8: 'float64', f2: 'float16' };

export function isNpy(bytes: Uint8Array): boolean {
  return NPY_MAGIC.every((b, i) => bytes[i] === b);
}

export function readNpy(bytes: Uint8Array, file: string): RawTensor {
  const fail = (d: string): never => {
    throw new VectorFormatError(file, d);
  };
  if (!isNpy(bytes) || bytes.length < 10) fail('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (major < 1 || major > 3) fail(`.npy format version ${major} is not one numpy writes (1–3)`);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + hlen > bytes.length) fail(`truncated .npy file: header says ${hlen} header bytes, ${bytes.length - start} follow`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + hlen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(`bad .npy header: ${JSON.stringify(header.trim())}`);
  const m = /^([<>|=])([a-z])(\d+)$/.exec(descr!);
  const kind = m ? DESCR[`${m[2]}${m[3]}`] : undefined;
  if (!m || !kind) fail(`.npy element type '${descr}' is not a float array (want float32, float64 or float16: arr.astype(np.float32))`);
  if (m![1] === '>') fail(`.npy data is big-endian ('${descr}'); save it little-endian (arr.astype('<f4'))`);
  const shape = shapeText!.split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`bad .npy shape (${shapeText})`);
  const count = elementCount(shape, LIMITS.directionValues, fail);
  const size = FLOAT_SIZES[kind!]!;
  const data = bytes.subarray(start + hlen);
  if (data.length < count * size) fail(`truncated .npy file: shape [${shape.join(', ')}] of ${kind} needs ${count * size} data bytes, the file holds ${data.length}`);
  if (data.length > count * size) fail(`${data.length - count * size} bytes after the array's data`);
  let values = decodeFloats(data, kind!, count);
  if (fortran === 'True' && shape.length === 2) {
    // Column-major on disk: transpose into our row-major order.
    const [r, c] = shape as [number, number];
    const t = new Float32Array(count);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[i * c + j] = values[j * r + i]!;
    values = t;
  } else if (fortran === 'True' && shape.length > 2) fail('Fortran-ordered arrays of more than 2 dimensions are not supported (np.ascontiguousarray)');
  return { shape, values, dtype: kind! };
}

/** A version-1 .npy of little-endian float32, C order, header padded to 64 bytes as numpy does. */
export function writeNpy(values: Float32Array, shape: number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + values.length * 4);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const dv = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i]!, true);
  return out;
}
