// Issue 10 #8: Run Ablation Check loaded a condition file's axis files and prompt sets without
// the trust prompt, because the host never learnt which files they were. The worker's
// checkConditions now lists them (resolved against the condition file's folder) and the host
// passes each through the same confirmLoad as a model folder. Real worker, real files.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { isInsideAny } from '../../src/extension/paths';
import { CheckConditions } from '../../src/protocol/rpc';
import { startClient, type TestClient } from '../unit/worker-harness';

let t: TestClient;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-trust-cond-'));
const ws = path.join(tmp, 'ws');
before(async () => {
  t = await startClient();
});
after(async () => {
  await t.client.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('checkConditions names every direction file and prompt set a run would load', async () => {
  mkdirSync(path.join(ws, 'exp'), { recursive: true });
  const file = path.join(ws, 'exp', 'c.conditions.yaml');
  writeFileSync(file, [
    'sets:',
    '  mine: { file: ../..data/set.jsonl, limit: 2 }',
    '  stock: builtin:harmful',
    'axes:',
    '  evil: ../..models/evil.safetensors',
    '  far: /somewhere/else.safetensors',
    '  noise: { randomLike: evil, seed: 3 }',
    'decoding: { maxNewTokens: 2 }',
    'conditions:',
    '  - name: base',
    '    set: mine',
    '',
  ].join('\n'));
  const res = await t.client.request(CheckConditions, { file });
  assert.deepEqual(res.issues, []);
  const files = [...(res.files ?? [])].sort((a, b) => a.path.localeCompare(b.path));
  assert.deepEqual(files, [
    { kind: 'direction file', path: path.resolve('/somewhere/else.safetensors') },
    { kind: 'direction file', path: path.join(ws, '..models', 'evil.safetensors') },
    { kind: 'prompt set', path: path.join(ws, '..data', 'set.jsonl') },
  ].sort((a, b) => a.path.localeCompare(b.path)));
  // The two the workspace holds are judged inside it (so an untrusted window asks first).
  assert.deepEqual(files.map((f) => isInsideAny([ws], f.path)).sort(), [false, true, true]);
});
