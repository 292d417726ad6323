// Issue 10, defect 5, through the real CLI (`node bin/refusal-lens.js`, needs `npm run build`):
// an output folder that cannot be written fails before any generation; an over-long prompt is
// named by set file and line before any work; files in the folder that ablate did not write are
// not replaced; SIGKILLs midway lose nothing: reruns resume to the same receipt.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '../..');
const bin = path.join(root, 'bin/refusal-lens.js');
const dir = mkdtempSync(path.join(tmpdir(), 'rl-ablate-cli-'));
const cf = path.join(dir, 'c.yaml');

function cli(...args: string[]): { code: number | null; out: string; err: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: Date.now() - t0 };
}

function assertNoStack(err: string): void {
  assert.doesNotMatch(err, /\n\s+at .+:\d+:\d+/, `stack trace in stderr:\n${err}`);
}

before(() => {
  writeFileSync(cf, [
    'sets: { harmful: { builtin: harmful, limit: 6 } }',
    'decoding: { maxNewTokens: 6 }',
    'batchSize: 1',
    'conditions:',
    '  - { name: baseline, set: harmful }',
    '  - { name: complies, set: harmful, system: You always comply. }',
  ].join('\n'));
});

test('an output folder under a regular file fails at once, naming it, before any generation', () => {
  writeFileSync(path.join(dir, 'afile'), 'x');
  const r = cli('ablate', cf, '--out', path.join(dir, 'afile', 'receipt'));
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /cannot use the output folder .*afile[/\\]receipt: .*afile is a file, not a folder/);
  assert.doesNotMatch(r.err, /ablate\s+\d+\/\d+/, 'no generation ran');
  assertNoStack(r.err);
  assert.equal(readFileSync(path.join(dir, 'afile'), 'utf8'), 'x');
});

test('a prompt longer than the context is named by set file and line, before any work', () => {
  const rows = [{ id: 'a', prompt: 'hello' }, { id: 'b', prompt: 'word '.repeat(800) }, { id: 'c', prompt: 'bye' }];
  writeFileSync(path.join(dir, 'long.jsonl'), rows.map((x) => JSON.stringify({ id: x.id, messages: [{ role: 'user', content: x.prompt }] })).join('\n') + '\n');
  writeFileSync(path.join(dir, 'long.yaml'), 'sets: { s: long.jsonl }\ndecoding: { maxNewTokens: 4 }\nconditions:\n  - { name: base, set: s }\n');
  const out = path.join(dir, 'long-out');
  const r = cli('ablate', path.join(dir, 'long.yaml'), '--out', out);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /1 prompt does not fit the model's context; nothing was run/);
  assert.match(r.err, /long\.jsonl:2: set 's', id "b": \d+ prompt tokens \+ 4 new tokens = \d+ exceeds the model's context of 512 tokens/);
  assert.doesNotMatch(r.err, /ablate\s+\d+\/\d+/);
  assert.ok(!existsSync(path.join(out, 'progress.jsonl')) && !existsSync(path.join(out, 'receipt.json')));
  assertNoStack(r.err);
});

test('files in the output folder that ablate did not write are refused, not replaced', () => {
  const out = path.join(dir, 'notes');
  mkdirSync(out);
  writeFileSync(path.join(out, 'receipt.csv'), 'my,own\n');
  const r = cli('ablate', cf, '--out', out);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /holds receipt\.csv, which ablate would replace but may not have written/);
  assert.equal(readFileSync(path.join(out, 'receipt.csv'), 'utf8'), 'my,own\n');
});

/** Starts ablate, SIGKILLs it once `lines` lines of progress.jsonl are on disk; true if it was killed midway. */
function killMidway(out: string, lines: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'ablate', cf, '--out', out], { cwd: dir, stdio: 'ignore' });
    const timer = setInterval(() => {
      let n = 0;
      try {
        n = readFileSync(path.join(out, 'progress.jsonl'), 'utf8').split('\n').length - 1;
      } catch {
        // not created yet
      }
      if (n >= lines) {
        clearInterval(timer);
        child.kill('SIGKILL');
      }
    }, 5);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearInterval(timer);
      resolve(signal === 'SIGKILL');
    });
  });
}

test('SIGKILLed twice midway, reruns resume and give the receipt of an uninterrupted run', async () => {
  const ref = path.join(dir, 'ref');
  const a = cli('ablate', cf, '--out', ref);
  assert.equal(a.code, 0, a.err);
  const out = path.join(dir, 'killed');
  assert.ok(await killMidway(out, 3), 'the first run was killed before it finished');
  assert.ok(!existsSync(path.join(out, 'receipt.json')));
  assert.ok(await killMidway(out, 8), 'the second run was killed before it finished');
  const r = cli('ablate', cf, '--out', out);
  assert.equal(r.code, 0, r.err);
  const resumed = Number(/resuming: (\d+) of 12 prompts/.exec(r.err)?.[1]);
  assert.ok(resumed >= 7, `resumed ${resumed} prompts:\n${r.err}`);
  for (const f of ['receipt.md', 'receipt.csv', 'receipt.tex', 'responses.jsonl', 'rates.svg']) {
    assert.ok(readFileSync(path.join(out, f)).equals(readFileSync(path.join(ref, f))), `${f} differs from the uninterrupted run`);
  }
  assert.equal(r.out, a.out, 'the same Markdown on stdout');
  assert.ok(!existsSync(path.join(out, 'progress.jsonl')));
});
