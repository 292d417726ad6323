// The device benchmark's parts that must hold on any machine: the random-weight checkpoint it
// writes is what the engine's checkpoint builder opens and runs (so bench/gpu.sh needs no
// Python), SwiftShader rows are labelled as software, and a new dated section goes first in
// bench/gpu.md and replaces only the marked block of BENCHMARKS.md.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { deviceSection, paramCount, recordSection, SHAPES, writeCheckpoint } from '../../bench/device';
import { loadModel } from '../../src/engine/index';

const dir = mkdtempSync(join(tmpdir(), 'rl-device-bench-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the random checkpoint holds every weight of its shape and the engine builds and runs it', async () => {
  const folder = join(dir, 'tiny');
  const s = SHAPES['tiny']!;
  writeCheckpoint(folder, s);
  const st = readFileSync(join(folder, 'model.safetensors'));
  const headerLen = Number(st.readBigUInt64LE(0));
  assert.equal(statSync(join(folder, 'model.safetensors')).size, 8 + headerLen + 4 * paramCount(s));
  const model = await loadModel(folder, { cacheDir: join(dir, 'cache') });
  try {
    assert.equal(model.summary.layers, s.layers);
    assert.equal(model.summary.dModel, s.dModel);
    const out = await model.generateIds([[5, 6, 7, 8]], { maxNewTokens: 3, stopAtEos: false });
    assert.equal(out.rows[0]!.generated.length, 3);
    assert.ok(out.rows[0]!.firstLogits.every(Number.isFinite));
  } finally {
    await model.dispose();
  }
});

const summary = (median: number) => ({ median, min: median, max: median, n: 1 });
const results = (date: string, software: boolean) => ({
  started: `${date}T10:00:00Z`,
  machine: 'test machine',
  options: { devices: ['webgpu'], shapes: ['tiny'], rounds: 1, promptLen: 8, newTokens: 2, batches: [1], threads: 0 },
  rows: [
    { model: 'tiny', device: 'cpu', label: 'cpu', software: false, batch: 1, prefillTokS: summary(100), decodeTokS: summary(10) },
    { model: 'tiny', device: 'webgpu', label: 'webgpu', software, batch: 1, prefillTokS: summary(1), decodeTokS: summary(0.5) },
  ],
});

test('software webgpu rows are labelled; sections go newest first and only the marked block of BENCHMARKS.md changes', () => {
  const sw = deviceSection(results('2026-01-02', true), 'cmd');
  assert.match(sw, /\| webgpu \(SwiftShader, software\) \| 1 \|/);
  assert.match(sw, /test the code path, not a GPU/);
  assert.doesNotMatch(deviceSection(results('2026-01-01', false), 'cmd'), /SwiftShader/);

  const gpuMd = join(dir, 'gpu.md');
  const bench = join(dir, 'BENCHMARKS.md');
  writeFileSync(bench, '# Benchmarks\n\nCPU tables.\n');
  recordSection(deviceSection(results('2026-01-01', false), 'first'), gpuMd, bench);
  recordSection(sw, gpuMd, bench);
  const g = readFileSync(gpuMd, 'utf8');
  assert.ok(g.indexOf('### 2026-01-02') < g.indexOf('### 2026-01-01'), 'newest first, the older kept');
  assert.equal(g.match(/^## Devices/gm)?.length, 1);
  const b = readFileSync(bench, 'utf8');
  assert.ok(b.startsWith('# Benchmarks\n\nCPU tables.\n'));
  assert.equal(b.match(/<!-- device-bench:start -->/g)?.length, 1);
  assert.ok(b.includes(g.trimEnd()));
});
