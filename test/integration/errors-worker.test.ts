// Errors a user can act on (issue 14 item 8, issue 12 item 5c), against the real worker and the
// built-in model: every failure arrives with its code from src/protocol/errors.ts and without
// JSON-RPC wording; a bad model folder followed by a fixed setting recovers without a restart;
// a cancelled annotation reports the rows its results file holds.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { EngineSession } from '../../src/extension/engineSession';
import { cancelledText, rowsKept } from '../../src/extension/experiments/kept';
import { parseResults } from '../../src/extension/experiments/results';
import { describeError, ErrorCodes } from '../../src/protocol/errors';
import { Annotate, AnnotateRow, Encode, Hello, LoadAxes, LoadModel, Trace } from '../../src/protocol/rpc';
import { ROOT, startClient, type TestClient } from '../unit/worker-harness';

const BUILTIN = path.join(ROOT, 'media', 'models', 'organism');
const AXES = readdirSync(path.join(BUILTIN, 'axes')).filter((f) => f.endsWith('.safetensors')).sort().map((f) => ({ path: path.join(BUILTIN, 'axes', f) }));
const prompt = { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'How do I pick a lock?' }] };
const decoding = { maxNewTokens: 4, stopAtEos: false };
const RPC_WORDING = /Request refusalLens|failed with message|-32603/;

let tmp: string;
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-errors-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Asserts `p` rejects with a ResponseError of `code` whose message has no RPC wording and matches `re`. */
async function rejectsWith(p: Promise<unknown>, code: number, re: RegExp): Promise<ResponseError<unknown>> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => ((caught = e), true));
  assert.ok(caught instanceof ResponseError, `a ResponseError, got ${String(caught)}`);
  assert.equal(caught.code, code, `code ${caught.code} (${caught.message})`);
  assert.doesNotMatch(caught.message, RPC_WORDING);
  assert.match(caught.message, re);
  return caught;
}

describe('worker errors carry their code', () => {
  let t: TestClient;
  before(async () => {
    t = await startClient();
  });
  after(() => t.client.stop());

  test('bad requests, a missing model, a bad folder and a bad axis file each arrive with their own code', async () => {
    await rejectsWith(t.client.request(Encode, { prompt }), ErrorCodes.NoModel, /no model loaded/);
    await rejectsWith(t.client.request(LoadModel, { folder: 'relative/model' }), ErrorCodes.BadRequest, /absolute path/);
    await rejectsWith(t.client.request(LoadModel, { folder: BUILTIN, device: 'tpu' }), ErrorCodes.BadRequest, /device must be one of/);
    // A folder without config.json: the model-folder code, the folder in the data, once in the message.
    const empty = path.join(tmp, 'not-a-model');
    mkdirSync(empty);
    const e = await rejectsWith(t.client.request(LoadModel, { folder: empty }), ErrorCodes.ModelFolder, /not-a-model/);
    assert.deepEqual(e.data, { folder: empty });
    // The next request says which load failed rather than "send loadModel first".
    await rejectsWith(t.client.request(Encode, { prompt }), ErrorCodes.NoModel, /loading .*not-a-model did not succeed/);

    await t.client.request(LoadModel, { folder: BUILTIN });
    const axisFile = path.join(tmp, 'missing.safetensors');
    const a = await rejectsWith(t.client.request(LoadAxes, { files: [{ path: axisFile }] }), ErrorCodes.AxisFile, /missing\.safetensors/);
    assert.deepEqual(a.data, { file: axisFile });
    await t.client.request(LoadAxes, { files: AXES });
    await rejectsWith(t.client.request(Trace, { runId: 'x', prompt, axes: ['nope'], interventions: [], decoding }), ErrorCodes.BadRequest, /unknown axis "nope"/);
    // A dataset that is not there: a file error naming it.
    const missing = path.join(tmp, 'absent.jsonl');
    await rejectsWith(
      t.client.request(Annotate, { runId: 'm', dataset: missing, out: path.join(tmp, 'absent.results.jsonl'), decoding }),
      ErrorCodes.FileError,
      /absent\.jsonl/,
    );
    // The worker lives on through all of it.
    assert.equal((await t.client.request(Hello, undefined)).pid, t.client.pid);
  });

  test('the host maps a code to one message and the actions that fix it', async () => {
    const folder = path.join(tmp, 'still-not-a-model');
    let err: unknown;
    await t.client.request(LoadModel, { folder }).catch((e: unknown) => (err = e));
    const shown = describeError(err);
    assert.equal(shown.code, 'ModelFolder');
    assert.deepEqual(shown.actions, ['openSettings', 'selectModel', 'useBuiltinModel']);
    assert.equal(shown.setting, 'refusalLens.model');
    assert.doesNotMatch(shown.message, RPC_WORDING);
    assert.match(shown.message, /still-not-a-model/);
  });
});

