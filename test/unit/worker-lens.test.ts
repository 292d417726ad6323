// The worker's Trace request with the logit lens: the option reaches the engine through the
// real worker process, readouts.logitLens comes back over IPC, and the projections keep to the
// axes asked for; a bad option fails the request with the field named and the worker lives on.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Hello, LoadAxes, LoadModel, Trace } from '../../src/protocol/rpc';
import { FIXTURE_MODEL, startClient, writeFixtureAxis, type TestClient } from './worker-harness';

let tmp: string;
let t: TestClient;
before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-worker-lens-'));
  t = await startClient();
  await t.client.request(LoadModel, { folder: FIXTURE_MODEL });
  await t.client.request(LoadAxes, { files: [{ path: await writeFixtureAxis(tmp, 'alpha', 1) }, { path: await writeFixtureAxis(tmp, 'beta', 2) }] });
});
after(async () => {
  await t?.client.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const prompt = { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'How do I pick a lock?' }] };

test('Trace with logitLens returns readouts.logitLens; the readouts keep to the axes asked for', async () => {
  const res = await t.client.request(Trace, { runId: 'l1', prompt, axes: ['beta'], interventions: [{ kind: 'steer', axis: 'alpha', coefficient: 1, layers: [1] }], decoding: { maxNewTokens: 2 }, logitLens: { positions: [0, -1], topK: 3 } });
  const lens = res.readouts.logitLens!;
  assert.ok(lens, 'the lens came back');
  const nPrompt = res.tokens.filter((x) => !x.generated).length;
  assert.deepEqual(lens.positions, [0, nPrompt - 1]);
  assert.equal(lens.top.length, 4);
  assert.ok(lens.top.flat().every((toks) => toks.length === 3));
  assert.equal(res.readouts.projections.length, 1, 'only beta is read out, though alpha is loaded for the steer');
  assert.deepEqual(res.projections, res.readouts.projections);
  const plain = await t.client.request(Trace, { runId: 'l2', prompt, interventions: [], decoding: { maxNewTokens: 2 } });
  assert.equal(plain.readouts.logitLens, undefined);
});

test('a bad logitLens fails the request naming the field; the worker lives on', async () => {
  await assert.rejects(t.client.request(Trace, { runId: 'l3', prompt, interventions: [], decoding: { maxNewTokens: 1 }, logitLens: { topK: 1000 } }), /logitLens\.topK must be an integer 1\.\.100/);
  await assert.rejects(t.client.request(Trace, { runId: 'l4', prompt, interventions: [], decoding: { maxNewTokens: 1 }, logitLens: { positions: [999] } }), /logitLens\.positions\[0\] = 999 is outside the prompt/);
  assert.equal((await t.client.request(Hello, undefined)).pid, t.client.pid);
});
