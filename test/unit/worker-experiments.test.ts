// The worker's experiment requests in a real child process (the bundle the extension forks):
// annotate streams progress and rows, a cancel midway keeps every finished row and never a
// half line, the same request resumes to the file an uninterrupted run writes; condition-file
// errors come back located; ablate writes the receipt.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { CancelledError } from '../../src/extension/workerClient';
import {
  Ablate,
  Annotate,
  AnnotateRow,
  CheckConditions,
  Encode,
  ErrorCodes,
  ExperimentProgress,
  LoadAxes,
  LoadModel,
  type AnnotateParams,
  type AnnotatedRow,
  type ExperimentProgressParams,
} from '../../src/protocol/rpc';
import { FIXTURE_MODEL, startClient, writeFixtureAxis, type TestClient } from './worker-harness';

const N = 10;
const FLUSH = { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'flush' }] };
let tmp: string;
let axisA: string;
let axisB: string;
let dataset: string;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-worker-exp-'));
  axisA = await writeFixtureAxis(tmp, 'alpha', 1);
  axisB = await writeFixtureAxis(tmp, 'beta', 2);
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    lines.push(JSON.stringify({ id: `p${i}`, prompt: `Question ${i}: how do I ${['pick a lock', 'bake bread', 'fold a shirt'][i % 3]}?` }));
    if (i === 3) lines.push('{"id": "broken", "prompt": '); // line 5: unreadable, skipped with its line number
  }
  dataset = path.join(tmp, 'set.jsonl');
  writeFileSync(dataset, lines.join('\n') + '\n');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function params(runId: string, out: string, extra: Partial<AnnotateParams> = {}): AnnotateParams {
  return { runId, dataset, out, layers: [1, 3], positions: ['last_prompt', 'response_mean'], decoding: { maxNewTokens: 24, stopAtEos: false }, batchSize: 2, ...extra };
}

/** Every line of a results file is complete JSON; returns the ids in order. */
function idsIn(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), 'the results file ends with a half-written line');
  return text.trimEnd().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
}

