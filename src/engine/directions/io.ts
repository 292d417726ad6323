// Reading and writing direction files on disk. Writes are atomic (temp file + rename) so a crash
// or a concurrent reader never sees half a file.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { FileReadError, readBoundedFile } from '../io/read';
import { LIMITS } from '../../protocol/limits';
import { DirectionFileError, parseDirection, serializeDirection, type Direction, type DirectionExpect } from './direction';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The most bytes a direction file may hold, from its 8-byte header length: the header plus one
 * float32 per layer and dimension (of the model when it is known, else LIMITS.directionValues).
 */
export function directionFileBound(head: Uint8Array, size: number, expect?: DirectionExpect): number {
  if (head.length < 8) return size; // too short: the parser says so
  const headerLen = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(LIMITS.safetensorsHeaderBytes)) {
    throw new Error(`not a safetensors file: header length ${headerLen} is over the ${LIMITS.safetensorsHeaderBytes}-byte limit (first 8 bytes must be a little-endian u64 header size)`);
  }
  const values = expect ? expect.nLayers * expect.dModel : LIMITS.directionValues;
  const bound = 8 + Number(headerLen) + values * 4;
  if (expect && size > bound) {
    // Say why, not just how much: the usual cause is an axis of a larger model.
    throw new Error(
      `${size} bytes is more than a direction file for this model can hold (${8 + Number(headerLen)} header bytes + ${expect.nLayers} layers × ${expect.dModel} × 4 = ${bound}): ` +
        'it is from a larger model, or has bytes after its data',
    );
  }
  return bound;
}

/** Reads and checks a direction file; see parseDirection for what is checked. */
export async function readDirection(file: string, expect?: DirectionExpect): Promise<Direction> {
  let bytes: Uint8Array;
  try {
    bytes = readBoundedFile(file, {
      what: 'direction file',
      maxBytes: 8 + LIMITS.safetensorsHeaderBytes + LIMITS.directionValues * 4,
      head: { bytes: 8, limit: (head, size) => directionFileBound(head, size, expect) },
    });
  } catch (e) {
    if (e instanceof FileReadError) throw new DirectionFileError(file, e.detail);
    throw e;
  }
  const dir = parseDirection(bytes, file, expect);
  dir.file = file;
  dir.sha256 = sha256Hex(bytes);
  return dir;
}

/** Writes `dir` to `file` atomically; returns the sha256 (hex) of the bytes written. */
export async function writeDirection(file: string, dir: Direction): Promise<string> {
  const bytes = serializeDirection(dir);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    // `--out axes/persona.safetensors` in a fresh folder (the README's first command) makes axes/.
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new DirectionFileError(file, `cannot write: ${(e as Error).message}`);
  }
  return sha256Hex(bytes);
}
