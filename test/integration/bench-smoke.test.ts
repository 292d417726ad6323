// `npm run bench -- --smoke` end to end (seconds, built-in model only, no PyTorch): the benchmark
// pipeline keeps working and writes a complete results file. Timings are never asserted (the
// issue's rule: speed lives in the benchmark, not in tests); only that every figure was measured.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '..', '..');
const hasGcc = spawnSync('gcc', ['--version']).status === 0;

interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}
const measured = (s: Summary | undefined, what: string) => {
  assert.ok(s && Number.isFinite(s.median) && s.median > 0 && s.n > 0, `${what}: ${JSON.stringify(s)}`);
};

test('bench --smoke writes every section with measured (finite, positive) figures', { skip: hasGcc ? false : 'gcc is needed for the bandwidth kernel', timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-bench-smoke-'));
  try {
    const json = join(dir, 'smoke.json');
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'main.ts'), '--smoke', '--json', json], { cwd: ROOT, stdio: 'pipe' });
    const r = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(r.schema, 'refusal-lens.bench/1');
    assert.equal(r.models.length, 1);
    const h = r.models[0].hookOverhead;
    for (const k of ['prefillMs', 'decodeMsPerToken', 'decodeAA']) {
      measured(h[k].a, `${k} a`);
      measured(h[k].b, `${k} b`);
      measured(h[k].ratio, `${k} ratio`);
    }
    measured(r.models[0].limit.bandwidthBytesPerS, 'bandwidth');
    measured(r.models[0].limit.decodeFractionOfBound, 'decode fraction of the bound');
    const w = r.worker[0];
    for (const k of ['heatmapMs', 'trace24FirstHeatmapMs', 'trace24TotalMs']) {
      const p = w[k] as { p50: number; p95: number; n: number };
      assert.ok(p.n > 0 && p.p50 > 0 && p.p95 >= p.p50, `${k}: ${JSON.stringify(p)}`);
    }
    assert.ok(w.memory.workerPeakRss >= w.memory.workerRssBeforeLoad && w.memory.workerRssBeforeLoad > 0, JSON.stringify(w.memory));
    for (const b of ['batch1', 'batch8', 'batch32', 'batch64']) measured(r.dataset[b].promptsPerS, `annotation ${b}`);
    // checkpoint section: cold build in its own process, both graph forms against the export
    const c = r.checkpoint;
    for (const form of ['standard', 'fused']) {
      const f = c.firstOpen[form];
      assert.ok(f.buildMs > 0 && f.openMs > 0 && f.buildPeakRss > 0 && f.openPeakRss >= f.buildPeakRss, `${form} first open: ${JSON.stringify(f)}`);
    }
    const t = c.perThreads[0];
    for (const form of ['standard', 'fused', 'export']) {
      measured(t.decodeMsPerToken[form], `checkpoint decode ${form}`);
      measured(t.prefillMs[form], `checkpoint prefill ${form}`);
    }
    measured(t.annotatePromptsPerS.standard, 'checkpoint annotation standard');
    measured(t.annotatePromptsPerS.fused, 'checkpoint annotation fused');
    assert.deepEqual(t.greedyAgree, { fusedEqualsStandard: true, standardEqualsExport: true });
    assert.ok(c.worker.workerPeakRss > 0 && c.worker.builtWeightBytes > 0, JSON.stringify(c.worker));
    assert.deepEqual([...new Set(r.targets.map((t: { id: string }) => t.id))], ['3', '4', '5']);
    for (const t of r.targets) assert.equal(typeof t.ok, 'boolean', `target ${t.id} has a verdict`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
