// Defect 4 (issue 10): two annotate runs on one results file both exited 0 and left 587 lines for
// 300 rows. A lock file beside the results file (src/engine/io/lock.ts) now holds the owner's pid,
// host and start time; a second writer (CLI, worker or extension: all go through the engine)
// fails fast naming the holder and changes nothing; a lock whose owner died is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { ResponseError } from 'vscode-jsonrpc/node';
import { acquireLock, isStale, LOCK_SCHEMA, LockHeldError, lockPathFor, readLock, type LockOwner } from '../../src/engine/io/lock';
import { resultsFileRefusal } from '../../src/extension/experiments/results';
import { Annotate, ErrorCodes, LoadModel } from '../../src/protocol/rpc';
import { FIXTURE_MODEL, startClient } from '../unit/worker-harness';
import { BIN, cli, noStack, ROOT, tempDir, writeRows } from './annotate-helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A live process that is not us, to stand for another run holding a lock. */
function sleeper(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
}
function procStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
function writeLockFor(target: string, pid: number, extra: Partial<LockOwner> = {}): void {
  const ps = procStartOf(pid);
  const owner: LockOwner = { schema: LOCK_SCHEMA, pid, host: hostname(), started: '2026-01-01T00:00:00.000Z', purpose: 'annotate', token: 'feedface', ...(ps ? { procStart: ps } : {}), ...extra };
  writeFileSync(lockPathFor(target), JSON.stringify(owner) + '\n');
}
function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.on('exit', () => resolve())));
}

test('the lock: held, refused by name, released; stale (dead pid, reused pid) taken over; foreign host and garbage kept', async () => {
  const dir = tempDir('lock');
  const target = path.join(dir, 'r.jsonl');
  const a = acquireLock(target, 'annotate');
  assert.deepEqual([readLock(a.file)?.pid, readLock(a.file)?.host], [process.pid, hostname()]);
  assert.throws(() => acquireLock(target, 'annotate'), (e: unknown) => e instanceof LockHeldError && new RegExp(`annotate run, pid ${process.pid} on ${hostname()}`).test(e.message));
  a.release();
  a.release();
  assert.ok(!existsSync(a.file));

  // Owner dead: taken over.
  const dead = sleeper();
  const deadPid = dead.pid!;
  dead.kill('SIGKILL');
  await exited(dead);
  writeLockFor(target, deadPid);
  assert.equal(isStale(readLock(lockPathFor(target))!), true);
  const b = acquireLock(target, 'annotate');
  assert.equal(readLock(b.file)?.pid, process.pid);
  b.release();

  // A pid now used by another process (its start time differs): stale too.
  if (process.platform === 'linux') {
    writeLockFor(target, process.pid, { procStart: '1' });
    acquireLock(target, 'annotate').release();
  }

  // Another host: cannot tell, so it is held, and the message says how to clear it.
  writeLockFor(target, deadPid, { host: 'elsewhere.example' });
  assert.throws(() => acquireLock(target, 'annotate'), /pid \d+ on elsewhere\.example.*if that run is gone, delete/);
  // Not a lock of ours: kept, with a message.
  writeFileSync(lockPathFor(target), 'hello\n');
  assert.throws(() => acquireLock(target, 'annotate'), /not a lock file Refusal Lens can read; if no run is writing .* delete it/);
  assert.equal(readFileSync(lockPathFor(target), 'utf8'), 'hello\n');
  // Release removes only its own lock.
  writeLockFor(target, deadPid);
  const c = acquireLock(target, 'annotate');
  writeLockFor(target, process.pid, { token: 'other' });
  c.release();
  assert.ok(existsSync(lockPathFor(target)), 'released a lock it no longer held');
});

test('two CLI runs on one results file: the second fails fast naming the first; every row once', async () => {
  const dir = tempDir('twowriters');
  const N = 12;
  const data = writeRows(dir, N);
  const out = path.join(dir, 'r.jsonl');
  const args = ['annotate', 'builtin', data, '--out', out, '-n', '8', '--batch-size', '1', '--layers', '5'];
  const first = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let firstErr = '';
  first.stderr!.on('data', (d) => (firstErr += d));
  const firstDone = new Promise<number | null>((resolve) => first.on('close', (code) => resolve(code)));
  const t0 = Date.now();
  while (!existsSync(lockPathFor(out))) {
    assert.ok(Date.now() - t0 < 30000, `the first run took no lock: ${firstErr}`);
    await sleep(20);
  }
  // Paused while the second run tries: on a busy machine the first could otherwise finish first.
  first.kill('SIGSTOP');
  const second = await cli(args).finally(() => first.kill('SIGCONT'));
  const firstCode = await firstDone;
  assert.equal(second.code, 1, second.err);
  assert.ok(noStack(second), second.err);
  assert.match(second.err, new RegExp(`in use by another annotate run, pid ${first.pid} on ${hostname()}, started \\d{4}-`));
  assert.equal(firstCode, 0, firstErr);
  const ids = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
  assert.deepEqual(ids, Array.from({ length: N }, (_, i) => `r${i}`));
  assert.ok(!existsSync(lockPathFor(out)), 'lock left behind');
});

test('a run SIGKILLed while holding the lock: the next run takes it over and finishes the file', async () => {
  const dir = tempDir('killed');
  const data = writeRows(dir, 6);
  const out = path.join(dir, 'r.jsonl');
  const args = ['annotate', 'builtin', data, '--out', out, '-n', '8', '--batch-size', '1', '--layers', '5'];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: 'ignore' });
  const t0 = Date.now();
  while (!existsSync(lockPathFor(out))) {
    assert.ok(Date.now() - t0 < 30000, 'no lock taken');
    await sleep(10);
  }
  child.kill('SIGKILL');
  await exited(child);
  assert.equal(readLock(lockPathFor(out))?.pid, child.pid, 'the killed run left its lock');
  const r = await cli(args);
  assert.equal(r.code, 0, r.err);
  assert.equal(readFileSync(out, 'utf8').trimEnd().split('\n').length, 6);
  assert.ok(!existsSync(lockPathFor(out)));
});

test('the worker takes the same lock: refused with ResultsRefused naming the holder, then runs once it is gone', async () => {
  const dir = tempDir('workerlock');
  const data = writeRows(dir, 3);
  const out = path.join(dir, 'r.jsonl');
  const holder = sleeper();
  const t = await startClient();
  try {
    await t.client.request(LoadModel, { folder: FIXTURE_MODEL });
    writeLockFor(out, holder.pid!);
    // The extension checks the same lock before it asks the worker.
    assert.match(resultsFileRefusal(out, false)!, new RegExp(`r\\.jsonl is being written by another annotate run, pid ${holder.pid} on `));
    const params = { runId: 'w', dataset: data, out, layers: [1], positions: ['last_prompt' as const], decoding: { maxNewTokens: 4 } };
    await assert.rejects(t.client.request(Annotate, params), (e: unknown) => {
      assert.ok(e instanceof ResponseError);
      assert.equal(e.code, ErrorCodes.ResultsRefused);
      assert.deepEqual(e.data, { problem: 'locked' });
      assert.match(e.message, new RegExp(`annotate run, pid ${holder.pid} on `));
      return true;
    });
    assert.ok(!existsSync(out), 'the refused run wrote the results file');
    holder.kill('SIGKILL');
    await exited(holder);
    const res = await t.client.request(Annotate, params);
    assert.deepEqual([res.ran, res.errors], [3, 0]);
    assert.ok(!existsSync(lockPathFor(out)));
  } finally {
    holder.kill('SIGKILL');
    await t.client.stop();
  }
});
