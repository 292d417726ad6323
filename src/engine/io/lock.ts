// An advisory lock on a file we write (`<target>.lock`), so two runs never append to one file.
// The lock file holds its owner as JSON (pid, host, start time and, on Linux, the process's start
// tick so a reused pid is not mistaken for the owner). It is created whole and atomically (written
// to a temporary name, then hard-linked into place, which fails if a lock exists), so a reader
// never sees a half-written lock. A lock whose owner is dead on this host is stale and taken over;
// a live owner, or one on another host, makes acquire fail fast, naming who holds it.
import { linkSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, closeSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

export const LOCK_SCHEMA = 'refusal-lens.lock/1';

export interface LockOwner {
  schema: typeof LOCK_SCHEMA;
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  /** What holds it, e.g. "annotate". */
  purpose: string;
  /** Linux: the owner's start time in clock ticks since boot (/proc/PID/stat field 22). */
  procStart?: string;
  /** Random per acquisition: release removes only its own lock. */
  token: string;
}

export class LockHeldError extends Error {
  constructor(
    message: string,
    readonly lockFile: string,
    readonly owner: LockOwner | undefined,
  ) {
    super(message);
    this.name = 'LockHeldError';
  }
}

export interface FileLock {
  readonly file: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): void;
}

export function lockPathFor(target: string): string {
  return `${target}.lock`;
}

function procStart(pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count fields after its closing ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/** The owner recorded in a lock file, or undefined when there is none or it is not a lock of ours. */
export function readLock(lockFile: string): LockOwner | undefined {
  try {
    const x = JSON.parse(readFileSync(lockFile, 'utf8')) as Partial<LockOwner>;
    if (x?.schema === LOCK_SCHEMA && Number.isInteger(x.pid) && typeof x.host === 'string' && typeof x.token === 'string') return x as LockOwner;
  } catch {
    // absent or unreadable
  }
  return undefined;
}

/** Whether `owner` is certainly gone: same host, and its pid is dead or now another process. */
export function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  if (!alive(owner.pid)) return true;
  if (owner.procStart === undefined) return false;
  const now = procStart(owner.pid);
  return now !== undefined && now !== owner.procStart;
}

/** The live owner of `target`'s lock, if any (a stale or unreadable lock gives undefined): for early checks and status. */
export function lockHolder(target: string): LockOwner | undefined {
  const o = readLock(lockPathFor(target));
  return o && !isStale(o) ? o : undefined;
}

export function describeOwner(o: LockOwner): string {
  return `${o.purpose} run, pid ${o.pid} on ${o.host}, started ${o.started}`;
}

/** Creates `lockFile` holding `text`, atomically; false if it exists. */
function createWhole(lockFile: string, text: string): boolean {
  const tmp = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { flag: 'wx' });
  try {
    linkSync(tmp, lockFile);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    // No hard links on this file system: exclusive create, then write (a reader may briefly see it empty).
    let fd: number;
    try {
      fd = openSync(lockFile, 'wx');
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    return true;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

/**
 * Takes the lock on `target` (the file `<target>.lock`) or throws LockHeldError naming the owner.
 * A stale lock (owner dead on this host) is moved aside and removed, then taking it is retried.
 */
export function acquireLock(target: string, purpose: string): FileLock {
  const file = lockPathFor(target);
  const tick = procStart(process.pid);
  const owner: LockOwner = {
    schema: LOCK_SCHEMA,
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    purpose,
    ...(tick !== undefined ? { procStart: tick } : {}),
    token: randomBytes(8).toString('hex'),
  };
  const text = JSON.stringify(owner) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createWhole(file, text)) return handle(file, owner);
    const held = readLock(file);
    if (!held) {
      let raw = '';
      try {
        raw = readFileSync(file, 'utf8');
      } catch {
        continue; // removed meanwhile: try again
      }
      if (raw === '' && attempt < 4) continue; // a no-hard-link writer between create and write
      throw new LockHeldError(`${file} exists but is not a lock file Refusal Lens can read; if no run is writing ${target}, delete it`, file, undefined);
    }
    if (!isStale(held)) {
      throw new LockHeldError(
        `${target} is in use by another ${describeOwner(held)} (lock file ${file}); wait for it to finish or stop it` +
          (held.host !== hostname() ? `; if that run is gone, delete ${file}` : ''),
        file,
        held,
      );
    }
    // Stale: move it aside, and remove it only if what we moved is the stale lock we judged.
    const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      renameSync(file, aside);
    } catch {
      continue; // someone else moved it: look again
    }
    const moved = readLock(aside);
    if (moved?.token === held.token) unlinkSync(aside);
    else {
      // A fresh lock taken in between: put it back unless yet another one appeared.
      try {
        linkSync(aside, file);
      } catch {
        // another run holds the lock now; the next attempt reports it
      }
      unlinkSync(aside);
    }
  }
  const last = readLock(file);
  throw new LockHeldError(`${target} is in use${last ? ` by another ${describeOwner(last)}` : ''} (lock file ${file})`, file, last);
}

function handle(file: string, owner: LockOwner): FileLock {
  let released = false;
  return {
    file,
    owner,
    release() {
      if (released) return;
      released = true;
      if (readLock(file)?.token !== owner.token) return;
      try {
        unlinkSync(file);
      } catch {
        // gone already
      }
    },
  };
}
