// Issue 10, defect 5, in the engine (the CLI and the worker both run ablateToFolder): finished
// batches are kept in the output folder and a rerun after a cancel, a torn line or a full disk
// resumes to the same receipt as an uninterrupted run; receipt files are written all-or-none, so a
// full disk leaves the previous receipt intact and says which file failed and why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { builtinModelFolder } from '../../src/engine/builtin';
import { loadModel, type LensModel } from '../../src/engine/index';
import { ablateToFolder, type AblateOptions } from '../../src/engine/experiments/ablate';
import { PROGRESS_FILE } from '../../src/engine/experiments/ablate-progress';
import { loadConditionFile } from '../../src/engine/experiments/conditions';
import { writeReceiptFiles } from '../../src/engine/experiments/receipt-files';
import type { WriteHooks } from '../../src/engine/io/atomic';

const dir = mkdtempSync(path.join(tmpdir(), 'rl-ablate-resume-'));
const conditionFile = path.join(dir, 'c.yaml');
let model: LensModel;
let reference: string; // an uninterrupted run's folder

const RECEIPT_FILES = ['receipt.md', 'receipt.tex', 'receipt.csv', 'rates.svg', 'sweep-1-window.svg', 'responses.jsonl'];

before(async () => {
  model = await loadModel(builtinModelFolder());
  writeFileSync(conditionFile, [
    'name: resume check',
    'sets: { harmful: { builtin: harmful, limit: 5 } }',
    'axes: { persona: ' + JSON.stringify(path.join(builtinModelFolder(), 'axes', 'persona.safetensors')) + ' }',
    'decoding: { maxNewTokens: 4 }',
    'batchSize: 2',
    'conditions:',
    '  - { name: baseline, set: harmful }',
    '  - { name: steer, set: harmful, interventions: [{ kind: steer, axis: persona, coefficient: 4, layers: "1-2" }] }',
    'sweeps:',
    '  - { name: window, set: harmful, window: { intervention: { kind: project_out, axes: [persona] }, size: 2, stride: 2 } }',
  ].join('\n'));
  reference = path.join(dir, 'reference');
  const r = await ablateToFolder(model, loadConditionFile(conditionFile), reference);
  assert.equal(r.resumed, 0);
});
after(async () => {
  await model?.dispose();
});

/** The same receipt: every rendered file byte for byte, and receipt.json but for `created`. */
function assertSameReceipt(folder: string): void {
  for (const f of RECEIPT_FILES) assert.ok(readFileSync(path.join(folder, f)).equals(readFileSync(path.join(reference, f))), `${f} differs from the uninterrupted run`);
  const json = (p: string) => readFileSync(path.join(p, 'receipt.json'), 'utf8').split('\n').filter((l) => !l.includes('"created"'));
  assert.deepEqual(json(folder), json(reference));
  assert.ok(!existsSync(path.join(folder, PROGRESS_FILE)), 'the progress file goes once the receipt is written');
  assert.deepEqual(readdirSync(folder).filter((f) => f.endsWith('.tmp')), [], 'no temp files left');
}

/** Runs until `stopAfter` prompts are done, then cancels (as Ctrl-C does). */
async function interrupted(out: string, stopAfter: number, o: AblateOptions = {}): Promise<void> {
  const ac = new AbortController();
  await assert.rejects(
    ablateToFolder(model, loadConditionFile(conditionFile), out, { ...o, signal: ac.signal, onProgress: (p) => p.done >= stopAfter && ac.abort() }),
    (e: Error) => e.name === 'AbortError',
  );
}

test('cancelled midway, a rerun resumes from the finished batches and writes the same receipt', async () => {
  const out = path.join(dir, 'cancelled');
  await interrupted(out, 6);
  const lines = readFileSync(path.join(out, PROGRESS_FILE), 'utf8').trim().split('\n');
  assert.ok(lines.length >= 4, `header + finished batches kept: ${lines.length} lines`);
  assert.ok(!existsSync(path.join(out, 'receipt.json')), 'no receipt from a cancelled run');
  const notices: string[] = [];
  const r = await ablateToFolder(model, loadConditionFile(conditionFile), out, { onNotice: (m) => notices.push(m) });
  assert.ok(r.resumed >= 6, `resumed ${r.resumed}`);
  assert.match(notices.join('\n'), /resuming: \d+ of 25 prompts/);
  assertSameReceipt(out);
});

test('a torn last line (killed mid-write) is cut off and its batch redone', async () => {
  const out = path.join(dir, 'torn');
  await interrupted(out, 4);
  appendFileSync(path.join(out, PROGRESS_FILE), '{"job":"c1:steer","batch":0,"rows":[{"id":"x","lab');
  const r = await ablateToFolder(model, loadConditionFile(conditionFile), out);
  assert.ok(r.resumed >= 4);
  assertSameReceipt(out);
});

