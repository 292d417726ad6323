// Issue 10 #10: a damaged cached hooked graph (`<stem>.hooked-<key>.onnx`) failed every run and
// never repaired itself. The sidecar now records the graph's size and sha256; a graph that does
// not match is rewritten, and a cached graph onnxruntime cannot open is rewritten once.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { openModel, type LoadedModel } from '../../src/engine/model/load';
import { FIXTURE_MODEL } from '../unit/worker-harness';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-cache-corrupt-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function freshModel(): string {
  const dir = path.join(tmp, `m${++n}`);
  cpSync(FIXTURE_MODEL, dir, { recursive: true, filter: (f) => !f.includes('.hooked-') });
  return dir;
}

async function load(dir: string): Promise<LoadedModel> {
  const m = await openModel(dir);
  return m;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function cachedPair(dir: string): Promise<{ onnx: string; json: string; bytes: Buffer }> {
  const first = await load(dir);
  assert.equal(first.hookCached, false);
  const onnx = first.hookedPath;
  await first.dispose();
  return { onnx, json: onnx.replace(/\.onnx$/, '.json'), bytes: readFileSync(onnx) };
}

test('a truncated cached graph is noticed and rewritten; the model loads', async () => {
  const dir = freshModel();
  const { onnx, bytes } = await cachedPair(dir);
  truncateSync(onnx, Math.floor(bytes.length / 3));
  const m = await load(dir);
  assert.equal(m.hookCached, false, 'rewritten, not trusted');
  assert.equal(sha(readFileSync(onnx)), sha(bytes), 'the rewrite is the same graph as before');
  await m.dispose();
  const again = await load(dir);
  assert.equal(again.hookCached, true, 'the repaired graph is reused');
  await again.dispose();
});

test('a cached graph with the right size but one changed byte is rewritten, not run', async () => {
  const dir = freshModel();
  const { onnx, bytes } = await cachedPair(dir);
  const bad = Buffer.from(bytes);
  bad[bad.length - 100] ^= 0xff; // one flipped byte: onnxruntime may well open it and compute wrong numbers
  writeFileSync(onnx, bad);
  const m = await load(dir);
  assert.equal(m.hookCached, false);
  assert.equal(sha(readFileSync(onnx)), sha(bytes));
  await m.dispose();
});

test('a cached graph whose sidecar matches but onnxruntime cannot open is rewritten once', async () => {
  const dir = freshModel();
  const { onnx, json, bytes } = await cachedPair(dir);
  const garbage = Buffer.alloc(bytes.length, 0x5a);
  writeFileSync(onnx, garbage);
  const side = JSON.parse(readFileSync(json, 'utf8'));
  side.graph = { bytes: garbage.length, sha256: sha(garbage) };
  writeFileSync(json, JSON.stringify(side));
  const m = await load(dir);
  assert.equal(m.hookCached, false);
  assert.equal(sha(readFileSync(onnx)), sha(bytes));
  await m.dispose();
  assert.deepEqual(readdirSync(path.dirname(onnx)).filter((f) => f.includes('.tmp-')), [], 'no temp files left');
});

test('a sidecar from before the check (no graph field) is rewritten once, then reused', async () => {
  const dir = freshModel();
  const { json } = await cachedPair(dir);
  const { graph: _old, ...side } = JSON.parse(readFileSync(json, 'utf8'));
  writeFileSync(json, JSON.stringify(side));
  const m = await load(dir);
  assert.equal(m.hookCached, false);
  await m.dispose();
  const again = await load(dir);
  assert.equal(again.hookCached, true);
  await again.dispose();
});
