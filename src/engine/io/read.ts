// The one way the engine reads a file it is given: regular files only, with a size bound checked
// before the bytes are read. A FIFO, a device (/dev/zero) or a folder is refused after a stat,
// never opened for a blocking read; a file over its bound is refused before it is read.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { formatBytes } from '../../protocol/limits';

/** A refused or failed read; `detail` says why without the file name, `message` names the file. */
export class FileReadError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly code?: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'FileReadError';
  }
}

export interface BoundedReadOptions {
  /** What the file is, for messages: "prompt file", "direction file". */
  what: string;
  /** The most bytes the file may hold. */
  maxBytes: number;
  /**
   * For formats whose size follows from a header: read `bytes` first, then `limit(head)` is the
   * most the whole file may hold (it may throw a message, e.g. for an implausible header).
   */
  head?: { bytes: number; limit: (head: Buffer, size: number) => number };
}

function kind(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'a special file';
}

function notRegular(file: string, s: Stats, what: string): FileReadError {
  return new FileReadError(file, `is ${kind(s)}, not a regular file (wanted: ${what})`);
}

function tooBig(file: string, size: number, max: number, what: string): FileReadError {
  return new FileReadError(file, `${size} bytes is over the ${formatBytes(max)} limit for a ${what}`);
}

function failure(file: string, e: unknown): FileReadError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new FileReadError(file, 'no such file', code);
  return new FileReadError(file, `cannot read: ${(e as Error).message}`, code);
}

/** Throws FileReadError unless `file` is a regular file (for files others open by path, e.g. ONNX graphs). */
export function assertRegularFile(file: string, what: string): void {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    throw failure(file, e);
  }
  if (!st.isFile()) throw notRegular(file, st, what);
}

/** Reads a regular file of at most `opts.maxBytes` bytes; throws FileReadError otherwise. */
export function readBoundedFile(file: string, opts: BoundedReadOptions): Buffer {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    throw failure(file, e);
  }
  if (!st.isFile()) throw notRegular(file, st, opts.what);
  if (st.size > opts.maxBytes) throw tooBig(file, st.size, opts.maxBytes, opts.what);
  let fd: number;
  try {
    // O_NONBLOCK: should the path have been swapped for a FIFO since the stat, open still returns.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw failure(file, e);
  }
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile()) throw notRegular(file, fst, opts.what);
    const size = fst.size;
    if (size > opts.maxBytes) throw tooBig(file, size, opts.maxBytes, opts.what);
    const buf = Buffer.alloc(size);
    let have = 0;
    const fill = (upTo: number) => {
      while (have < upTo) {
        const n = readSync(fd, buf, have, upTo - have, have);
        if (n === 0) break; // shrank while reading: keep what is there
        have += n;
      }
    };
    if (opts.head) {
      fill(Math.min(opts.head.bytes, size));
      let limit: number;
      try {
        limit = opts.head.limit(buf.subarray(0, have), size);
      } catch (e) {
        throw new FileReadError(file, (e as Error).message);
      }
      if (size > limit) throw new FileReadError(file, `${size} bytes is more than its header allows (at most ${limit} bytes for this ${opts.what})`);
    }
    fill(size);
    return have === size ? buf : buf.subarray(0, have);
  } catch (e) {
    if (e instanceof FileReadError) throw e;
    throw failure(file, e);
  } finally {
    closeSync(fd);
  }
}

/** readBoundedFile, decoded as UTF-8. */
export function readBoundedText(file: string, opts: BoundedReadOptions): string {
  return readBoundedFile(file, opts).toString('utf8');
}
