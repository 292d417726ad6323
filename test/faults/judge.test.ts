// The corpus judge itself: what counts as a crash, a hang, an unclear message and lost data.
// Without these the corpus could pass by never noticing anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { changedFiles, crashText, judge, snapshot, type RunOutput } from './corpus/run';
import type { FaultCase } from './corpus/types';

const c = (over: Partial<FaultCase> = {}): FaultCase => ({ id: 'x/y', category: 'options', args: [], expect: 'error', names: ['bad.json'], needsModel: false, ...over });
const out = (over: Partial<RunOutput> = {}): RunOutput => ({ code: 1, signal: null, stdout: '', stderr: '', ms: 10, timedOut: false, ...over });

test('stack frames and raw V8 errors are crashes; located messages are not', () => {
  assert.ok(crashText('refusal-lens trace: boom\n    at Object.<anonymous> (/x/dist/cli.js:10:5)\n'));
  assert.ok(crashText("refusal-lens annotate: Cannot read properties of undefined (reading 'id')\n"));
  assert.ok(crashText('TypeError: x is not a function\n'));
  assert.ok(crashText('refusal-lens trace: Maximum call stack size exceeded\n'));
  assert.equal(crashText('refusal-lens geometry: bad.safetensors: truncated safetensors file: header says 9 bytes\n'), undefined);
  assert.equal(crashText('refusal-lens ablate: c.yaml:2:13: decoding.maxNewTokens: must be ≥ 1, got 0\n'), undefined);
});

test('verdicts: clear, unclear, accepted, hang, crash by exit status', () => {
  assert.equal(judge(c(), out({ stderr: 'refusal-lens x: bad.json: not JSON\n' }), []).verdict, 'clear');
  assert.equal(judge(c(), out({ stderr: 'refusal-lens x: not JSON\n' }), []).verdict, 'unclear');
  assert.equal(judge(c(), out({ code: 0 }), []).verdict, 'unclear');
  assert.equal(judge(c({ expect: 'ok' }), out({ code: 0 }), []).verdict, 'ok');
  assert.equal(judge(c({ expect: 'ok-warn' }), out({ code: 0, stderr: 'warning: bad.json:1:2: unknown field' }), []).verdict, 'ok');
  assert.equal(judge(c({ expect: 'ok-warn' }), out({ code: 0 }), []).verdict, 'unclear');
  assert.equal(judge(c(), out({ timedOut: true, code: null, signal: 'SIGKILL' }), []).verdict, 'hang');
  assert.equal(judge(c(), out({ code: 134, stderr: 'bad.json' }), []).verdict, 'crash');
  assert.equal(judge(c(), out({ code: null, signal: 'SIGSEGV' }), []).verdict, 'crash');
  assert.equal(judge(c({ names: ['a.jsonl:2', 'a.jsonl:3'], allNames: true }), out({ stderr: 'skipped: a.jsonl:2: x' }), []).verdict, 'unclear');
  assert.equal(judge(c(), out({ stderr: 'bad.json: x' }), [], 'r.jsonl line 2 is not JSON').verdict, 'unclear');
});

test('a changed or vanished file the case did not create is lost; new files and allowed changes are not', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rl-judge-'));
  try {
    writeFileSync(path.join(dir, 'notes.txt'), 'keep\nlast');
    writeFileSync(path.join(dir, 'gone.txt'), 'x');
    writeFileSync(path.join(dir, 'r.jsonl'), '{}\n');
    const before = snapshot(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'keep\n');
    rmSync(path.join(dir, 'gone.txt'));
    writeFileSync(path.join(dir, 'r.jsonl'), '{}\n{}\n');
    writeFileSync(path.join(dir, 'new.txt'), 'made by the run');
    assert.deepEqual(changedFiles(dir, before, ['r.jsonl']).sort(), ['gone.txt vanished', 'notes.txt changed']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
