// The corpus: every generated case, a runner that takes them two at a time, and the totals
// (inputs tried, clear errors, hangs, crashes, data lost) that the suite and `npm run faults` print.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CaseResult, FaultCase } from './types';
import { conditionCases, directionCases, modelCases, promptCases } from './cases-files';
import { datasetCases, optionCases } from './cases-runs';
import { EXPECTED_TO_FAIL_BEFORE_MERGE } from './expected-to-fail';
import { ORGANISM } from './inputs';
import { changedFiles, pool, runCase, snapshot } from './run';

export { fuzzCases, FAST_TARGETS, ALL_TARGETS } from './fuzz';
export { EXPECTED_TO_FAIL_BEFORE_MERGE };

/** The hand-written cases; `extended` adds the model-loading ones only `npm run faults` runs. */
export function fixedCases(opts: { extended?: boolean } = {}): FaultCase[] {
  const every = [...modelCases(), ...directionCases(), ...promptCases(), ...datasetCases(), ...conditionCases(), ...optionCases()];
  const seen = new Set<string>();
  for (const c of every) {
    if (seen.has(c.id)) throw new Error(`duplicate fault case id ${c.id}`);
    seen.add(c.id);
  }
  return every.filter((c) => opts.extended || !c.extended);
}

export interface CorpusRun {
  results: CaseResult[];
  /** Cases not run: hazards still expected to fail. */
  notRun: FaultCase[];
  /** Built-in model files changed by the whole run (must be none). */
  builtinLost: string[];
  ms: number;
}

export async function runCorpus(cases: FaultCase[], opts: { concurrency?: number; timeoutMs?: number; onResult?: (r: CaseResult) => void } = {}): Promise<CorpusRun> {
  const t0 = Date.now();
  const work = mkdtempSync(path.join(tmpdir(), 'rl-faults-'));
  const builtin = snapshot(ORGANISM);
  const notRun = cases.filter((c) => c.hazard && EXPECTED_TO_FAIL_BEFORE_MERGE.has(c.id));
  const run = cases.filter((c) => !notRun.includes(c));
  try {
    const results = await pool(run, opts.concurrency ?? 2, async (c) => {
      const r = await runCase(c, work, opts.timeoutMs ?? 20_000);
      opts.onResult?.(r);
      return r;
    });
    // The CLI may add hooked-graph caches to the built-in folder, never change what is there.
    return { results, notRun, builtinLost: changedFiles(ORGANISM, builtin), ms: Date.now() - t0 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface Totals {
  tried: number;
  accepted: number;
  clear: number;
  unclear: number;
  hangs: number;
  crashes: number;
  lost: number;
}

export function totals(results: CaseResult[]): Totals {
  const n = (v: CaseResult['verdict']) => results.filter((r) => r.verdict === v).length;
  return { tried: results.length, accepted: n('ok'), clear: n('clear'), unclear: n('unclear'), hangs: n('hang'), crashes: n('crash'), lost: results.filter((r) => r.lost.length).length };
}

export function formatTotals(t: Totals): string {
  return `inputs tried ${t.tried}, valid accepted ${t.accepted}, clear errors ${t.clear}, unclear ${t.unclear}, hangs ${t.hangs}, crashes ${t.crashes}, data lost ${t.lost}`;
}

/** True when the case did what its expectation says and lost nothing. */
export const passed = (r: CaseResult) => (r.verdict === 'ok' || r.verdict === 'clear') && r.lost.length === 0;

/** The report: failing cases with why, the expected-to-fail ones apart, then the totals. */
export function report(run: CorpusRun): string {
  const lines: string[] = [];
  const bad = run.results.filter((r) => !passed(r));
  const firstLine = (s: string) => s.split('\n').find((l) => l.trim())?.slice(0, 160) ?? '';
  for (const r of bad) {
    const tag = EXPECTED_TO_FAIL_BEFORE_MERGE.has(r.id) ? 'expected-to-fail' : 'FAIL';
    lines.push(`  ${tag.padEnd(16)} ${r.id}: ${r.verdict}${r.lost.length ? `, lost ${r.lost.join(', ')}` : ''}: ${r.why}; stderr: ${firstLine(r.stderr)}`);
  }
  for (const r of run.results.filter((x) => passed(x) && EXPECTED_TO_FAIL_BEFORE_MERGE.has(x.id))) lines.push(`  now passes       ${r.id} (remove it from EXPECTED_TO_FAIL_BEFORE_MERGE)`);
  for (const c of run.notRun) lines.push(`  not run (hazard) ${c.id}: ${c.hazard}`);
  const slow = [...run.results].sort((a, b) => b.ms - a.ms).slice(0, 5);
  lines.push(`  slowest: ${slow.map((r) => `${r.id} ${(r.ms / 1000).toFixed(1)} s`).join(', ')}`);
  const unexpected = run.results.filter((r) => !EXPECTED_TO_FAIL_BEFORE_MERGE.has(r.id));
  lines.push(`faults corpus: ${formatTotals(totals(run.results))}; built-in model files changed: ${run.builtinLost.length}; ${(run.ms / 1000).toFixed(1)} s`);
  lines.push(`  without the ${run.results.length - unexpected.length} expected to fail before merge: ${formatTotals(totals(unexpected))}`);
  return lines.join('\n');
}
