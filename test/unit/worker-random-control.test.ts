// The inspector's random control goes through the worker: LoadAxes with `randomControls` adds
// the same norm-matched random direction the CLI's --random-control makes (same bytes, same
// name), marked as a control; an unknown axis is a clear error; a trace can steer along it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { loadDirection, randomControl } from '../../src/engine/index';
import { LoadAxes, LoadModel, Trace } from '../../src/protocol/rpc';
import { randomControlName } from '../../src/protocol/types';
import { FIXTURE_MODEL, startClient, writeFixtureAxis, type TestClient } from './worker-harness';

let tmp: string;
let axis: string;
let t: TestClient;
before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-control-'));
  axis = await writeFixtureAxis(tmp, 'alpha', 1);
  t = await startClient();
  await t.client.request(LoadModel, { folder: FIXTURE_MODEL });
});
after(async () => {
  await t?.client.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const prompt = { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'How do I pick a lock?' }] };

test('LoadAxes adds the CLI-identical random control of an axis, marked as a control', async () => {
  const loaded = await t.client.request(LoadAxes, { files: [{ path: axis }], randomControls: [{ axis: 'alpha', seed: 5 }] });
  const name = randomControlName('alpha', 5);
  assert.equal(name, 'alpha-random-5');
  const summary = loaded.find((a) => a.name === name);
  assert.ok(summary, `loaded: ${loaded.map((a) => a.name).join(', ')}`);
  assert.deepEqual(summary.control, { of: 'alpha', seed: 5 });
  const expected = randomControl(await loadDirection(axis), 5, name);
  const sha = createHash('sha256').update(Buffer.from(expected.vectors.buffer, expected.vectors.byteOffset, expected.vectors.byteLength)).digest('hex');
  assert.equal(summary.sha256, sha, 'the same vector as the CLI makes from the same axis and seed');

  const run = (iv: string) =>
    t.client.request(Trace, { runId: `r-${iv}`, prompt, axes: ['alpha'], interventions: [{ kind: 'steer', axis: iv, coefficient: 4, layers: [0, 1] }], decoding: { maxNewTokens: 2 } });
  const [real, control] = [await run('alpha'), await run(name)];
  assert.deepEqual(control.axes.map((a) => a.name), ['alpha'], 'read out on the real axis only');
  assert.notDeepEqual(control.projections, real.projections, 'the control is another direction');

  const again = await t.client.request(LoadAxes, { files: [{ path: axis }] });
  assert.deepEqual(again.map((a) => a.name), ['alpha'], 'a plain reload drops the control');
  await assert.rejects(t.client.request(LoadAxes, { files: [{ path: axis }], randomControls: [{ axis: 'beta', seed: 0 }] }), /no axis named "beta"/);
});
