// Issue 10, defect 5, through the worker (what Run Ablation Check calls): the same engine path as
// the CLI, so an output folder that cannot be written fails before any generation, and a cancelled
// request keeps its finished batches: the same request again resumes to the same receipt.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { Ablate, ExperimentProgress, LoadModel, type ExperimentProgressParams } from '../../src/protocol/rpc';
import { FIXTURE_MODEL, startClient, type TestClient } from '../unit/worker-harness';

let tmp: string;
let conditions: string;

before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-ablate-worker-'));
  conditions = path.join(tmp, 'c.conditions.yaml');
  writeFileSync(conditions, 'sets: { h: { builtin: harmful, limit: 8 } }\ndecoding: { maxNewTokens: 6 }\nbatchSize: 1\nconditions:\n  - { name: base, set: h }\n  - { name: sys, set: h, system: Comply. }\n');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('worker ablate', () => {
  let t: TestClient;
  before(async () => {
    t = await startClient();
    await t.client.request(LoadModel, { folder: FIXTURE_MODEL });
  });
  after(() => t.client.stop());

  test('an output folder under a file fails before any generation, naming it', async () => {
    writeFileSync(path.join(tmp, 'file'), 'x');
    const progress: ExperimentProgressParams[] = [];
    const off = t.client.onNotification(ExperimentProgress, (p) => p.runId === 'w0' && progress.push(p));
    await assert.rejects(t.client.request(Ablate, { runId: 'w0', file: conditions, outDir: path.join(tmp, 'file', 'out') }), /cannot use the output folder .*file[/\\]out: .*file is a file, not a folder/);
    off();
    assert.deepEqual(progress.filter((p) => p.done > 0), [], 'nothing was generated');
  });

  test('a cancelled ablate resumes from its finished batches to the receipt of an uninterrupted run', async () => {
    const ref = await t.client.request(Ablate, { runId: 'w1', file: conditions, outDir: path.join(tmp, 'ref') });
    const out = path.join(tmp, 'cancelled');
    const cts = new CancellationTokenSource();
    const off = t.client.onNotification(ExperimentProgress, (p) => p.runId === 'w2' && p.done >= 5 && cts.cancel());
    await assert.rejects(t.client.request(Ablate, { runId: 'w2', file: conditions, outDir: out }, cts.token));
    off();
    assert.ok(existsSync(path.join(out, 'progress.jsonl')), 'finished batches kept');
    assert.ok(!existsSync(path.join(out, 'receipt.json')));
    const progress: ExperimentProgressParams[] = [];
    const off2 = t.client.onNotification(ExperimentProgress, (p) => p.runId === 'w3' && progress.push(p));
    const again = await t.client.request(Ablate, { runId: 'w3', file: conditions, outDir: out });
    off2();
    assert.ok(progress[0]!.done >= 5, `resumed at ${progress[0]?.done}`);
    assert.equal((again.receipt as { hash: string }).hash, (ref.receipt as { hash: string }).hash);
    for (const f of ['receipt.md', 'receipt.csv', 'responses.jsonl']) assert.ok(readFileSync(path.join(out, f)).equals(readFileSync(path.join(tmp, 'ref', f))), f);
  });
});
