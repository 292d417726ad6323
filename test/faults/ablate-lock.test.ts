// Two `ablate` runs into one output folder both appended to its progress.jsonl and both wrote the
// receipt. The run now holds a lock on the folder (progress.jsonl.lock, src/engine/io/lock.ts, the
// same lock annotate takes) from before its first write to after its last: a second run fails
// fast naming the holder and changes nothing; the lock is released on every exit path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { lockPathFor } from '../../src/engine/io/lock';
import { receiptProblem } from '../../src/engine/experiments/receipt-check';
import { BIN, cli, noStack, ROOT, tempDir } from './annotate-helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function conditionFile(dir: string): string {
  const cf = path.join(dir, 'c.yaml');
  writeFileSync(cf, ['sets: { harmful: { builtin: harmful, limit: 4 } }', 'decoding: { maxNewTokens: 4 }', 'batchSize: 1', 'conditions:', '  - { name: baseline, set: harmful }'].join('\n'));
  return cf;
}

test('two ablate runs into one folder: the second fails fast naming the first; the first finishes; no lock left', async () => {
  const dir = tempDir('ablatelock');
  const cf = conditionFile(dir);
  const out = path.join(dir, 'out');
  const lock = lockPathFor(path.join(out, 'progress.jsonl'));
  const first = spawn(process.execPath, [BIN, 'ablate', cf, '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let firstErr = '';
  first.stderr!.on('data', (d) => (firstErr += d));
  const firstDone = new Promise<number | null>((resolve) => first.on('close', (code) => resolve(code)));
  const t0 = Date.now();
  while (!existsSync(lock)) {
    assert.ok(Date.now() - t0 < 30000 && first.exitCode === null, `the first run took no lock: ${firstErr}`);
    await sleep(10);
  }
  // Paused while the second run tries: on a busy machine the first could otherwise finish first.
  first.kill('SIGSTOP');
  const progressNow = () => (existsSync(path.join(out, 'progress.jsonl')) ? readFileSync(path.join(out, 'progress.jsonl'), 'utf8') : '');
  const before = progressNow();
  const second = await cli(['ablate', cf, '--out', out]).finally(() => first.kill('SIGCONT'));
  const during = progressNow();
  assert.equal(second.code, 1, second.err);
  assert.ok(noStack(second), second.err);
  assert.match(second.err, new RegExp(`in use by another ablate run, pid ${first.pid} on ${hostname()}, started \\d{4}-`));
  assert.doesNotMatch(second.err, /ablate\s+\d+\/\d+/, 'the second run generated');
  assert.equal(during, before, 'the second run wrote the progress file');
  assert.equal(await firstDone, 0, firstErr);
  // The receipt records the device the model ran on; receipt-check accepts receipts without it.
  const receipt = JSON.parse(readFileSync(path.join(out, 'receipt.json'), 'utf8'));
  assert.equal(receipt.model.device, 'cpu');
  assert.equal(receiptProblem(receipt), undefined);
  delete receipt.model.device;
  assert.equal(receiptProblem(receipt), undefined);
  assert.match(receiptProblem({ ...receipt, model: { ...receipt.model, device: 3 } })!, /model\.device/);
  assert.equal(readFileSync(path.join(out, 'responses.jsonl'), 'utf8').trimEnd().split('\n').length, 4);
  assert.ok(!existsSync(lock), 'lock left behind');
  // A run that fails (here: a foreign progress file) releases the lock too.
  writeFileSync(path.join(out, 'progress.jsonl'), 'not ours\n');
  const bad = await cli(['ablate', cf, '--out', out]);
  assert.equal(bad.code, 1, bad.err);
  assert.ok(!existsSync(lock), 'lock left behind by a failed run');
});

test('ablate --shard holds the lock of its shard folder', async () => {
  const dir = tempDir('ablatelockshard');
  const cf = conditionFile(dir);
  const base = path.join(dir, 'out');
  const shardDir = `${base}.shard-1-of-2`;
  const lock = lockPathFor(path.join(shardDir, 'progress.jsonl'));
  const first = spawn(process.execPath, [BIN, 'ablate', cf, '--out', base, '--shard', '1/2'], { cwd: ROOT, stdio: 'ignore' });
  const firstDone = new Promise<number | null>((resolve) => first.on('close', (code) => resolve(code)));
  const t0 = Date.now();
  while (!existsSync(lock)) {
    assert.ok(Date.now() - t0 < 30000 && first.exitCode === null, 'the shard run took no lock');
    await sleep(10);
  }
  first.kill('SIGSTOP');
  const second = await cli(['ablate', cf, '--out', base, '--shard', '1/2']).finally(() => first.kill('SIGCONT'));
  assert.equal(second.code, 1, second.err);
  assert.match(second.err, new RegExp(`in use by another ablate run, pid ${first.pid} on `));
  assert.equal(await firstDone, 0);
  assert.ok(!existsSync(lock));
});
