// PyTorch .pt / .pth (torch.save's zip format, 1.6+): `<archive>/data.pkl` is a pickle whose
// tensors point at raw little-endian storages `<archive>/data/<key>`. Read with the restricted
// unpickler (pickle.ts), so loading a file never runs code; written the way torch.save writes it.
import { LIMITS } from '../../../protocol/limits';
import { unpickle, type PyValue } from './pickle';
import { decodeFloats, FLOAT_SIZES, type LayerVectors, type RawTensor, VectorFormatError } from './tensor';
import { isZip, readZip, writeZip } from './zip';

const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16',
};
/** Bytes of the pickle itself: a dict of a few hundred layers is a few kB. */
const MAX_PICKLE_BYTES = 16 * 1024 * 1024;
/** torch's legacy (pre-1.6) files start with a pickled magic number. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

export function looksLikePickle(bytes: Uint8Array): boolean {
  return bytes[0] === 0x80 && bytes[1]! >= 2 && bytes[1]! <= 5;
}

export function readPt(bytes: Uint8Array, file: string): RawTensor | LayerVectors {
  const fail = (d: string): never => {
    throw new VectorFormatError(file, d);
  };
  if (!isZip(bytes)) {
    if (LEGACY_MAGIC.every((b, i) => bytes[i] === b)) {
      fail("is in PyTorch's legacy (pre-1.6) format, which is not read; re-save it with a current torch: torch.save(torch.load(path), path)");
    }
    if (looksLikePickle(bytes)) {
      // A bare pickle: unpickle it (restricted) so a hostile one is named, then say what we want.
      unpickle(bytes.subarray(0, Math.min(bytes.length, MAX_PICKLE_BYTES)), file, 'pickle');
      fail('is a bare pickle, not a torch.save zip archive; save the tensor with torch.save(t, path)');
    }
    fail('is not a PyTorch file (torch.save writes a zip archive starting with "PK")');
  }
  const maxEntry = LIMITS.directionValues * 8;
  const entries = readZip(bytes, file, maxEntry);
  const pkls = [...entries.keys()].filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (pkls.length !== 1) fail(`zip archive holds ${pkls.length} data.pkl records; torch.save writes exactly one`);
  const prefix = pkls[0]!.slice(0, -'data.pkl'.length);
  const order = entries.get(`${prefix}byteorder`);
  if (order) {
    const o = new TextDecoder().decode(order.read()).trim();
    if (o !== 'little') fail(`tensor data is ${o}-endian; only little-endian files are read`);
  }
  const pklEntry = entries.get(pkls[0]!)!;
  if (pklEntry.size > MAX_PICKLE_BYTES) fail(`data.pkl is ${pklEntry.size} bytes, over the ${MAX_PICKLE_BYTES}-byte limit`);
  const root = unpickle(pklEntry.read(), file, pkls[0]!);
  // Several tensors may view one storage (rows of a stacked tensor): decode each once.
  const decoded = new Map<string, Float32Array>();
  const tensor = (v: PyValue, what: string): RawTensor => {
    if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || v.t !== 'tensor') return fail(`${what} is not a tensor`);
    const dtype = STORAGE_DTYPES[v.storage.storageType];
    if (!dtype) fail(`${what} is a ${v.storage.storageType.replace(/Storage$/, '')} tensor; a vector must hold floats (t.float())`);
    const entry = entries.get(`${prefix}data/${v.storage.key}`);
    if (!entry) fail(`${what}: storage record data/${v.storage.key} is missing from the archive (truncated file?)`);
    const size = FLOAT_SIZES[dtype!]!;
    if (entry!.size !== v.storage.numel * size) fail(`${what}: storage data/${v.storage.key} holds ${entry!.size} bytes, expected ${v.storage.numel} × ${size}`);
    const count = v.size.reduce((a, b) => a * b, 1);
    if (count > LIMITS.directionValues) fail(`${what} has ${count} values, over the limit of ${LIMITS.directionValues}`);
    let last = v.offset;
    v.size.forEach((s, i) => (last += s > 0 ? (s - 1) * v.stride[i]! : 0));
    if (count > 0 && last >= v.storage.numel) fail(`${what}: size and stride reach element ${last} of a ${v.storage.numel}-element storage`);
    let all = decoded.get(v.storage.key);
    if (!all) decoded.set(v.storage.key, (all = decodeFloats(entry!.read(), dtype!, v.storage.numel)));
    const values = new Float32Array(count);
    const idx = new Array<number>(v.size.length).fill(0);
    for (let k = 0; k < count; k++) {
      let o = v.offset;
      for (let d = 0; d < idx.length; d++) o += idx[d]! * v.stride[d]!;
      values[k] = all[o]!;
      for (let d = idx.length - 1; d >= 0; d--) {
        if (++idx[d]! < v.size[d]!) break;
        idx[d] = 0;
      }
    }
    return { shape: [...v.size], values, dtype: dtype! };
  };
  if (root && typeof root === 'object' && !Array.isArray(root) && !(root instanceof Uint8Array) && root.t === 'dict') {
    const keys = root.entries.map(([k]) => k);
    const layerOf = (k: PyValue) => (typeof k === 'number' ? k : typeof k === 'string' && /^\d+$/.test(k) ? Number(k) : undefined);
    if (keys.length && keys.every((k) => layerOf(k) !== undefined)) {
      const layers = new Map<number, Float32Array>();
      let dModel = -1;
      let dtype = 'float32';
      for (const [k, v] of root.entries) {
        const t = tensor(v, `layer ${String(k)}`);
        if (t.shape.length !== 1) fail(`layer ${String(k)} has shape [${t.shape.join(', ')}]; a dict of layers holds [d_model] vectors`);
        if (dModel >= 0 && t.shape[0] !== dModel) fail(`layer ${String(k)} has ${t.shape[0]} values, layer ${[...layers.keys()][0]} has ${dModel}`);
        dModel = t.shape[0]!;
        dtype = t.dtype;
        layers.set(layerOf(k)!, t.values);
      }
      return { layers, dModel, dtype };
    }
    const tensors = root.entries.filter(([, v]) => v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && v.t === 'tensor');
    if (tensors.length === 1) return tensor(tensors[0]![1], `entry ${JSON.stringify(tensors[0]![0])}`);
    fail(`holds a dict with keys ${keys.slice(0, 8).map((k) => JSON.stringify(k)).join(', ')}; expected a tensor or a dict of layer → tensor`);
  }
  return tensor(root, 'the saved object');
}

function pickleInt(n: number): number[] {
  if (n < 256) return [0x4b, n];
  if (n < 65536) return [0x4d, n & 0xff, n >> 8];
  const b = new Uint8Array(5);
  b[0] = 0x4a;
  new DataView(b.buffer).setInt32(1, n, true);
  return [...b];
}
function pickleStr(s: string): number[] {
  const b = new TextEncoder().encode(s);
  const n = new Uint8Array(4);
  new DataView(n.buffer).setUint32(0, b.length, true);
  return [0x58, ...n, ...b];
}
const ascii = (s: string) => [...new TextEncoder().encode(s)];

/** torch.save(tensor) of a float32 tensor: the zip records torch 1.13+ writes and torch.load reads. */
export function writePt(values: Float32Array, shape: number[], archive = 'archive'): Uint8Array {
  const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const tuple = (xs: number[]) => [0x28, ...xs.flatMap(pickleInt), 0x74];
  const pkl = [
    0x80, 0x02,
    0x63, ...ascii('torch._utils\n_rebuild_tensor_v2\n'),
    0x28,
    0x28, ...pickleStr('storage'), 0x63, ...ascii('torch\nFloatStorage\n'), ...pickleStr('0'), ...pickleStr('cpu'), ...pickleInt(values.length), 0x74, 0x51,
    ...pickleInt(0), ...tuple(shape), ...tuple(stride), 0x89,
    0x63, ...ascii('collections\nOrderedDict\n'), 0x29, 0x52,
    0x74, 0x52, 0x2e,
  ];
  const data = new Uint8Array(values.length * 4);
  const dv = new DataView(data.buffer);
  values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return writeZip([
    { name: `${archive}/data.pkl`, data: Uint8Array.from(pkl) },
    { name: `${archive}/byteorder`, data: new TextEncoder().encode('little') },
    { name: `${archive}/data/0`, data },
    { name: `${archive}/version`, data: new TextEncoder().encode('3\n') },
  ]);
}