test('a progress file of another run (other batch size) is not resumed: it starts over, and says so', async () => {
  const out = path.join(dir, 'other');
  await interrupted(out, 4, { batchSize: 1 });
  const notices: string[] = [];
  const r = await ablateToFolder(model, loadConditionFile(conditionFile), out, { onNotice: (m) => notices.push(m) });
  assert.equal(r.resumed, 0);
  assert.match(notices.join('\n'), /another condition file, prompt set, model or batch size; starting over/);
  assertSameReceipt(out);
});

test('a file named progress.jsonl that is not ours is refused and left alone', async () => {
  const out = path.join(dir, 'foreign');
  await interrupted(out, 2);
  writeFileSync(path.join(out, PROGRESS_FILE), 'my notes\n');
  await assert.rejects(ablateToFolder(model, loadConditionFile(conditionFile), out), /progress\.jsonl is not an ablation progress file[\s\S]*left alone/);
  assert.equal(readFileSync(path.join(out, PROGRESS_FILE), 'utf8'), 'my notes\n');
});

/** A disk that fills up while `name` is written: half the bytes land, then ENOSPC. */
function fullDiskOn(name: string): WriteHooks {
  return {
    write(fd, data, target) {
      if (path.basename(target) !== name) return void appendFileSync(fd, data);
      appendFileSync(fd, data.subarray(0, data.length >> 1));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
  };
}

test('a full disk while writing receipt.csv: the previous receipt stays whole, the error names the file, a rerun finishes', async () => {
  const out = path.join(dir, 'full');
  cpSync(reference, out, { recursive: true });
  const before = new Map(readdirSync(out).map((f) => [f, readFileSync(path.join(out, f))]));
  // A different plan (batch size 1) so every file would change.
  await assert.rejects(
    ablateToFolder(model, loadConditionFile(conditionFile), out, { batchSize: 1, hooks: fullDiskOn('receipt.csv') }),
    (e: Error) => e.name === 'FileWriteError' && e.message.includes(path.join(out, 'receipt.csv')) && /no space left on the device \(ENOSPC\)/.test(e.message),
  );
  for (const [f, bytes] of before) assert.ok(readFileSync(path.join(out, f)).equals(bytes), `${f} changed`);
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.tmp')), []);
  assert.ok(existsSync(path.join(out, PROGRESS_FILE)), 'the generations are kept for the rerun');
  const r = await ablateToFolder(model, loadConditionFile(conditionFile), out, { batchSize: 1 });
  assert.equal(r.resumed, 25, 'nothing generated twice');
  assert.equal(r.receipt.batchSize, 1);
});

test('a full disk while saving progress stops the run naming progress.jsonl; a rerun resumes what was saved', async () => {
  const out = path.join(dir, 'full-progress');
  let writes = 0;
  const hooks: WriteHooks = {
    write(fd, data, target) {
      if (path.basename(target) === PROGRESS_FILE && ++writes > 3) {
        appendFileSync(fd, data.subarray(0, 7));
        throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
      }
      appendFileSync(fd, data);
    },
  };
  await assert.rejects(ablateToFolder(model, loadConditionFile(conditionFile), out, { hooks }), /cannot write .*progress\.jsonl: no space left on the device \(ENOSPC\); the batches finished before this one are kept/);
  const r = await ablateToFolder(model, loadConditionFile(conditionFile), out);
  assert.equal(r.resumed, 4, 'the two whole batches saved before the disk filled (header is write 1)');
  assertSameReceipt(out);
});

test('writeReceiptFiles is all-or-none when the disk fills on the last file', () => {
  const out = path.join(dir, 'all-or-none');
  cpSync(reference, out, { recursive: true });
  copyFileSync(path.join(out, 'receipt.json'), path.join(dir, 'receipt.json.before'));
  const run = { receipt: { ...JSON.parse(readFileSync(path.join(out, 'receipt.json'), 'utf8')), title: 'changed' }, responses: [] };
  assert.throws(() => writeReceiptFiles(out, run, fullDiskOn('responses.jsonl')), /responses\.jsonl: no space left/);
  assert.ok(readFileSync(path.join(out, 'receipt.json')).equals(readFileSync(path.join(dir, 'receipt.json.before'))), 'receipt.json was not replaced');
  assert.ok(readFileSync(path.join(out, 'responses.jsonl')).length > 0, 'no 0-byte responses.jsonl');
});