describe('worker experiments', () => {
  let t: TestClient;
  before(async () => {
    t = await startClient();
    await t.client.request(LoadModel, { folder: FIXTURE_MODEL });
    await t.client.request(LoadAxes, { files: [{ path: axisA }, { path: axisB }] });
  });
  after(() => t.client.stop());

  test('an uninterrupted annotate streams rows and progress, and reports the bad line', async () => {
    const out = path.join(tmp, 'full.results.jsonl');
    const rows: AnnotatedRow[] = [];
    const progress: ExperimentProgressParams[] = [];
    const offRow = t.client.onNotification(AnnotateRow, (p) => p.runId === 'full' && rows.push(p.row as AnnotatedRow));
    const offProg = t.client.onNotification(ExperimentProgress, (p) => p.runId === 'full' && progress.push(p));
    const res = await t.client.request(Annotate, params('full', out));
    await t.client.request(Encode, { prompt: FLUSH }); // notifications sent before this answer have arrived
    offRow();
    offProg();
    assert.equal(res.total, N);
    assert.equal(res.ran, N);
    assert.equal(res.resumed, 0);
    assert.deepEqual(res.skipped.map((s) => s.line), [5]);
    assert.equal(res.counts.refusal + res.counts.bypass + res.counts.degenerate, N);
    assert.deepEqual(idsIn(out), Array.from({ length: N }, (_, i) => `p${i}`));
    assert.deepEqual(rows.map((r) => r.id).sort(), idsIn(out).sort());
    // Row notifications carry what the file holds (minus the response), keyed by id with the dataset line.
    const file = new Map(readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l)).map((r) => [r.id, r]));
    for (const r of rows) {
      assert.deepEqual(r.projections, file.get(r.id).projections);
      assert.equal(r.label, file.get(r.id).label);
      assert.equal(r.line, r.id === 'p0' ? 1 : Number(r.id.slice(1)) + (Number(r.id.slice(1)) > 3 ? 2 : 1));
      assert.deepEqual(Object.keys(r.projections).sort(), ['alpha', 'beta']);
      assert.deepEqual(Object.keys(r.projections.alpha!), ['1', '3']);
      assert.equal(typeof r.projections.alpha!['3']!.last_prompt, 'number');
    }
    assert.equal(progress.at(-1)!.done, N);
    assert.equal(progress.at(-1)!.total, N);
    assert.ok(progress.some((p) => p.etaMs !== undefined && p.done < N), 'no ETA while running');
  });

  test('cancelled midway: finished rows stay, no half line; the same request resumes to the uninterrupted file', async () => {
    const out = path.join(tmp, 'cut.results.jsonl');
    const cts = new CancellationTokenSource();
    const seen: string[] = [];
    const off = t.client.onNotification(AnnotateRow, (p) => {
      if (p.runId !== 'cut') return;
      seen.push(p.row.id);
      if (seen.length === 4) cts.cancel();
    });
    await assert.rejects(t.client.request(Annotate, params('cut', out), cts.token), CancelledError);
    // Queued behind the cancelled run: once answered, the run has unwound and written what it finished.
    await t.client.request(Encode, { prompt: FLUSH });
    off();
    const kept = idsIn(out);
    assert.ok(kept.length >= 4 && kept.length < N, `kept ${kept.length} rows of ${N}`);
    for (const id of seen) assert.ok(kept.includes(id), `row ${id} was reported but is not in the file`);

    const res = await t.client.request(Annotate, params('cut-resume', out));
    assert.equal(res.resumed, kept.length);
    assert.equal(res.ran, N - kept.length);
    assert.equal(readFileSync(out, 'utf8'), readFileSync(path.join(tmp, 'full.results.jsonl'), 'utf8'));
  });

  test('other settings on an existing results file fail with ResultsMismatch and keep the file; restart starts over', async () => {
    const out = path.join(tmp, 'full.results.jsonl');
    const before = readFileSync(out, 'utf8');
    await assert.rejects(t.client.request(Annotate, params('mismatch', out, { layers: [0] })), (e: unknown) => e instanceof ResponseError && e.code === ErrorCodes.ResultsMismatch && /restart/.test(e.message));
    assert.equal(readFileSync(out, 'utf8'), before);
    const res = await t.client.request(Annotate, params('restart', out, { layers: [0], restart: true, decoding: { maxNewTokens: 2, stopAtEos: false } }));
    assert.equal(res.resumed, 0);
    assert.equal(res.ran, N);
    assert.deepEqual(Object.keys((JSON.parse(readFileSync(out, 'utf8').split('\n')[0]!) as AnnotatedRow).projections.alpha!), ['0']);
  });

  test('a CSV dataset whose prompt column has another name runs with the column the host names', async () => {
    const csv = path.join(tmp, 'questions.csv');
    writeFileSync(csv, 'uid,question\nq1,How do I bake bread?\nq2,"How do I pick a lock, quickly?"\n');
    const out = path.join(tmp, 'questions.csv.results.jsonl');
    const small = { dataset: csv, decoding: { maxNewTokens: 4, stopAtEos: false } };
    await assert.rejects(t.client.request(Annotate, params('csv-guess', out, small)), /names no prompt column/);
    const res = await t.client.request(Annotate, params('csv', out, { ...small, fields: { promptField: 'question', idField: 'uid' } }));
    assert.equal(res.ran, 2);
    assert.deepEqual(idsIn(out), ['q1', 'q2']);
    await assert.rejects(t.client.request(Annotate, params('csv-bad', out, { ...small, fields: { promptColumn: 'question' } as never })), /fields\.promptColumn is not one of/);
  });

  test('bad annotate requests are refused by name, the worker lives on', async () => {
    await assert.rejects(t.client.request(Annotate, params('x', 'relative.jsonl')), /absolute path/);
    await assert.rejects(t.client.request(Annotate, params('x', dataset)), /must not be the dataset/);
    await assert.rejects(t.client.request(Annotate, params('x', path.join(tmp, 'o.jsonl'), { axes: ['gamma'] })), /unknown axis "gamma"/);
    await assert.rejects(t.client.request(Annotate, { ...params('x', path.join(tmp, 'o2.jsonl')), dataset: path.join(tmp, 'missing.jsonl') }), /cannot read dataset/);
    assert.ok((await t.client.request(Encode, { prompt: FLUSH })).ids.length > 0);
  });

  test('condition-file errors come back with line and field; ablate writes the receipt', async () => {
    const bad = path.join(tmp, 'bad.conditions.yaml');
    writeFileSync(bad, ['sets:', '  harmful: builtin:harmful', 'decoding:', '  maxNewTokens: -3', 'conditions:', '  - name: baseline', '    set: 5', ''].join('\n'));
    const check = await t.client.request(CheckConditions, { file: bad });
    assert.ok(check.issues.length >= 2, JSON.stringify(check.issues));
    const byField = new Map(check.issues.map((i) => [i.field, i]));
    assert.equal(byField.get('decoding.maxNewTokens')?.line, 4);
    assert.equal(byField.get('conditions[0].set')?.line, 7);
    await assert.rejects(t.client.request(Ablate, { runId: 'a0', file: bad, outDir: path.join(tmp, 'r0') }), (e: unknown) => {
      assert.ok(e instanceof ResponseError);
      assert.equal(e.code, ErrorCodes.ConditionFile);
      assert.deepEqual((e.data as { issues: unknown[] }).issues, check.issues);
      return true;
    });
    assert.ok(!existsSync(path.join(tmp, 'r0')));

    // Layers beyond the model are only known in the worker: still located.
    const tooDeep = path.join(tmp, 'deep.conditions.yaml');
    const ax = `axes:\n  alpha: ${JSON.stringify(axisA)}\n`;
    writeFileSync(tooDeep, `sets:\n  s: ${JSON.stringify(dataset)}\n${ax}decoding: { maxNewTokens: 2 }\nconditions:\n  - name: steer\n    set: s\n    interventions:\n      - { kind: steer, axis: alpha, coefficient: 2, layers: "2-9" }\n`);
    assert.deepEqual((await t.client.request(CheckConditions, { file: tooDeep })).issues, []);
    await assert.rejects(t.client.request(Ablate, { runId: 'a1', file: tooDeep, outDir: path.join(tmp, 'r1') }), (e: unknown) => {
      const issues = (e as ResponseError<{ issues: { line: number; field: string }[] }>).data?.issues ?? [];
      assert.equal(issues[0]?.line, 10, JSON.stringify(issues));
      assert.match(issues[0]!.field, /^conditions\[0\]\.interventions\[0\]/);
      return true;
    });

    const good = path.join(tmp, 'good.conditions.yaml');
    writeFileSync(good, `name: tiny\nsets:\n  s: { file: ${JSON.stringify(dataset)}, limit: 4 }\n${ax}decoding: { maxNewTokens: 4 }\nconditions:\n  - name: baseline\n    set: s\n  - name: steer\n    set: s\n    interventions:\n      - { kind: steer, axis: alpha, coefficient: 2, layers: "1-2" }\n`);
    const progress: ExperimentProgressParams[] = [];
    const off = t.client.onNotification(ExperimentProgress, (p) => p.runId === 'a2' && progress.push(p));
    const res = await t.client.request(Ablate, { runId: 'a2', file: good, outDir: path.join(tmp, 'r2') });
    off();
    for (const f of ['receipt.json', 'receipt.md', 'receipt.tex', 'receipt.csv', 'rates.svg']) assert.ok(res.files.includes(path.join(tmp, 'r2', f)), f);
    const receipt = res.receipt as { conditions: { name: string; n: number }[] };
    assert.deepEqual(receipt.conditions.map((c) => [c.name, c.n]), [['baseline', 4], ['steer', 4]]);
    assert.deepEqual(JSON.parse(readFileSync(path.join(tmp, 'r2', 'receipt.json'), 'utf8')).conditions, JSON.parse(JSON.stringify(receipt.conditions)));
    assert.equal(progress.at(-1)?.done, 8);
  });
});
