// The worker (a real child process) takes other tools' vector files as axes, and reports render
// conditions that differ from the model's in AxisSummary.warnings (beside the graph-hash warning).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { loadDirection, saveDirection } from '../../src/engine/index';
import { writeNpy } from '../../src/engine/directions/formats/npy';
import { writePt } from '../../src/engine/directions/formats/pt';
import { LoadAxes, LoadModel } from '../../src/protocol/rpc';
import { FIXTURE_MODEL, startClient, writeFixtureAxis, type TestClient } from '../unit/worker-harness';

let tmp: string;
let t: TestClient;
before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-vworker-'));
  t = await startClient();
});
after(() => {
  t?.client.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('loadAxes accepts .npy and .pt (hidden_states order) and warns about another chat template', async () => {
  const summary = await t.client.request(LoadModel, { folder: FIXTURE_MODEL });
  const { layers: L, dModel: d } = summary;
  const values = Float32Array.from({ length: L * d }, (_, i) => Math.sin(i + 1));
  const npy = path.join(tmp, 'plain.npy');
  writeFileSync(npy, writeNpy(values, [L, d]));
  const withEmb = new Float32Array((L + 1) * d).fill(7);
  withEmb.set(values, d);
  const pt = path.join(tmp, 'persona.pt');
  writeFileSync(pt, writePt(withEmb, [L + 1, d], 'persona'));
  const ours = await loadDirection(await writeFixtureAxis(tmp, 'alpha', 1));
  ours.meta.other = { render_template_sha256: '0'.repeat(64) };
  const moved = path.join(tmp, 'moved.safetensors');
  await saveDirection(moved, ours);
  const axes = await t.client.request(LoadAxes, { files: [{ path: npy }, { path: pt }, { path: moved }] });
  assert.deepEqual(axes.map((a) => a.name), ['plain', 'persona', 'alpha']);
  assert.match(axes[1]!.warnings!.join('\n'), /rows read as hidden_states/);
  assert.match(axes[2]!.warnings!.join('\n'), /moved\.safetensors: extracted under chat template 000000000000…, applied under [0-9a-f]{12}…/);
  assert.doesNotMatch((axes[0]!.warnings ?? []).join('\n'), /chat template/);
});
