// A small zip reader and writer for PyTorch's zip container (torch.save since 1.6): entries are
// stored (uncompressed) by torch, deflated when someone re-zips a file; CRCs are checked so a
// truncated or damaged file is an error naming the entry, never wrong numbers.
import { inflateRawSync } from 'node:zlib';
import { VectorFormatError } from './tensor';

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Entries a vector archive may hold: a tensor per layer plus a few records. */
const MAX_ENTRIES = 4096;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntry {
  name: string;
  /** Reads (and inflates) the entry, checking its size and CRC. */
  read(): Uint8Array;
  size: number;
}

/** Lists a zip's entries; `maxEntryBytes` bounds each entry's uncompressed size. */
export function readZip(bytes: Uint8Array, file: string, maxEntryBytes: number): Map<string, ZipEntry> {
  const fail = (d: string): never => {
    throw new VectorFormatError(file, d);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('truncated or damaged zip archive: no end-of-central-directory record (the file was cut short?)');
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (eocd >= 20 && dv.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const at = Number(dv.getBigUint64(eocd - 20 + 8, true));
    if (at + 56 > bytes.length || dv.getUint32(at, true) !== ZIP64_EOCD) fail('damaged zip64 end-of-central-directory record');
    count = Number(dv.getBigUint64(at + 32, true));
    cdSize = Number(dv.getBigUint64(at + 40, true));
    cdOffset = Number(dv.getBigUint64(at + 48, true));
  }
  if (count > MAX_ENTRIES) fail(`zip archive lists ${count} entries; a vector file holds at most ${MAX_ENTRIES}`);
  if (cdOffset + cdSize > bytes.length) fail('truncated zip archive: the central directory lies past the end of the file');
  const entries = new Map<string, ZipEntry>();
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || dv.getUint32(p, true) !== CENTRAL) fail(`damaged zip central directory at entry ${k}`);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nlen = dv.getUint16(p + 28, true);
    const xlen = dv.getUint16(p + 30, true);
    const clen = dv.getUint16(p + 32, true);
    let local = dv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nlen));
    // zip64 extra field: the 0xFFFFFFFF fields follow in order (usize, csize, offset).
    let x = p + 46 + nlen;
    const xend = x + xlen;
    while (x + 4 <= xend) {
      const id = dv.getUint16(x, true);
      const sz = dv.getUint16(x + 2, true);
      if (id === 1) {
        let q = x + 4;
        if (usize === 0xffffffff) (usize = Number(dv.getBigUint64(q, true))), (q += 8);
        if (csize === 0xffffffff) (csize = Number(dv.getBigUint64(q, true))), (q += 8);
        if (local === 0xffffffff) local = Number(dv.getBigUint64(q, true));
      }
      x += 4 + sz;
    }
    p = xend + clen;
    if (usize > maxEntryBytes) fail(`zip entry '${name}' is ${usize} bytes, over the ${maxEntryBytes}-byte limit for a vector file`);
    if (method !== 0 && method !== 8) fail(`zip entry '${name}' uses compression method ${method}; only stored and deflate are read`);
    const entryName = name;
    entries.set(name, {
      name,
      size: usize,
      read() {
        if (local + 30 > bytes.length || dv.getUint32(local, true) !== LOCAL) fail(`damaged zip archive: no local header for '${entryName}'`);
        const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
        if (start + csize > bytes.length) fail(`truncated zip archive: entry '${entryName}' needs ${csize} bytes at ${start}, the file ends at ${bytes.length}`);
        const raw = bytes.subarray(start, start + csize);
        let data: Uint8Array;
        if (method === 0) data = raw;
        else {
          try {
            data = inflateRawSync(raw, { maxOutputLength: Math.max(1, usize) });
          } catch (e) {
            return fail(`zip entry '${entryName}' does not inflate: ${(e as Error).message}`);
          }
        }
        if (data.length !== usize) fail(`zip entry '${entryName}' holds ${data.length} bytes, its header says ${usize}`);
        if (crc32(data) !== crc) fail(`zip entry '${entryName}' fails its CRC check (damaged file)`);
        return data;
      },
    });
  }
  return entries;
}

/**
 * A stored (uncompressed) zip, each entry's data aligned to 64 bytes with a padding extra field,
 * as PyTorch's writer does (torch.load can then memory-map it).
 */
export function writeZip(files: Array<{ name: string; data: Uint8Array }>): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = enc.encode(f.name);
    const crc = crc32(f.data);
    const base = offset + 30 + name.length;
    const pad = (64 - ((base + 4) % 64)) % 64; // extra field header (4) + padding
    const local = new Uint8Array(30 + name.length + 4 + pad);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, LOCAL, true);
    lv.setUint16(4, 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, f.data.length, true);
    lv.setUint32(22, f.data.length, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, 4 + pad, true);
    local.set(name, 30);
    lv.setUint16(30 + name.length, 0x4246, true); // "FB", torch's padding record
    lv.setUint16(32 + name.length, pad, true);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, CENTRAL, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, f.data.length, true);
    cv.setUint32(24, f.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    chunks.push(local, f.data);
    central.push(cd);
    offset += local.length + f.data.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, EOCD, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let at = 0;
  for (const c of [...chunks, ...central, end]) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
