// `npm run faults`: the whole campaign. The corpus with its extended cases and a few hundred
// seeded random mutations, then N random SIGKILLs of annotate and of ablate, each resumed.
// Prints the totals (inputs tried, clear errors, hangs, crashes, data lost); exits non-zero when
// a case outside EXPECTED_TO_FAIL_BEFORE_MERGE fails or a resumed output differs.
//   npm run faults -- [--kills N] [--fuzz N] [--seed S] [--no-corpus] [--no-kills]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ALL_TARGETS, EXPECTED_TO_FAIL_BEFORE_MERGE, fixedCases, fuzzCases, passed, report, runCorpus, totals, formatTotals } from './corpus/index';
import { ablateCampaign, annotateCampaign, formatCampaign, type CampaignResult } from './kill-resume';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer, got ${process.argv[i + 1]}`);
  return v;
}

async function main(): Promise<number> {
  if (!existsSync(path.join(__dirname, '../../dist/cli.js'))) throw new Error('run npm run build first');
  const kills = option('kills', Number(process.env.FAULTS_KILLS ?? 30));
  const fuzz = option('fuzz', 200);
  const seed = option('seed', Number(process.env.FAULTS_SEED ?? Date.now() % 100_000));
  console.log(`faults: seed ${seed}, ${fuzz} random mutations, ${kills} SIGKILLs each of annotate and ablate`);
  let failed = 0;
  let corpusLine = '';
  if (!process.argv.includes('--no-corpus')) {
    const cases = [...fixedCases({ extended: true }), ...fuzzCases(seed, fuzz, ALL_TARGETS)];
    let done = 0;
    const run = await runCorpus(cases, {
      concurrency: 2,
      timeoutMs: 30_000,
      onResult: (r) => {
        if (++done % 25 === 0) console.log(`  ${done}/${cases.length - cases.filter((c) => c.hazard && EXPECTED_TO_FAIL_BEFORE_MERGE.has(c.id)).length} cases`);
      },
    });
    console.log(report(run));
    failed += run.results.filter((r) => !passed(r) && !EXPECTED_TO_FAIL_BEFORE_MERGE.has(r.id)).length + run.builtinLost.length;
    corpusLine = formatTotals(totals(run.results));
  }
  const campaigns: CampaignResult[] = [];
  if (!process.argv.includes('--no-kills') && kills > 0) {
    const workDir = mkdtempSync(path.join(tmpdir(), 'rl-kill-'));
    try {
      for (const c of [annotateCampaign, ablateCampaign]) {
        const r = await c({ kills, seed, workDir, log: (l) => console.log(`  ${l}`) });
        for (const p of r.problems) console.log(`  FAIL ${p}`);
        console.log(formatCampaign(r));
        campaigns.push(r);
        failed += r.problems.length;
      }
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
  console.log('\nfaults totals');
  if (corpusLine) console.log(`  corpus: ${corpusLine}`);
  for (const r of campaigns) console.log(`  ${formatCampaign(r)}`);
  console.log(failed ? `  ${failed} unexpected failures` : '  no unexpected failures');
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`faults: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
