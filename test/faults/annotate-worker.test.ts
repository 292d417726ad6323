// Defects 1 and 2 (issue 10) through the worker the extension forks: an over-long row streams
// as an error row and is counted; a results file that is not ours is refused with
// ResultsRefused {problem: 'foreign'} and left as it was, with or without `restart`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ResponseError } from 'vscode-jsonrpc/node';
import { Annotate, AnnotateRow, Encode, ErrorCodes, LoadModel, type AnnotateParams, type AnnotateRowParams } from '../../src/protocol/rpc';
import { FIXTURE_MODEL, startClient, type TestClient } from '../unit/worker-harness';
import { tempDir } from './annotate-helpers';

let t: TestClient;
const dir = tempDir('worker');
const data = path.join(dir, 'data.jsonl');
// The fixture model's context is small: 3000 words do not fit.
writeFileSync(data, [JSON.stringify({ id: 'a', prompt: 'hello' }), JSON.stringify({ id: 'b', prompt: 'word '.repeat(3000) }), JSON.stringify({ id: 'c', prompt: 'bread?' })].join('\n') + '\n');
const params = (runId: string, out: string, extra: Partial<AnnotateParams> = {}): AnnotateParams => ({ runId, dataset: data, out, layers: [1], positions: ['last_prompt'], decoding: { maxNewTokens: 4 }, batchSize: 3, ...extra });

before(async () => {
  t = await startClient();
  await t.client.request(LoadModel, { folder: FIXTURE_MODEL });
});
after(() => t.client.stop());

test('an over-long row: an error row on disk and in the stream, counted; a resume keeps it; retryErrors reruns it', async () => {
  const out = path.join(dir, 'r.jsonl');
  const rows: AnnotateRowParams['row'][] = [];
  const off = t.client.onNotification(AnnotateRow, (p) => p.runId === 'e' && rows.push(p.row));
  const res = await t.client.request(Annotate, params('e', out));
  await t.client.request(Encode, { prompt: { kind: 'chat', messages: [{ role: 'user', content: 'flush' }] } });
  off();
  assert.deepEqual([res.ran, res.errors, res.failed.map((f) => f.id)], [3, 1, ['b']]);
  assert.equal(res.counts.refusal + res.counts.bypass + res.counts.degenerate, 2);
  const b = rows.find((r) => r.id === 'b') as { error?: string; line: number };
  assert.match(b.error ?? '', /exceeds the model's context/);
  assert.equal(b.line, 2);
  const text = readFileSync(out, 'utf8');
  assert.deepEqual(text.trimEnd().split('\n').map((l) => (JSON.parse(l) as { id: string }).id), ['a', 'b', 'c']);
  const again = await t.client.request(Annotate, params('e2', out));
  assert.deepEqual([again.ran, again.resumed, again.errors, again.failed.length], [0, 3, 1, 0]);
  const retry = await t.client.request(Annotate, params('e3', out, { retryErrors: true }));
  assert.deepEqual([retry.ran, retry.retried, retry.errors], [1, 1, 1]);
  assert.equal(readFileSync(out, 'utf8'), text);
});

test('a results file that is not ours: ResultsRefused, unchanged, also with restart', async () => {
  const notes = path.join(dir, 'notes.txt');
  writeFileSync(notes, 'keep\nlast');
  for (const restart of [false, true]) {
    await assert.rejects(t.client.request(Annotate, params('f', notes, { restart })), (e: unknown) => {
      assert.ok(e instanceof ResponseError);
      assert.equal(e.code, ErrorCodes.ResultsRefused);
      assert.deepEqual(e.data, { problem: 'foreign' });
      assert.match(e.message, /not a Refusal Lens results file/);
      return true;
    });
    assert.equal(readFileSync(notes, 'utf8'), 'keep\nlast');
  }
});