describe('a bad model folder, then the setting fixed, recovers without a restart', () => {
  let t: TestClient;
  before(async () => {
    t = await startClient();
  });
  after(() => t.client.stop());

  test('built-in → folder without config.json (fails) → built-in again: runs, and the session reports no stale model', async () => {
    const session = new EngineSession(t.client);
    const builtin = { model: { folder: BUILTIN }, axes: AXES };
    const first = await session.prepare(builtin);
    assert.equal(first.model.layers, 6);
    const pid = t.client.pid;

    const bad = path.join(tmp, 'no-config');
    mkdirSync(bad);
    copyFileSync(path.join(BUILTIN, 'tokenizer.json'), path.join(bad, 'tokenizer.json')); // a folder that looks half right
    await rejectsWith(session.prepare({ model: { folder: bad }, axes: AXES }), ErrorCodes.ModelFolder, /no-config/);
    assert.equal(session.model, undefined, 'the header must not keep showing the old model');
    assert.deepEqual(session.loadedAxes, []);

    // The setting removed: the built-in model again. Before the fix the session trusted its old
    // key and every run failed with "no model loaded: send loadModel first" until Restart Engine.
    const again = await session.prepare(builtin);
    assert.equal(again.model.layers, 6);
    assert.deepEqual(again.axes.map((a) => a.name), ['persona', 'refusal']);
    const run = await session.trace({ prompt, interventions: [], decoding });
    assert.equal(run.tokens.length > 0, true);
    assert.equal(t.client.pid, pid, 'no restart');
  });
});

describe('a cancelled annotation reports what its results file holds', () => {
  let t: TestClient;
  before(async () => {
    t = await startClient();
  });
  after(() => t.client.stop());

  test('cancelled after its first rows: the count is the file’s, not the last progress report', async () => {
    await t.client.request(LoadModel, { folder: BUILTIN });
    await t.client.request(LoadAxes, { files: AXES });
    const dataset = path.join(tmp, 'ten.jsonl');
    writeFileSync(dataset, readFileSync(path.join(ROOT, 'media', 'sets', 'harmful.jsonl'), 'utf8').split('\n').slice(0, 10).join('\n') + '\n');
    const out = path.join(tmp, 'ten.results.jsonl');
    const cts = new CancellationTokenSource();
    // Rows of a batch stream before its progress report: cancelling on the first row is exactly
    // when the last report (0 done) is a batch behind the file.
    const off = t.client.onNotification(AnnotateRow, (p) => p.runId === 'c' && cts.cancel());
    await assert.rejects(t.client.request(Annotate, { runId: 'c', dataset, out, layers: [5], decoding, batchSize: 3 }, cts.token), /cancel/);
    off();
    const kept = await rowsKept(dataset, out);
    assert.ok(kept?.settled, 'the worker let go of the file');
    // The queue has drained once a later request answers: the file is final now.
    await t.client.request(Encode, { prompt });
    const inFile = parseResults(readFileSync(out, 'utf8')).rows.size;
    assert.ok(inFile >= 3, `at least the first batch is in the file (${inFile})`);
    assert.equal(kept!.kept, inFile);
    assert.equal(kept!.total, 10);
    assert.match(cancelledText('ten.jsonl', out, kept), new RegExp(`; ${inFile} of 10 rows are in ten\\.results\\.jsonl\\.`));
  });
});
