// Annotate's sidecar (`<results>.run.json`) did not say which device the rows ran on. It now
// records `device` (LensModel.summary.device.device) as a record, not a setting: a resume on
// another device is not refused as "different settings", and the sidecar then names this run's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cli, FAST, tempDir, writeRows } from './annotate-helpers';

test('the results sidecar records the device; a resume from a sidecar naming another device goes on', async () => {
  const dir = tempDir('device');
  const out = path.join(dir, 'r.jsonl');
  const a = await cli(['annotate', 'builtin', writeRows(dir, 2, 'two.jsonl'), '--out', out, ...FAST]);
  assert.equal(a.code, 0, a.err);
  const sidecar = `${out}.run.json`;
  const s = JSON.parse(readFileSync(sidecar, 'utf8'));
  assert.equal(s.device, 'cpu');
  writeFileSync(sidecar, JSON.stringify({ ...s, device: 'cuda' }));
  const b = await cli(['annotate', 'builtin', writeRows(dir, 3, 'two.jsonl'), '--out', out, ...FAST]);
  assert.equal(b.code, 0, b.err);
  assert.equal(readFileSync(out, 'utf8').trimEnd().split('\n').length, 3);
  assert.equal(JSON.parse(readFileSync(sidecar, 'utf8')).device, 'cpu');
});
