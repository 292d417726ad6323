// The rewrite cache: next to the source, reused without a rewrite, and in a cache folder with
// the external data (hard-linked or copied) when the model folder is read-only.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { hookedModelPath, REWRITE_VERSION, sha256File } from '../../src/engine/onnx/index';
import { baseFeeds, FIXTURES, lastPositionBitEqual, fixtureConfig, hookFeeds, readGolden, session, sourceInputs } from './hook-util';

const tmp = mkdtempSync(path.join(tmpdir(), 'rl-cache-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function copyFixture(name: string, to: string): string {
  cpSync(path.join(FIXTURES, name, 'onnx'), to, { recursive: true, filter: (f) => !f.includes('.hooked-') });
  return path.join(to, 'model.onnx');
}

async function assertRunsLikeSource(src: string, hooked: string): Promise<void> {
  const g = readGolden('llama-tied');
  const base = baseFeeds(sourceInputs(src), g.prompt_ids);
  const [a, b] = await Promise.all([session(src), session(hooked)]);
  const ra = await a.run(base);
  const rb = await b.run({ ...base, ...hookFeeds(g, [], Object.keys(g.axes)) });
  assert.ok(lastPositionBitEqual(ra.logits!, rb.logits!), 'hooked logits (last position only) equal the source graph\'s last position');
}

test('sha256File hashes the file content', async () => {
  const f = path.join(FIXTURES, 'gpt2', 'onnx', 'model.onnx');
  assert.equal(await sha256File(f), createHash('sha256').update(readFileSync(f)).digest('hex'));
  await assert.rejects(sha256File(path.join(tmp, 'missing.onnx')), /cannot read .*missing\.onnx/);
});

test('written next to the source (external data resolves), reused on the second call', async () => {
  const src = copyFixture('llama-tied', path.join(tmp, 'rw'));
  const cfg = fixtureConfig('llama-tied');
  const first = await hookedModelPath(src, cfg);
  assert.equal(first.cached, false);
  assert.match(path.basename(first.path), /^model\.hooked-[0-9a-f]{12}\.onnx$/);
  assert.equal(path.dirname(first.path), path.dirname(src));
  const { graph, ...json } = JSON.parse(readFileSync(first.path.replace(/\.onnx$/, '.json'), 'utf8'));
  assert.deepEqual(json, first.info);
  assert.deepEqual(graph, { bytes: statSync(first.path).size, sha256: await sha256File(first.path) }, 'the sidecar checks the graph');
  assert.equal(json.rewriteVersion, REWRITE_VERSION);
  const before = statSync(first.path);

  const second = await hookedModelPath(src, cfg);
  assert.equal(second.cached, true);
  assert.equal(second.path, first.path);
  const now = statSync(first.path);
  assert.deepEqual([now.ino, now.mtimeMs], [before.ino, before.mtimeMs], 'the cached file was not rewritten');
  assert.deepEqual(second.info, first.info);
  await assertRunsLikeSource(src, first.path);

  // a half-written pair (json missing) is redone, not trusted
  rmSync(first.path.replace(/\.onnx$/, '.json'));
  assert.equal((await hookedModelPath(src, cfg)).cached, false);
  // unreadable source and a graph without a chain name the file
  await assert.rejects(hookedModelPath(path.join(tmp, 'nope.onnx'), cfg), /cannot read ONNX graph '.*nope\.onnx'/);
  const bad = copyFixture('no-residual', path.join(tmp, 'bad'));
  await assert.rejects(hookedModelPath(bad, fixtureConfig('no-residual')), (e: Error) => e.message.startsWith(bad) && /found embedding Gather/.test(e.message));
});

test('read-only model folder: cache folder with links to the external data', { skip: process.getuid?.() !== 0 && 'needs root to run the check as another user' }, async () => {
  // root ignores permissions, so the hook runs in a child process as 'nobody'
  chmodSync(tmp, 0o755);
  const ro = path.join(tmp, 'ro');
  const src = copyFixture('llama-tied', ro);
  chmodSync(ro, 0o555);
  const cacheDir = path.join(tmp, 'cache');
  mkdirSync(cacheDir);
  chmodSync(cacheDir, 0o777);
  const cfg = fixtureConfig('llama-tied');
  const child = (...extra: string[]) =>
    JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'hook-cache-child.ts'), src, String(cfg.numLayers), String(cfg.dModel), ...extra], {
      uid: 65534, gid: 65534, cwd: path.resolve(__dirname, '../..'), env: { ...process.env, HOME: tmp }, encoding: 'utf8',
    }).trim().split('\n').pop()!);

  const noCache = child();
  assert.match(noCache.error, /model folder '.*ro' is not writable \(EACCES\) and no cacheDir was given/);
  const first = child(cacheDir);
  assert.equal(first.cached, false, JSON.stringify(first));
  assert.ok(first.path.startsWith(cacheDir + path.sep));
  // onnxruntime refuses symlinked data outside the model folder: a hard link or a copy
  const data = path.join(path.dirname(first.path), 'model.onnx_data');
  assert.ok(lstatSync(data).isFile());
  assert.deepEqual(readFileSync(data), readFileSync(path.join(ro, 'model.onnx_data')));
  assert.equal(existsSync(path.join(ro, path.basename(first.path))), false);
  assert.deepEqual(child(cacheDir), { ...first, cached: true });
  await assertRunsLikeSource(src, first.path);
});
