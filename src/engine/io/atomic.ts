// Writing files so that a crash, a full disk or a read-only folder never leaves a 0-byte or
// half-written file where a good one was: write a temp file in the same folder, fsync it, then
// rename it over the target (atomic on POSIX file systems). Errors name the file and the reason.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

/** Injection point for tests (a disk that fills up mid-write) without root or tmpfs tricks. */
export interface WriteHooks {
  /** Writes all of `data` to `fd`; `target` is the file it will become. Default: fs.writeSync in a loop. */
  write?: (fd: number, data: Uint8Array, target: string) => void;
}

/** A file that could not be written: `file` is the target, `reason` says why in words. */
export class FileWriteError extends Error {
  constructor(readonly file: string, readonly reason: string, readonly code?: string) {
    super(`cannot write ${file}: ${reason}`);
    this.name = 'FileWriteError';
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  ENOENT: 'no such folder',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  EMFILE: 'too many open files',
};

/** "no space left on the device (ENOSPC)" for a Node fs error; the message otherwise. */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code && REASONS[code]) return `${REASONS[code]} (${code})`;
  return (e as Error)?.message ?? String(e);
}

export function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files a killed writer of `names` (in `dir`) left behind: only names of our
 * pattern (`.<name>.<pid>.<8 hex>.tmp`) whose writer pid is dead on this host, so a live
 * writer's temps and anyone else's files stay. Returns the paths removed; failures are ignored
 * (a temp left over is clutter, not harm).
 */
export function removeStaleTemps(dir: string, names: readonly string[]): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const ours = new Set(names);
  const removed: string[] = [];
  for (const e of entries) {
    const m = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(e);
    if (!m || !ours.has(m[1]!) || pidAlive(Number(m[2]))) continue;
    try {
      unlinkSync(path.join(dir, e));
      removed.push(path.join(dir, e));
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}

/**
 * Writes every file or none: all go to fsync'd temp files first, and only when every one is
 * complete are they renamed over their targets. On failure the temps are removed, the targets
 * (and any earlier versions of them) are untouched, and a FileWriteError names the file.
 */
export function writeFilesAtomic(entries: readonly { file: string; data: string | Uint8Array }[], hooks: WriteHooks = {}): void {
  const temps: { tmp: string; file: string }[] = [];
  const write = hooks.write ?? ((fd: number, data: Uint8Array) => writeAll(fd, data));
  try {
    for (const { file, data } of entries) {
      const tmp = tempName(file);
      let fd: number;
      try {
        fd = openSync(tmp, 'wx', 0o666);
      } catch (e) {
        throw new FileWriteError(file, fsReason(e), (e as NodeJS.ErrnoException).code);
      }
      temps.push({ tmp, file });
      try {
        write(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, file);
        fsyncSync(fd);
      } catch (e) {
        throw new FileWriteError(file, fsReason(e), (e as NodeJS.ErrnoException).code);
      } finally {
        closeSync(fd);
      }
    }
    for (const { tmp, file } of temps) {
      try {
        renameSync(tmp, file);
      } catch (e) {
        throw new FileWriteError(file, fsReason(e), (e as NodeJS.ErrnoException).code);
      }
    }
  } catch (e) {
    for (const { tmp } of temps) {
      try {
        unlinkSync(tmp);
      } catch {
        // renamed already, or never created
      }
    }
    throw e;
  }
  for (const dir of new Set(entries.map((x) => path.dirname(x.file)))) syncDir(dir);
}

export function writeFileAtomic(file: string, data: string | Uint8Array, hooks: WriteHooks = {}): void {
  writeFilesAtomic([{ file, data }], hooks);
}

/** fsync a folder so renames in it survive a power cut; best effort (not every platform allows it). */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // e.g. EISDIR/EPERM on some file systems: the data itself is already fsync'd
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The nearest existing ancestor of `p` (p itself if it exists). */
function existingAncestor(p: string): string {
  let cur = path.resolve(p);
  for (;;) {
    try {
      statSync(cur);
      return cur;
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return cur;
      cur = up;
    }
  }
}

/**
 * Makes sure `dir` exists (creating it and its parents) and that a file can be created in it,
 * before any long work starts. Throws an Error saying which folder and why.
 */
export function ensureWritableDir(dir: string, what = 'the output folder'): void {
  const abs = path.resolve(dir);
  try {
    mkdirSync(abs, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const anc = existingAncestor(abs);
    let isFile = false;
    try {
      isFile = !statSync(anc).isDirectory();
    } catch {
      isFile = false;
    }
    if (isFile || code === 'ENOTDIR' || code === 'EEXIST') {
      throw new Error(`cannot use ${what} ${abs}: ${anc} is a file, not a folder`);
    }
    throw new Error(`cannot create ${what} ${abs}: ${fsReason(e)}`);
  }
  const probe = path.join(abs, `.refusal-lens-write-test.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx', 0o666));
  } catch (e) {
    throw new Error(`cannot write in ${what} ${abs}: ${fsReason(e)}`);
  }
  try {
    unlinkSync(probe);
  } catch {
    // a probe left behind is harmless
  }
}

/**
 * The async form for large outputs written in parts (a built or rewritten graph): the parts go
 * to a temp file beside `file`, fsync'd, then renamed over it; on failure the temp file is removed.
 */
export async function writePartsAtomic(file: string, parts: readonly Uint8Array[]): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await fsp.open(tmp, 'wx');
  try {
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += (await fh.write(p, off, p.length - off)).bytesWritten;
    }
    await fh.sync();
    await fh.close();
    await fsp.rename(tmp, file);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
}
